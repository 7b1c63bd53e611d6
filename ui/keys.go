package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// Browser shortcuts: Ctrl+F (Cmd+F on macOS) focuses the search box,
// Ctrl+1 shows the list and Ctrl+2 the grid, Ctrl+H shows or hides hidden
// files and Ctrl+D adds the folder shown to the sidebar (as in GNOME's
// Files).
var (
	shortcutFind   = &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutList   = &desktop.CustomShortcut{KeyName: fyne.Key1, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutGrid   = &desktop.CustomShortcut{KeyName: fyne.Key2, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutHidden = &desktop.CustomShortcut{KeyName: fyne.KeyH, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutMark   = &desktop.CustomShortcut{KeyName: fyne.KeyD, Modifier: fyne.KeyModifierShortcutDefault}
)

// findReset is the pause after which type-to-find starts a new name
// (GTK's file chooser waits about a second too).
const findReset = time.Second

// navArea wraps the list and grid and takes keyboard focus for them:
// arrows move the cursor (Shift extends the selection), Enter opens,
// Backspace goes up, Space toggles, letters jump to the next name starting
// with them, Ctrl+A selects all, Ctrl+F searches.
// Fyne's own List and GridWrap keys would select through their single
// selection, which the browser does not use.
type navArea struct {
	widget.BaseWidget
	b       *browser
	content fyne.CanvasObject
}

func newNavArea(b *browser, content fyne.CanvasObject) *navArea {
	n := &navArea{b: b, content: content}
	n.ExtendBaseWidget(n)
	return n
}

func (n *navArea) CreateRenderer() fyne.WidgetRenderer {
	return newRingRenderer(widget.NewSimpleRenderer(n.content), func() bool { return n.b.navFocused })
}

func (n *navArea) FocusGained() {
	n.b.navFocused = true
	n.b.refreshRow(n.b.cursor)
	n.Refresh()
}

func (n *navArea) FocusLost() {
	n.b.navFocused = false
	n.b.refreshRow(n.b.cursor)
	n.Refresh()
}

// TypedRune is type-to-find: letters typed within findReset of each other
// build a prefix, and the cursor jumps to the next name starting with it.
// A Space starts nothing (it toggles the selection, arriving as a key too).
func (n *navArea) TypedRune(r rune) {
	b := n.b
	now := b.now()
	if now.Sub(b.findAt) > findReset {
		b.findPrefix = ""
	}
	if r == ' ' && b.findPrefix == "" {
		return
	}
	b.findAt = now
	b.findPrefix += string(r)
	b.findNext()
}

// finding reports whether a type-to-find prefix is being typed (a Space
// then belongs to the name, not to the selection).
func (b *browser) finding() bool {
	return b.findPrefix != "" && b.now().Sub(b.findAt) <= findReset
}

// findNext moves the cursor to the next name starting with findPrefix
// (case-insensitive): a single letter typed again moves on to the next
// match, more letters refine the current one.
func (b *browser) findNext() {
	n := len(b.shown)
	if n == 0 {
		return
	}
	prefix := strings.ToLower(b.findPrefix)
	start := b.cursor
	if rs := []rune(prefix); len(rs) == 1 || strings.Count(prefix, string(rs[0])) == len(rs) {
		prefix = string(rs[0]) // "aaa" cycles through the names starting with "a"
		start++
	}
	for k := range n {
		i := (start + k) % n
		if strings.HasPrefix(strings.ToLower(b.shown[i].Name), prefix) {
			b.setCursor(i)
			return
		}
	}
}

func (n *navArea) TypedKey(ev *fyne.KeyEvent) {
	b := n.b
	step, page := 1, 10
	if b.gridMode {
		cols := max(1, b.grid.ColumnCount())
		page = cols * 4
		switch ev.Name {
		case fyne.KeyUp:
			n.move(-cols)
			return
		case fyne.KeyDown:
			n.move(cols)
			return
		}
	}
	switch ev.Name {
	case fyne.KeyUp, fyne.KeyLeft:
		n.move(-step)
	case fyne.KeyDown, fyne.KeyRight:
		n.move(step)
	case fyne.KeyPageUp:
		n.move(-page)
	case fyne.KeyPageDown:
		n.move(page)
	case fyne.KeyHome:
		n.move(-len(b.shown))
	case fyne.KeyEnd:
		n.move(len(b.shown))
	case fyne.KeyReturn, fyne.KeyEnter:
		b.activate(b.cursor)
	case fyne.KeyBackspace:
		b.goUp()
	case fyne.KeySpace:
		if b.finding() {
			return
		}
		if it := b.itemAt(b.cursor); it != nil {
			b.toggle(it)
			b.anchor = b.cursor
			b.refreshRow(b.cursor)
			b.notifySelection()
		}
	case fyne.KeyEscape:
		b.escape()
	}
}

// move shifts the cursor by d rows (clamped); with Shift held it selects
// the range from the anchor, as a click with Shift does.
func (n *navArea) move(d int) {
	b := n.b
	if len(b.shown) == 0 {
		return
	}
	i := min(max(b.cursor+d, 0), len(b.shown)-1)
	if currentModifiers()&fyne.KeyModifierShift != 0 {
		if b.anchor < 0 {
			b.anchor = b.cursor
		}
		b.click(i, fyne.KeyModifierShift)
		return
	}
	b.setCursor(i)
}

func (n *navArea) TypedShortcut(s fyne.Shortcut) {
	switch s.ShortcutName() {
	case (&fyne.ShortcutSelectAll{}).ShortcutName():
		n.b.selectAll()
	case shortcutFind.ShortcutName():
		n.b.focusSearch()
	case shortcutList.ShortcutName():
		n.b.setGrid(false)
	case shortcutGrid.ShortcutName():
		n.b.setGrid(true)
	case shortcutHidden.ShortcutName():
		n.b.toggleHidden()
	case shortcutMark.ShortcutName():
		if b := n.b; b.onBookmark != nil && b.loc.src != nil && b.loc.query == "" {
			b.onBookmark(b.loc.src, b.loc.folder())
		}
	default:
		if n.b.onShortcut != nil {
			n.b.onShortcut(s)
		}
	}
}

// hiddenSwitch is a source that can show or hide hidden files (This
// Computer).
type hiddenSwitch interface {
	SetShowHidden(bool)
	ShowsHidden() bool
}

// toggleHidden shows or hides hidden files (Ctrl+H) and lists the folder
// again, keeping the cursor on the same item.
func (b *browser) toggleHidden() {
	src := b.loc.src
	if src == nil {
		return
	}
	hs, ok := src.Prov.(hiddenSwitch)
	if !ok {
		return // cloud drives have no hidden files to show
	}
	hs.SetShowHidden(!hs.ShowsHidden())
	loc := b.loc
	if it := b.itemAt(b.cursor); it != nil {
		loc.focus = it.ID
	}
	b.show(loc)
}

// escape is Esc where no widget of the browser takes it (nothing focused,
// the sidebar, a dialog): an open dialog or pop-up closes first, then the
// browser's order (filter, selection), then the picker is cancelled.
func (m *Main) escape() {
	if len(m.dialogs) > 0 {
		m.onEscape()
		return
	}
	if top := m.win.Canvas().Overlays().Top(); top != nil {
		top.Hide() // a dialog not on m.dialogs (Add folder), a menu
		return
	}
	m.browser.escape()
}
