package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// focusRingWidth is the width of the ring drawn around the focused widget.
// Fyne's own focus cue is a faint background tint (buttons) or a 1 px
// border (entries), too faint to follow with the keyboard.
const focusRingWidth = 2

// ringRenderer draws a focus ring in the theme's primary (accent) colour
// over a widget's own renderer while on() is true.
type ringRenderer struct {
	fyne.WidgetRenderer
	ring *canvas.Rectangle
	on   func() bool
}

func newRingRenderer(r fyne.WidgetRenderer, on func() bool) *ringRenderer {
	rr := &ringRenderer{WidgetRenderer: r, ring: &canvas.Rectangle{FillColor: color.Transparent, StrokeWidth: focusRingWidth}, on: on}
	rr.paint()
	return rr
}

func (r *ringRenderer) Layout(s fyne.Size) {
	r.WidgetRenderer.Layout(s)
	r.ring.Move(fyne.NewPos(0, 0))
	r.ring.Resize(s)
}

func (r *ringRenderer) Objects() []fyne.CanvasObject {
	objs := r.WidgetRenderer.Objects()
	return append(objs[:len(objs):len(objs)], r.ring)
}

func (r *ringRenderer) Refresh() {
	r.WidgetRenderer.Refresh()
	r.paint()
}

func (r *ringRenderer) paint() {
	if r.on() {
		r.ring.StrokeColor = theme.Color(theme.ColorNamePrimary)
	} else {
		r.ring.StrokeColor = color.Transparent
	}
	r.ring.Refresh()
}

// focusButton is a button that shows a focus ring and hands Esc to esc
// (so Esc works whichever toolbar button has the focus).
type focusButton struct {
	widget.Button
	focused bool
	esc     func()
}

func newFocusButton(text string, icon fyne.Resource, imp widget.Importance, tapped, esc func()) *focusButton {
	fb := &focusButton{esc: esc}
	fb.Text, fb.Icon, fb.Importance, fb.OnTapped = text, icon, imp, tapped
	fb.ExtendBaseWidget(fb)
	return fb
}

func (b *focusButton) CreateRenderer() fyne.WidgetRenderer {
	return newRingRenderer(b.Button.CreateRenderer(), func() bool { return b.focused })
}

func (b *focusButton) FocusGained() {
	b.focused = true
	b.Button.FocusGained()
}

func (b *focusButton) FocusLost() {
	b.focused = false
	b.Button.FocusLost()
}

func (b *focusButton) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && b.esc != nil {
		b.esc()
		return
	}
	b.Button.TypedKey(ev)
}

// searchEntry is the filter box: a focus ring, and Esc clears the filter
// (then, when empty, does what Esc does elsewhere).
type searchEntry struct {
	widget.Entry
	focused bool
	esc     func()
}

func newSearchEntry(placeHolder string) *searchEntry {
	e := &searchEntry{}
	e.PlaceHolder = placeHolder
	e.ActionItem = widget.NewIcon(theme.SearchIcon())
	e.ExtendBaseWidget(e)
	return e
}

func (e *searchEntry) CreateRenderer() fyne.WidgetRenderer {
	return newRingRenderer(e.Entry.CreateRenderer(), func() bool { return e.focused })
}

func (e *searchEntry) FocusGained() {
	e.focused = true
	e.Entry.FocusGained()
}

func (e *searchEntry) FocusLost() {
	e.focused = false
	e.Entry.FocusLost()
}

func (e *searchEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && e.esc != nil {
		e.esc()
		return
	}
	e.Entry.TypedKey(ev)
}

// escSelect is a drop-down that hands Esc to esc while it has the focus.
type escSelect struct {
	widget.Select
	esc func()
}

func newEscSelect(options []string, changed func(string), esc func()) *escSelect {
	s := &escSelect{esc: esc}
	s.Options, s.OnChanged = options, changed
	s.ExtendBaseWidget(s)
	return s
}

func (s *escSelect) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && s.esc != nil {
		s.esc()
		return
	}
	s.Select.TypedKey(ev)
}
