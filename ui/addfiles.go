package ui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/internal/humanize"
)

// addFilesDialog is Ferry's own chooser for "Add files…" and "Add
// folder…", used where the desktop has no file chooser portal (portal.go):
// it lists local folders and files, a click opens a folder or ticks a file,
// and only its Add button queues the ticked files. For folders it lists
// only folders, each with a tick box, and Add takes the ticked folders or,
// with none ticked, the folder shown. Fyne's file dialog is not used: it
// chooses one file, and it uploads on the second click of a double click on
// a folder, since that click lands on whatever file the opened folder shows
// under the pointer (issue 20). Here no click uploads, and a click arriving
// within the double-click interval after the list changed is ignored, since
// the person cannot have seen what it landed on.
type addFilesDialog struct {
	m       *Main
	folders bool // choosing folders, not files
	dir     string
	entries []addEntry
	chosen  map[string]int64 // ticked files (or folders) by path, kept across folders
	changed time.Time        // when the list last showed other content
	now     func() time.Time // the clock; tests move it past the interval

	list   *widget.List
	where  *widget.Label
	count  *widget.Label
	up     *widget.Button
	add    *widget.Button
	dialog *dialog.CustomDialog
}

type addEntry struct {
	name, path string
	dir        bool
	size       int64
}

// ownChooser opens Ferry's own "Add files…" (folders: "Add folder…")
// dialog at start.
func (m *Main) ownChooser(folders bool, start string) {
	d := &addFilesDialog{m: m, folders: folders, chosen: map[string]int64{}, now: time.Now}
	d.where = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	d.count = widget.NewLabel("")
	d.up = &widget.Button{Icon: theme.MoveUpIcon(), Importance: widget.LowImportance, OnTapped: func() {
		d.open(filepath.Dir(d.dir))
	}}
	d.add = &widget.Button{Text: T("Add"), Icon: theme.UploadIcon(), Importance: widget.HighImportance, OnTapped: d.confirm}
	cancel := &widget.Button{Text: T("Cancel"), OnTapped: func() { d.dialog.Hide() }}
	d.list = widget.NewList(func() int { return len(d.entries) }, d.newRow, d.bindRow)
	d.list.OnSelected = func(id widget.ListItemID) {
		d.list.Unselect(id) // ticks are shown by the row, not the list's highlight
		d.activate(id)
	}
	top := container.NewBorder(nil, nil, d.up, nil, d.where)
	body := container.NewBorder(top, d.count, nil, nil, d.list)
	title := T("Add files")
	if folders {
		title = T("Add folder")
	}
	d.dialog = dialog.NewCustomWithoutButtons(title, body, m.win)
	d.dialog.SetButtons([]fyne.CanvasObject{cancel, d.add})
	d.dialog.Resize(fyne.NewSize(560, 460))
	m.addFiles = d
	d.open(filepath.Clean(start))
	d.showCount()
	m.showDialog(d.dialog)
}

func (d *addFilesDialog) newRow() fyne.CanvasObject {
	// A file's row ticks it, so its tick is only a picture; a folder's row
	// opens it, so choosing folders needs a tick box of its own.
	var tick fyne.CanvasObject = widget.NewIcon(nil)
	if d.folders {
		tick = &widget.Button{Icon: theme.CheckButtonIcon(), Importance: widget.LowImportance}
	}
	icon := widget.NewIcon(theme.FileIcon())
	size := widget.NewLabel("")
	name := &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	return container.NewBorder(nil, nil, container.NewHBox(tick, icon), size, name)
}

func (d *addFilesDialog) bindRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(d.entries) {
		return
	}
	e := d.entries[id]
	c := o.(*fyne.Container)
	name, left, size := c.Objects[0].(*widget.Label), c.Objects[1].(*fyne.Container), c.Objects[2].(*widget.Label)
	icon := left.Objects[1].(*widget.Icon)
	name.SetText(SafeName(e.name))
	if box, ok := left.Objects[0].(*widget.Button); ok {
		box.SetIcon(theme.CheckButtonIcon())
		if _, ok := d.chosen[e.path]; ok {
			box.SetIcon(theme.CheckButtonCheckedIcon())
		}
		box.OnTapped = func() { d.tick(id) }
		icon.SetResource(theme.FolderIcon())
		size.SetText("")
		return
	}
	tick := left.Objects[0].(*widget.Icon)
	if e.dir {
		tick.SetResource(nil)
		icon.SetResource(theme.FolderIcon())
		size.SetText("")
		return
	}
	if _, ok := d.chosen[e.path]; ok {
		tick.SetResource(theme.CheckButtonCheckedIcon())
	} else {
		tick.SetResource(theme.CheckButtonIcon())
	}
	icon.SetResource(theme.FileIcon())
	size.SetText(humanize.Bytes(e.size))
}

// activate opens a folder or ticks/unticks a file, unless the click came
// too soon after the list changed to have been aimed at what it shows now.
func (d *addFilesDialog) activate(id int) {
	if !d.aimed(id) {
		return
	}
	e := d.entries[id]
	if e.dir {
		d.open(e.path)
		return
	}
	d.toggle(id)
}

// tick is a folder's tick box: it ticks or unticks the folder.
func (d *addFilesDialog) tick(id int) {
	if d.aimed(id) {
		d.toggle(id)
	}
}

// aimed reports whether a click on row id can have been meant for what it
// shows now: not one arriving within the double-click interval after the
// list changed.
func (d *addFilesDialog) aimed(id int) bool {
	return id >= 0 && id < len(d.entries) &&
		d.now().Sub(d.changed) >= fyne.CurrentApp().Driver().DoubleTapDelay()
}

func (d *addFilesDialog) toggle(id int) {
	e := d.entries[id]
	if _, ok := d.chosen[e.path]; ok {
		delete(d.chosen, e.path)
	} else {
		d.chosen[e.path] = e.size
	}
	d.list.RefreshItem(id)
	d.showCount()
}

// open lists dir (local folders list quickly; the dialog waits for it).
func (d *addFilesDialog) open(dir string) {
	des, err := os.ReadDir(dir)
	if err != nil {
		d.where.SetText(T("Cannot list {{.Name}}: {{.Reason}}.", "Name", SafeName(dir), "Reason", oneLine(err)))
		return
	}
	entries := make([]addEntry, 0, len(des))
	for _, de := range des {
		if !d.m.deps.ShowHidden && strings.HasPrefix(de.Name(), ".") {
			continue
		}
		e := addEntry{name: de.Name(), path: filepath.Join(dir, de.Name())}
		info, err := os.Stat(e.path) // follows links, as opening them would
		if err != nil {
			continue
		}
		e.dir, e.size = info.IsDir(), info.Size()
		if d.folders && !e.dir {
			continue
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b addEntry) int {
		if a.dir != b.dir {
			if a.dir {
				return -1
			}
			return 1
		}
		return naturalCompare(strings.ToLower(a.name), strings.ToLower(b.name))
	})
	d.dir, d.entries = dir, entries
	d.where.SetText(SafeName(dir))
	if filepath.Dir(dir) == dir {
		d.up.Disable()
	} else {
		d.up.Enable()
	}
	d.changed = d.now()
	d.showCount()
	d.list.UnselectAll()
	d.list.Refresh()
	d.list.ScrollToTop()
}

func (d *addFilesDialog) showCount() {
	if d.folders {
		if len(d.chosen) == 0 {
			d.count.SetText(T("Add the folder shown, or tick folders to add several."))
			d.add.SetText(T("Add this folder"))
		} else {
			d.count.SetText(N("{{.Count}} folders selected", len(d.chosen)))
			d.add.SetText(N("Add {{.Count}} folders", len(d.chosen)))
		}
		d.add.Enable()
		return
	}
	if len(d.chosen) == 0 {
		d.count.SetText(T("Click files to choose them, then Add."))
		d.add.SetText(T("Add"))
		d.add.Disable()
		return
	}
	var size int64
	for _, s := range d.chosen {
		size += s
	}
	d.count.SetText(T("{{.N}} selected ({{.Size}})", "N", len(d.chosen), "Size", humanize.Bytes(size)))
	d.add.SetText(N("Add {{.Count}} files", len(d.chosen)))
	d.add.Enable()
}

// confirm is the Add button: it queues the ticked files or folders, in
// name order (choosing folders with none ticked: the folder shown).
func (d *addFilesDialog) confirm() {
	if d.folders && len(d.chosen) == 0 && d.dir != "" {
		d.dialog.Hide()
		d.m.AddPaths([]string{d.dir})
		return
	}
	if len(d.chosen) == 0 {
		return
	}
	paths := make([]string, 0, len(d.chosen))
	for p := range d.chosen {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	d.dialog.Hide()
	d.m.AddPaths(paths)
}
