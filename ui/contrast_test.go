package ui

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// WCAG 2.x relative luminance of an sRGB colour.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrastRatio is WCAG's (L1 + 0.05) / (L2 + 0.05), from 1 to 21.
func contrastRatio(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// shownObj is a visible object with its position in the window.
type shownObj struct {
	obj fyne.CanvasObject
	at  fyne.Position
}

// visibleTree lists the visible objects under o with their absolute
// positions, walking containers and widget renderers as the painter does.
func visibleTree(o fyne.CanvasObject, at fyne.Position, out []shownObj) []shownObj {
	if o == nil || !o.Visible() {
		return out
	}
	at = at.Add(o.Position())
	out = append(out, shownObj{o, at})
	var kids []fyne.CanvasObject
	switch o := o.(type) {
	case *fyne.Container:
		kids = o.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(o).Objects()
	}
	for _, k := range kids {
		out = visibleTree(k, at, out)
	}
	return out
}

// renderedContrast measures, in a capture of the window, the contrast of
// each text line of label l against what is behind it: the background is
// the commonest pixel of the line's box, the text colour the pixel furthest
// from it (the core of a stroke, where anti-aliasing has full coverage).
// It returns the lowest ratio over the label's lines.
func renderedContrast(t *testing.T, img image.Image, scale float32, l shownObj) float64 {
	t.Helper()
	lowest := math.Inf(1)
	for _, o := range visibleTree(l.obj, l.at.Subtract(l.obj.Position()), nil) {
		txt, ok := o.obj.(*canvas.Text)
		if !ok || strings.TrimSpace(txt.Text) == "" {
			continue
		}
		size := txt.MinSize()
		box := image.Rect(int(o.at.X*scale), int(o.at.Y*scale), int((o.at.X+size.Width)*scale), int((o.at.Y+size.Height)*scale)).Intersect(img.Bounds())
		if box.Dx() < 4 || box.Dy() < 4 {
			continue // scrolled out of the capture
		}
		count := map[color.RGBA]int{}
		var bg color.RGBA
		for y := box.Min.Y; y < box.Max.Y; y++ {
			for x := box.Min.X; x < box.Max.X; x++ {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				count[c]++
				if count[c] > count[bg] {
					bg = c
				}
			}
		}
		best := 1.0
		for c := range count {
			best = max(best, contrastRatio(bg, c))
		}
		lowest = min(lowest, best)
	}
	return lowest
}

// labelsIn lists the visible labels with text under roots.
func labelsIn(roots []fyne.CanvasObject) []shownObj {
	var out []shownObj
	for _, r := range roots {
		for _, o := range visibleTree(r, fyne.Position{}, nil) {
			// A label without a letter or digit ("—") is skipped: a one-pixel
			// dash never reaches full coverage, so its strokes measure lighter
			// than the colour it is drawn in.
			if l, ok := o.obj.(*widget.Label); ok && strings.IndexFunc(l.Text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
				out = append(out, o)
			}
		}
	}
	return out
}

// assertReadable captures the window and checks every label under roots
// (default: the window's content) reaches WCAG AA (4.5:1) against its
// rendered background.
func assertReadable(t *testing.T, what string, c fyne.Canvas, roots ...fyne.CanvasObject) {
	t.Helper()
	// Background work (the cache usage in Settings) updates labels through
	// onMain: hold the UI lock while the picture and its labels are read.
	uiMu.Lock()
	defer uiMu.Unlock()
	img := c.Capture()
	if len(roots) == 0 {
		roots = []fyne.CanvasObject{c.Content()}
	}
	labels := labelsIn(roots)
	require.NotEmpty(t, labels, what)
	for _, l := range labels {
		ratio := renderedContrast(t, img, c.Scale(), l)
		if !math.IsInf(ratio, 1) {
			assert.GreaterOrEqual(t, ratio, 4.5, "%s: %q has contrast %.2f:1", what, l.obj.(*widget.Label).Text, ratio)
		}
	}
}

// Text is readable at a glance: labels, help text and Details reach 4.5:1
// (WCAG AA) in the light and the dark theme, measured on the rendered
// window: the browser list (an excluded file too), the preview pane with
// its field names, a problem's Details, and the Settings help text.
func TestTextContrastMeetsWCAGAA(t *testing.T) {
	for _, variant := range []string{"light", "dark"} {
		t.Run(variant, func(t *testing.T) {
			d := newFakeDrive(6)
			d.content["id3"] = []byte("first line\nsecond line\n")
			b, w := newTestBrowser(t, nil, restrictions{MaxFileSize: 4})
			ApplyTheme(fyne.CurrentApp(), variant)
			p := newPreview(b.ctx, b.thumbs, &b.jobs)
			b.onCursorChanged = func(it *item) { p.show(b.loc.src, it) }
			split := container.NewHSplit(b.view(), p.view())
			split.Offset = 0.6
			w.SetContent(split)
			w.Resize(fyne.NewSize(1000, 520))
			b.openSource(cloudSource(d), "")
			b.Wait()
			require.NotEmpty(t, b.shown[5].reason, "file 5.txt is too large: an excluded row")
			b.click(5, 0)
			b.Wait()
			split.Refresh() // lay the preview out with its new content, as the driver does on the next frame
			assertReadable(t, "browser and preview", w.Canvas())

			acc := problemView(problem{What: "The upload failed.", Do: "Try again later.", Details: "PUT https://uploads.example/…: 503 Service Unavailable"})
			w.SetContent(acc)
			acc.(*fyne.Container).Objects[1].(*widget.Accordion).Open(0)
			assertReadable(t, "problem details", w.Canvas())

			m := settingsWindow(t, &Settings{Backend: "https://uploads.acme.example", BackendLocked: true, Concurrency: 4, ThumbnailCacheMB: 256, Theme: variant, Language: "system"})
			ApplyTheme(fyne.CurrentApp(), variant)
			var sd *settingsDialog
			withUI(func() { sd = m.showSettings() })
			require.Equal(t, "Set by your administrator", sd.lockedNote.Text)
			assertReadable(t, "settings", m.win.Canvas(), m.win.Canvas().Overlays().Top()) // the dialog, over the dimmed window
		})
	}
}
