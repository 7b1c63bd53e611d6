package ui

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/internal/humanize"
)

// entry is one row of the folder list.
type entry struct {
	Name    string
	Path    string
	IsDir   bool
	Size    int64
	ModTime time.Time
	Err     string // why the entry cannot be read, if it cannot
}

// browser lists the current local folder: breadcrumbs, then name, size and
// modified time per row; folders first; tapping a folder opens it.
type browser struct {
	dir      string
	entries  []entry
	selected map[string]bool
	shown    bool

	crumbs *fyne.Container
	list   *widget.List
	status *widget.Label

	onSelectionChanged func(paths []string)
}

func newBrowser(start string) *browser {
	b := &browser{selected: map[string]bool{}, crumbs: container.NewHBox(), status: widget.NewLabel("")}
	b.list = widget.NewList(func() int { return len(b.entries) }, b.createRow, b.updateRow)
	b.list.OnSelected = b.onSelected
	b.open(start)
	return b
}

func (b *browser) createRow() fyne.CanvasObject {
	name := widget.NewLabel("name")
	name.Truncation = fyne.TextTruncateEllipsis
	size := widget.NewLabel("000.0 MiB")
	mod := widget.NewLabel("2006-01-02 15:04")
	return container.NewBorder(nil, nil, widget.NewIcon(theme.FileIcon()), container.NewHBox(size, mod), name)
}

func (b *browser) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(b.entries) {
		return
	}
	e := b.entries[i]
	c := o.(*fyne.Container)
	name := c.Objects[0].(*widget.Label)
	icon := c.Objects[1].(*widget.Icon)
	right := c.Objects[2].(*fyne.Container)
	label := SafeName(e.Name)
	if b.selected[e.Path] {
		label = "✔ " + label
	}
	name.SetText(label)
	switch {
	case e.Err != "":
		icon.SetResource(theme.WarningIcon())
	case e.IsDir:
		icon.SetResource(theme.FolderIcon())
	default:
		icon.SetResource(theme.FileIcon())
	}
	size, mod := right.Objects[0].(*widget.Label), right.Objects[1].(*widget.Label)
	switch {
	case e.Err != "":
		size.SetText("")
		mod.SetText(e.Err)
	case e.IsDir:
		size.SetText("—")
		mod.SetText(e.ModTime.Format("2006-01-02 15:04"))
	default:
		size.SetText(humanize.Bytes(e.Size))
		mod.SetText(e.ModTime.Format("2006-01-02 15:04"))
	}
}

// onSelected opens folders and toggles files in the selection.
func (b *browser) onSelected(i widget.ListItemID) {
	b.list.Unselect(i)
	if i >= len(b.entries) {
		return
	}
	e := b.entries[i]
	if e.Err != "" {
		return
	}
	if e.IsDir {
		b.open(e.Path)
		return
	}
	if b.selected[e.Path] {
		delete(b.selected, e.Path)
	} else {
		b.selected[e.Path] = true
	}
	b.list.RefreshItem(i)
	b.notifySelection()
}

func (b *browser) notifySelection() {
	if b.onSelectionChanged != nil {
		b.onSelectionChanged(b.Selection())
	}
}

// Selection returns the selected paths in a stable order.
func (b *browser) Selection() []string {
	out := make([]string, 0, len(b.selected))
	for p := range b.selected {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func (b *browser) clearSelection() {
	b.selected = map[string]bool{}
	b.list.Refresh()
	b.notifySelection()
}

// open reads dir and shows it. Unreadable entries are listed as such.
func (b *browser) open(dir string) {
	dir = filepath.Clean(dir)
	des, err := os.ReadDir(dir)
	if err != nil {
		b.status.SetText("Cannot open " + SafeName(filepath.Base(dir)) + ": permission denied or missing.")
		return
	}
	b.dir = dir
	b.entries = b.entries[:0]
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".") {
			continue // hidden files: a toggle arrives with the browsing issue
		}
		e := entry{Name: de.Name(), Path: filepath.Join(dir, de.Name())}
		fi, err := os.Stat(e.Path)
		if err != nil {
			e.Err = "cannot be read"
		} else {
			e.IsDir, e.Size, e.ModTime = fi.IsDir(), fi.Size(), fi.ModTime()
		}
		b.entries = append(b.entries, e)
	}
	sort.SliceStable(b.entries, func(i, j int) bool {
		if b.entries[i].IsDir != b.entries[j].IsDir {
			return b.entries[i].IsDir
		}
		return strings.ToLower(b.entries[i].Name) < strings.ToLower(b.entries[j].Name)
	})
	b.status.SetText("")
	b.buildCrumbs()
	b.list.UnselectAll()
	if b.shown {
		b.list.ScrollToTop() // panics before the list's first layout
	}
	b.shown = true
	b.list.Refresh()
}

func (b *browser) buildCrumbs() {
	b.crumbs.RemoveAll()
	var parts []string
	for d := b.dir; ; d = filepath.Dir(d) {
		parts = append([]string{d}, parts...)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i, p := range parts {
		label := filepath.Base(p)
		if i == 0 {
			label = p
		}
		target := p
		btn := &widget.Button{Text: SafeName(label), Importance: widget.LowImportance, OnTapped: func() { b.open(target) }}
		if i > 0 {
			b.crumbs.Add(widget.NewLabel("›"))
		}
		b.crumbs.Add(btn)
	}
	b.crumbs.Refresh()
}

func (b *browser) view() fyne.CanvasObject {
	return container.NewBorder(container.NewVBox(container.NewHScroll(b.crumbs), b.status), nil, nil, nil, b.list)
}

// SafeName makes a file name safe to show: control characters and bidi
// overrides become visible escapes, so a name cannot disguise its extension.
func SafeName(s string) string {
	var sb strings.Builder
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			sb.WriteString("\uFFFD")
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F:
			sb.WriteString("\uFFFD")
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
