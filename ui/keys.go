package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// Browser shortcuts: Ctrl+F (Cmd+F on macOS) focuses the search box,
// Ctrl+1 shows the list and Ctrl+2 the grid.
var (
	shortcutFind = &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutList = &desktop.CustomShortcut{KeyName: fyne.Key1, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutGrid = &desktop.CustomShortcut{KeyName: fyne.Key2, Modifier: fyne.KeyModifierShortcutDefault}
)

// navArea wraps the list and grid and takes keyboard focus for them:
// arrows move the cursor (Shift extends the selection), Enter opens,
// Backspace goes up, Space toggles, Ctrl+A selects all, Ctrl+F searches.
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

func (n *navArea) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(n.content) }

func (n *navArea) FocusGained() {
	n.b.navFocused = true
	n.b.refreshRow(n.b.cursor)
}

func (n *navArea) FocusLost() {
	n.b.navFocused = false
	n.b.refreshRow(n.b.cursor)
}

// TypedRune ignores text: Space arrives as a key too.
func (n *navArea) TypedRune(rune) {}

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
		if it := b.itemAt(b.cursor); it != nil {
			b.toggle(it)
			b.anchor = b.cursor
			b.refreshRow(b.cursor)
			b.notifySelection()
		}
	case fyne.KeyEscape:
		if len(b.Selection()) == 0 && b.onEscape != nil {
			b.onEscape()
			return
		}
		b.clearSelection()
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
	default:
		if n.b.onShortcut != nil {
			n.b.onShortcut(s)
		}
	}
}
