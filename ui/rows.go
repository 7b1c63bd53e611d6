package ui

import (
	"context"
	"image"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/internal/humanize"
)

const (
	listThumb     = 32  // list row thumbnail box, in points
	gridThumb     = 104 // grid cell thumbnail box
	thumbPixels   = 256 // thumbnails are made at this size for both views
	listNameRunes = 72  // middle truncation of names in the list
	gridNameRunes = 60  // and in the grid, before TwoLineName fits the tile
)

// fileRow is one list row or grid cell. It handles presses itself (with
// their modifiers) so selection works as in a desktop file manager, draws
// its own selection and hover, and shows why an excluded file cannot be
// uploaded as a tooltip.
type fileRow struct {
	widget.BaseWidget
	b    *browser
	grid bool

	idx int
	it  *item

	bg         *canvas.Rectangle
	icon       *widget.Icon
	thumb      *canvas.Image
	name       *widget.Label
	size, date *widget.Label // list rows only
	mark       *widget.Icon  // a tick on selected items
	body       fyne.CanvasObject

	hovered, pressed bool
	thumbKey         string
	cancelThumb      context.CancelFunc
	tip              *widget.PopUp
}

func newFileRow(b *browser, grid bool) *fileRow {
	r := &fileRow{b: b, grid: grid, idx: -1,
		bg:    canvas.NewRectangle(nil),
		icon:  widget.NewIcon(theme.FileIcon()),
		thumb: &canvas.Image{FillMode: canvas.ImageFillContain, ScaleMode: canvas.ImageScaleSmooth},
		name:  &widget.Label{Text: "name", Truncation: fyne.TextTruncateEllipsis},
		mark:  widget.NewIcon(nil),
	}
	r.bg.CornerRadius = theme.SelectionRadiusSize()
	if grid {
		// Up to two lines, fitted by TwoLineName; the name's area is always
		// two lines high so every tile has the same height and layout.
		r.name.Alignment = fyne.TextAlignCenter
		r.name.Truncation = fyne.TextTruncateClip
		box := canvas.NewRectangle(color.Transparent) // not nil: the software painter (captures, image snapshots) cannot fill nil
		box.SetMinSize(fyne.NewSize(gridThumb+16, gridThumb))
		pic := container.NewStack(box, container.NewPadded(r.icon), r.thumb,
			container.NewVBox(container.NewHBox(layout.NewSpacer(), r.mark)))
		twoLines := canvas.NewRectangle(color.Transparent)
		twoLines.SetMinSize(fyne.NewSize(0, (&widget.Label{Text: "Ag\nAg"}).MinSize().Height))
		r.body = container.NewBorder(nil, container.NewStack(twoLines, r.name), nil, nil, pic)
	} else {
		r.size = &widget.Label{Text: "000.0 MiB", Alignment: fyne.TextAlignTrailing}
		r.date = &widget.Label{Text: "2006-01-02 15:04"}
		pic := container.New(layout.NewGridWrapLayout(fyne.NewSize(listThumb, listThumb)), container.NewStack(r.icon, r.thumb))
		right := container.NewHBox(
			container.New(layout.NewGridWrapLayout(fyne.NewSize(96, listThumb)), r.size),
			container.New(layout.NewGridWrapLayout(fyne.NewSize(140, listThumb)), r.date),
			container.New(layout.NewGridWrapLayout(fyne.NewSize(20, listThumb)), container.NewCenter(r.mark)))
		r.body = container.NewBorder(nil, nil, pic, right, r.name)
	}
	r.ExtendBaseWidget(r)
	return r
}

func (r *fileRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(r.bg, r.body))
}

// bind shows item i. A thumbnail still loading for the row's previous item
// is cancelled: rows that scroll away stop costing work.
func (r *fileRow) bind(i int, it *item) {
	r.idx, r.it = i, it
	if it == nil { // the "loading more" row
		r.unbindThumb()
		r.icon.SetResource(theme.ViewRefreshIcon())
		r.name.Importance = widget.MediumImportance
		r.name.SetText(r.b.loadingText())
		if r.size != nil {
			r.size.SetText("")
			r.date.SetText("")
		}
		r.mark.SetResource(nil)
		r.paint()
		return
	}
	runes := listNameRunes
	if r.grid {
		runes = gridNameRunes
	}
	// An excluded file's name stays in the foreground colour (the disabled
	// colour of LowImportance is unreadable, 1.3:1) and is set in italics.
	r.name.Importance = widget.MediumImportance
	r.name.TextStyle.Italic = it.reason != ""
	name := DisplayName(it.Name, runes)
	if r.grid {
		name = TwoLineName(name, r.fitsTile)
	}
	r.name.SetText(name)
	r.icon.SetResource(iconFor(it))
	if r.size != nil {
		switch {
		case it.IsDir:
			r.size.SetText("—")
		case it.Size < 0:
			r.size.SetText("")
		default:
			r.size.SetText(humanize.Bytes(it.Size))
		}
		if it.ModTime.IsZero() {
			r.date.SetText("")
		} else {
			r.date.SetText(it.ModTime.Local().Format("2006-01-02 15:04"))
		}
	}
	if r.b.isSelected(it) {
		r.mark.SetResource(theme.ConfirmIcon())
	} else {
		r.mark.SetResource(nil)
	}
	r.bindThumb(it)
	r.paint()
}

func (r *fileRow) unbindThumb() {
	if r.cancelThumb != nil {
		r.cancelThumb()
		r.cancelThumb = nil
	}
	r.thumbKey = ""
	r.setThumb(nil)
}

func (r *fileRow) setThumb(img image.Image) {
	r.thumb.Image = img
	r.thumb.Refresh()
	if img == nil {
		r.icon.Show()
	} else {
		r.icon.Hide()
	}
}

func (r *fileRow) bindThumb(it *item) {
	req, ok := r.b.thumbRequest(it)
	if !ok {
		r.unbindThumb()
		return
	}
	if req.Key == r.thumbKey {
		return // still showing, or still loading, this very file
	}
	r.unbindThumb()
	r.thumbKey = req.Key
	if img, ok := r.b.thumbs.Cached(req.Key, req.Size); ok {
		r.setThumb(img)
		return
	}
	ctx, cancel := context.WithCancel(r.b.ctx)
	r.cancelThumb = cancel
	key := req.Key
	r.b.jobs.Add(1)
	go func() {
		defer r.b.jobs.Done()
		img, err := r.b.thumbs.Get(ctx, req)
		if err != nil {
			return // the icon stays; the preview explains failures
		}
		onMain(func() {
			if r.thumbKey == key && ctx.Err() == nil {
				r.setThumb(img)
			}
		})
	}()
}

// paint colours the background for selection, keyboard cursor and hover.
func (r *fileRow) paint() {
	th := r.b.theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.bg.FillColor, r.bg.StrokeWidth = nil, 0
	switch {
	case r.it != nil && r.b.isSelected(r.it):
		r.bg.FillColor = th.Color(theme.ColorNameSelection, v)
	case r.hovered && r.it != nil:
		r.bg.FillColor = th.Color(theme.ColorNameHover, v)
	}
	if r.it != nil && r.idx == r.b.cursor && r.b.navFocused {
		r.bg.StrokeColor = th.Color(theme.ColorNameFocus, v)
		r.bg.StrokeWidth = 2
	}
	r.bg.Refresh()
}

// MouseDown selects at once (with the keyboard modifiers of the press), so
// a click never waits for the double-click interval.
func (r *fileRow) MouseDown(ev *desktop.MouseEvent) {
	if ev.Button == desktop.MouseButtonPrimary && r.idx >= 0 {
		r.pressed = true
		r.b.click(r.idx, ev.Modifier)
	}
}

func (r *fileRow) MouseUp(*desktop.MouseEvent) {}

// Tapped selects for taps that did not come with a MouseDown (touch, tests).
func (r *fileRow) Tapped(*fyne.PointEvent) {
	if r.pressed {
		r.pressed = false
		return
	}
	if r.idx >= 0 {
		r.b.click(r.idx, currentModifiers())
	}
}

// DoubleTapped opens a folder or previews a file.
func (r *fileRow) DoubleTapped(*fyne.PointEvent) {
	r.pressed = false
	if r.idx >= 0 {
		r.b.activate(r.idx)
	}
}

func (r *fileRow) MouseIn(ev *desktop.MouseEvent) {
	r.hovered = true
	r.paint()
	if r.it != nil && r.it.reason != "" {
		r.showTip(ev.AbsolutePosition)
	}
}

func (r *fileRow) MouseMoved(*desktop.MouseEvent) {}

func (r *fileRow) MouseOut() {
	r.hovered = false
	r.paint()
	r.hideTip()
}

// tooltip is the text shown while the pointer rests on the row.
func (r *fileRow) tooltip() string {
	if r.it == nil {
		return ""
	}
	return r.it.reason
}

func (r *fileRow) showTip(at fyne.Position) {
	c := fyne.CurrentApp().Driver().CanvasForObject(r)
	if c == nil {
		return
	}
	r.hideTip()
	lbl := &widget.Label{Text: r.tooltip(), Wrapping: fyne.TextWrapWord}
	r.tip = widget.NewPopUp(container.New(layout.NewGridWrapLayout(fyne.NewSize(320, lbl.MinSize().Height*2)), lbl), c)
	r.tip.ShowAtPosition(at.Add(fyne.NewPos(12, 16)))
}

func (r *fileRow) hideTip() {
	if r.tip != nil {
		r.tip.Hide()
		r.tip = nil
	}
}

// iconFor picks a theme icon by the entry's kind.
func iconFor(it *item) fyne.Resource {
	switch {
	case it.Err != nil:
		return theme.WarningIcon()
	case it.IsDir:
		return theme.FolderIcon()
	}
	t := entryType(it.Entry)
	switch {
	case strings.HasPrefix(t, "image/"):
		return theme.FileImageIcon()
	case strings.HasPrefix(t, "video/"):
		return theme.FileVideoIcon()
	case strings.HasPrefix(t, "audio/"):
		return theme.FileAudioIcon()
	case isTextType(it.Name, t):
		return theme.FileTextIcon()
	case strings.HasPrefix(t, "application/") && t != "application/octet-stream":
		return theme.FileApplicationIcon()
	}
	return theme.FileIcon()
}

// currentModifiers asks the desktop driver which modifier keys are held.
var currentModifiers = func() fyne.KeyModifier {
	if d, ok := fyne.CurrentApp().Driver().(desktop.Driver); ok {
		return d.CurrentKeyModifiers()
	}
	return 0
}

// fitsTile reports whether line fits the width of a grid tile's name.
func (r *fileRow) fitsTile(line string) bool {
	width := float32(gridThumb+16) - 2*theme.InnerPadding()
	return fyne.MeasureText(line, theme.TextSize(), r.name.TextStyle).Width <= width
}
