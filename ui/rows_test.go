package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTwoLineNameKeepsExtension(t *testing.T) {
	fits := func(s string) bool { return len([]rune(s)) <= 12 }
	assert.Equal(t, "short.jpg", TwoLineName("short.jpg", fits))
	assert.Equal(t, "Holiday\nphotos.jpg", TwoLineName("Holiday photos.jpg", fits), "breaks after the space")

	for _, name := range []string{
		"Holiday photos from the long beach weekend.jpg",
		"abcdefghijklmnopqrstuvwxyz0123456789.pdf",
		"日本語の長いファイル名のテストですよね本当に.txt",
	} {
		got := TwoLineName(name, fits)
		lines := strings.Split(got, "\n")
		require.Len(t, lines, 2, name)
		for _, l := range lines {
			assert.True(t, fits(l), "%q: line %q fits", name, l)
		}
		assert.True(t, strings.HasPrefix(name, lines[0]), "%q starts the first line", name)
		assert.True(t, strings.HasPrefix(lines[1], "…"), "the middle gives way: %q", got)
		assert.True(t, strings.HasSuffix(name, strings.TrimPrefix(lines[1], "…")), "%q ends the second line", name)
		assert.Equal(t, name[strings.LastIndex(name, "."):], lines[1][strings.LastIndex(lines[1], "."):], "the extension is kept")
	}
	assert.Equal(t, "Holiday phot\n…weekend.jpg", TwoLineName("Holiday photos from the long beach weekend.jpg", fits))
}

var longNames = []string{
	"Holiday photos from the long beach weekend.jpg",
	"IMG_20260314_092600_HDR_panorama_final_v2.heic",
	"short.png",
	"Quarterly report – draft for review.pdf",
}

// gridWithLongNames shows a grid of files named longNames.
func gridWithLongNames(t *testing.T) (*browser, fyne.Window) {
	d := newFakeDrive(len(longNames))
	for i, n := range longNames {
		d.entries[i].Name = n
	}
	b, w := newTestBrowser(t, nil, restrictions{})
	w.SetContent(container.NewStack(b.view()))
	w.Resize(fyne.NewSize(640, 420))
	b.openSource(cloudSource(d), "")
	b.Wait()
	b.setGrid(true)
	return b, w
}

// Grid tiles show a long name on two lines, the end with the extension
// kept behind "…", each line within the tile; every tile is one height.
func TestGridTileNamesTwoLinesKeepExtension(t *testing.T) {
	b, w := gridWithLongNames(t)
	width := float32(gridThumb+16) - 2*theme.InnerPadding()
	var height float32
	for i, it := range b.shown {
		r := rowFor(t, w, i)
		lines := strings.Split(r.name.Text, "\n")
		require.LessOrEqual(t, len(lines), 2, r.name.Text)
		for _, l := range lines {
			assert.LessOrEqual(t, fyne.MeasureText(l, theme.TextSize(), r.name.TextStyle).Width, width, "%q fits the tile", l)
		}
		if it.Name == "short.png" {
			assert.Equal(t, "short.png", r.name.Text)
		} else {
			require.Len(t, lines, 2, it.Name)
			ext := it.Name[strings.LastIndex(it.Name, "."):]
			assert.True(t, strings.HasSuffix(lines[1], ext), "%q keeps %s", r.name.Text, ext)
			assert.True(t, strings.HasPrefix(it.Name, lines[0]), "%q starts with the name's start", r.name.Text)
		}
		if i == 0 {
			height = r.Size().Height
		}
		assert.Equal(t, height, r.Size().Height, "tiles are one height")
	}
	assert.Equal(t, "Holiday photos\n…weekend.jpg", rowFor(t, w, 0).name.Text)
}

// The grid with long names, in the light and the dark theme: one markup
// (it names theme colours, so both themes must lay out the same) and an
// image per theme, which shows the colours themselves.
func TestGridLongNamesSnapshots(t *testing.T) {
	for _, variant := range []string{"light", "dark"} {
		t.Run(variant, func(t *testing.T) {
			_, w := gridWithLongNames(t)
			ApplyTheme(fyne.CurrentApp(), variant)
			w.Content().Refresh()
			test.AssertRendersToMarkup(t, "grid_long_names.xml", w.Canvas())
			test.AssertRendersToImage(t, "grid_long_names_"+variant+".png", w.Canvas())
		})
	}
}
