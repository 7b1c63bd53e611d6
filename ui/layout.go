package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The upload queue is a panel under the file list. Idle, it is one line:
// what the last batch did (or "No uploads yet") inside a drop zone. It
// grows into a resizable split when work starts or a dropped batch waits
// for review, and the person can fold it back to its line at any time.
//
// Fyne 2.7 with GLFW 3.3 reports a drop only when it happens
// (Window.SetOnDropped); there is no drag-enter or drag-over event to
// light a drop zone up while files are dragged. So the zone is always
// visible while the queue is idle, and a drop anywhere in the window counts.

// dropZone is a framed area in the accent colour saying files can be
// dropped there.
type dropZone struct {
	widget.BaseWidget
	label *widget.Label
}

func newDropZone(text string) *dropZone {
	z := &dropZone{label: &widget.Label{Text: text, Wrapping: fyne.TextWrapWord}}
	z.ExtendBaseWidget(z)
	return z
}

func (z *dropZone) SetText(s string) { z.label.SetText(s) }

func (z *dropZone) CreateRenderer() fyne.WidgetRenderer {
	r := &dropZoneRenderer{z: z, frame: &canvas.Rectangle{StrokeWidth: 2, CornerRadius: theme.InputRadiusSize()},
		content: container.NewBorder(nil, nil, widget.NewIcon(theme.UploadIcon()), nil, z.label)}
	r.Refresh()
	return r
}

type dropZoneRenderer struct {
	z       *dropZone
	frame   *canvas.Rectangle
	content *fyne.Container
}

// Layout draws the frame over the content's inner padding, so the zone is
// no taller than a line of text: at the default size every pixel of height
// goes to the file list.
func (r *dropZoneRenderer) Layout(size fyne.Size) {
	r.frame.Resize(size)
	r.frame.Move(fyne.NewPos(0, 0))
	r.content.Resize(size)
	r.content.Move(fyne.NewPos(0, 0))
}

func (r *dropZoneRenderer) MinSize() fyne.Size { return r.content.MinSize() }

// Refresh takes the colours from the current theme, so the zone follows a
// switch between light and dark.
func (r *dropZoneRenderer) Refresh() {
	th := r.z.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.frame.StrokeColor = th.Color(theme.ColorNamePrimary, v)
	r.frame.FillColor = th.Color(theme.ColorNameHover, v)
	r.frame.Refresh()
	r.content.Refresh()
}

func (r *dropZoneRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.frame, r.content}
}

func (r *dropZoneRenderer) Destroy() {}

// queuePanel is the queue's folding panel: a header line (the fold button
// and the summary, or the drop zone when idle) and a body (the counts and
// queue-wide buttons, the batch under review, the rows).
type queuePanel struct {
	q  *queueView
	rv *review

	toggle   *widget.Button
	zone     *dropZone // the header's drop zone while idle
	empty    *dropZone // the body's drop zone while there are no rows
	center   *fyne.Container
	header   *fyne.Container
	body     *fyne.Container
	expanded bool
	wasBusy  bool
	shown    bodyKey

	// arrange puts the header and body where they belong for expanded
	// (Main swaps the split in and out).
	arrange func(expanded bool)
}

func newQueuePanel(q *queueView, rv *review) *queuePanel {
	p := &queuePanel{q: q, rv: rv, zone: newDropZone(""), empty: newDropZone(T("Drop files or folders here to upload them."))}
	p.toggle = &widget.Button{Text: T("Uploads"), Importance: widget.LowImportance, OnTapped: func() { p.setExpanded(!p.expanded) }}
	p.center = container.NewStack()
	p.header = container.NewBorder(nil, nil, p.toggle, nil, p.center)
	p.body = container.NewStack()
	q.onChange = p.refresh
	rv.onChange = func() {
		if rv.pending() {
			p.setExpanded(true) // a dropped batch is shown for review
		}
		p.refresh()
	}
	p.refresh()
	return p
}

// setExpanded grows the panel to its split, or folds it to its line.
func (p *queuePanel) setExpanded(on bool) {
	if p.expanded == on && p.arrange != nil {
		return
	}
	p.expanded = on
	p.refresh()
	if p.arrange != nil {
		p.arrange(on)
	}
}

// full is the expanded panel: the header above the body.
func (p *queuePanel) full() fyne.CanvasObject {
	return container.NewBorder(p.header, nil, nil, nil, p.body)
}

// refresh shows what the queue's state calls for: the drop zone or the
// summary in the header, the review and the rows in the body. It grows
// the panel when work starts.
func (p *queuePanel) refresh() {
	busy := p.q.busy()
	if busy && !p.wasBusy && !p.expanded && p.arrange != nil {
		p.wasBusy = busy
		p.setExpanded(true) // work started: show it
		return
	}
	p.wasBusy = busy
	icon := theme.MenuDropUpIcon()
	if p.expanded {
		icon = theme.MenuDropDownIcon()
	}
	if p.toggle.Icon != icon {
		p.toggle.SetIcon(icon)
	}
	var center fyne.CanvasObject = p.q.summary
	if !busy {
		// Idle, the line is a drop zone; a batch under review grows with
		// every drop.
		lead := p.q.summary.Text
		if p.rv.pending() {
			lead = sentence(p.rv.title.Text)
		}
		p.zone.SetText(lead + " " + T("Drop files or folders here to upload them."))
		center = p.zone
	}
	if len(p.center.Objects) != 1 || p.center.Objects[0] != center {
		p.center.Objects = []fyne.CanvasObject{center}
		p.center.Refresh()
	}
	key := bodyKey{review: p.rv.pending(), empty: p.q.len() == 0}
	if key == p.shown && len(p.body.Objects) == 1 {
		return // a progress event: nothing to rebuild
	}
	p.shown = key
	var main fyne.CanvasObject = p.q.list
	if key.empty {
		main = p.empty
	}
	if key.review {
		main = p.rv.box
		if !key.empty {
			main = container.NewGridWithRows(2, p.rv.box, p.q.list)
		}
	}
	var tools fyne.CanvasObject = container.NewBorder(nil, nil, nil, container.NewHBox(p.q.clearBtn, p.q.pauseAllBtn, p.q.cancelAllBtn), p.q.total)
	if key.empty {
		tools = nil
	}
	p.body.Objects = []fyne.CanvasObject{container.NewBorder(tools, nil, nil, nil, main)}
	p.body.Refresh()
}

// bodyKey is what the body's arrangement depends on.
type bodyKey struct{ review, empty bool }
