package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/providers"
)

// maxTitleRunes bounds the source's title in the bar ("Google Drive —
// ann.long.name@example.com" is shortened in the middle); the whole title
// shows while the pointer rests on it.
const maxTitleRunes = 30

// breadcrumb is the trail bar: the source's title, then the folders from
// the root to the current one. When they do not fit, the folders in the
// middle collapse into a "…" button whose menu lists them, so the current
// folder always stays visible.
type breadcrumb struct {
	b     *browser
	box   *fyne.Container // title, sep, "…", then a separator and a button per folder
	title *hoverLabel
	more  *focusButton
	// hidden is how many folders of the trail the "…" menu holds now
	// (set by the layout).
	hidden int
	menu   *fyne.Menu // the last "…" menu shown
}

func newBreadcrumb(b *browser) *breadcrumb {
	c := &breadcrumb{b: b, title: newHoverLabel()}
	c.title.TextStyle = fyne.TextStyle{Bold: true}
	c.more = newFocusButton("…", nil, widget.LowImportance, nil, b.escape)
	c.more.OnTapped = c.showHidden
	c.box = container.New(&crumbLayout{c: c})
	return c
}

// set rebuilds the bar for loc.
func (c *breadcrumb) set(loc location) {
	c.box.RemoveAll()
	if loc.src == nil {
		return
	}
	c.title.setText(MiddleTruncate(loc.src.Title, maxTitleRunes), loc.src.Title)
	c.box.Add(c.title)
	c.box.Add(crumbSep())
	c.box.Add(c.more)
	for i, e := range loc.trail {
		n := i + 1
		c.box.Add(crumbSep())
		c.box.Add(newFocusButton(DisplayName(e.Name, 28), nil, widget.LowImportance, func() {
			if n < len(c.b.loc.trail) || c.b.loc.query != "" {
				c.b.open(location{src: c.b.loc.src, trail: c.b.loc.trail[:n]})
			}
		}, c.b.escape))
	}
	if loc.query != "" {
		c.box.Add(crumbSep())
		c.box.Add(widget.NewLabel(T("Search: “{{.Query}}”", "Query", SafeName(loc.query))))
	}
	c.box.Refresh()
}

func crumbSep() fyne.CanvasObject { return widget.NewLabel("›") }

// hiddenTrail returns the folders the "…" menu holds, root first.
func (c *breadcrumb) hiddenTrail() []providers.Entry {
	return c.b.loc.trail[:min(c.hidden, len(c.b.loc.trail))]
}

// showHidden opens the "…" menu: the folders left out of the bar.
func (c *breadcrumb) showHidden() {
	var items []*fyne.MenuItem
	for i, e := range c.hiddenTrail() {
		n := i + 1
		items = append(items, fyne.NewMenuItem(DisplayName(e.Name, 40), func() {
			c.b.open(location{src: c.b.loc.src, trail: c.b.loc.trail[:n]})
		}))
	}
	cv := fyne.CurrentApp().Driver().CanvasForObject(c.more)
	if len(items) == 0 || cv == nil {
		return
	}
	c.menu = fyne.NewMenu("", items...)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(c.more)
	widget.ShowPopUpMenuAtPosition(c.menu, cv, pos.Add(fyne.NewPos(0, c.more.Size().Height)))
}

// crumbLayout lays the bar out left to right. Objects: title, separator,
// "…", then separator and button pairs (and the search label's pair).
// When everything does not fit it shows "…" and as many of the last pairs
// as fit, always the last; the title goes last of all.
type crumbLayout struct{ c *breadcrumb }

func (l *crumbLayout) pairs(objs []fyne.CanvasObject) int { return (len(objs) - 3) / 2 }

func pairWidth(objs []fyne.CanvasObject, i int) float32 {
	return objs[3+2*i].MinSize().Width + objs[4+2*i].MinSize().Width
}

func (l *crumbLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) < 3 {
		return fyne.Size{}
	}
	h := objs[0].MinSize().Height
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	w := objs[2].MinSize().Width + objs[1].MinSize().Width
	if n := l.pairs(objs); n > 0 {
		w = pairWidth(objs, n-1)
	}
	return fyne.NewSize(w, h)
}

func (l *crumbLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) < 3 {
		return
	}
	n := l.pairs(objs)
	full := objs[0].MinSize().Width
	for i := range n {
		full += pairWidth(objs, i)
	}
	// first is the first pair shown; showTitle and showMore say whether
	// the title and "…" are.
	first, showTitle, showMore := 0, true, false
	if full > size.Width && n > 0 {
		titleW := objs[0].MinSize().Width
		moreW := objs[1].MinSize().Width + objs[2].MinSize().Width
		first = n - 1
		used := pairWidth(objs, n-1)
		for first > 0 && titleW+moreW+used+pairWidth(objs, first-1) <= size.Width {
			first--
			used += pairWidth(objs, first)
		}
		showMore = first > 0
		if showMore {
			used += moreW
		}
		showTitle = titleW+used <= size.Width
	}
	// The search label's pair is not a folder of the trail.
	folders := len(l.c.b.loc.trail)
	l.c.hidden = min(first, folders)
	x := float32(0)
	place := func(o fyne.CanvasObject, show bool) {
		if !show {
			o.Hide()
			return
		}
		o.Show()
		w := o.MinSize().Width
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(min(w, max(size.Width-x, 0)), size.Height))
		x += w
	}
	place(objs[0], showTitle)
	place(objs[1], showMore && showTitle)
	place(objs[2], showMore)
	for i := range n {
		// A separator needs something before it.
		place(objs[3+2*i], i > first || (i == first && (showMore || showTitle)))
		place(objs[4+2*i], i >= first)
	}
}

var _ fyne.Layout = (*crumbLayout)(nil)

// hoverLabel is a label that shows its whole text in a small pop-up while
// the pointer rests on it, when the label shows it shortened. Fyne 2.7 has
// no tooltips of its own.
type hoverLabel struct {
	widget.Label
	full string
	tip  *widget.PopUp
}

func newHoverLabel() *hoverLabel {
	l := &hoverLabel{}
	l.ExtendBaseWidget(l)
	return l
}

func (l *hoverLabel) setText(shown, full string) {
	l.full = full
	l.SetText(shown)
}

func (l *hoverLabel) MouseIn(ev *desktop.MouseEvent) {
	if l.full == l.Text {
		return
	}
	c := fyne.CurrentApp().Driver().CanvasForObject(l)
	if c == nil {
		return
	}
	l.hideTip()
	l.tip = widget.NewPopUp(container.New(layout.NewPaddedLayout(), widget.NewLabel(l.full)), c)
	l.tip.ShowAtPosition(ev.AbsolutePosition.Add(fyne.NewPos(12, 16)))
}

func (l *hoverLabel) MouseMoved(*desktop.MouseEvent) {}

func (l *hoverLabel) MouseOut() { l.hideTip() }

func (l *hoverLabel) hideTip() {
	if l.tip != nil {
		l.tip.Hide()
		l.tip = nil
	}
}
