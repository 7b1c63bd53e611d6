package ui

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/internal/appdirs"
	"github.com/ferry-app/ferry/internal/atomicfile"
	"github.com/ferry-app/ferry/providers"
)

// bookmark is a folder of This Computer the person added to the sidebar.
type bookmark struct {
	Path string `json:"path"`
	Name string `json:"name,omitempty"` // "" shows the folder's own name
	// gtk marks one read from GTK's bookmarks, which Ferry never writes.
	gtk bool
}

func (b bookmark) label() string {
	if b.Name != "" {
		return b.Name
	}
	return filepath.Base(b.Path)
}

// bookmarkFile is bookmarks.json in Ferry's config folder.
type bookmarkFile struct {
	Version   int        `json:"version"`
	Bookmarks []bookmark `json:"bookmarks"`
}

func bookmarksPath() string { return filepath.Join(appdirs.ConfigDir(), "bookmarks.json") }

// gtkBookmarksPath is where GTK 3 keeps the bookmarks of GNOME's Files and
// every GTK file chooser ($XDG_CONFIG_HOME/gtk-3.0/bookmarks).
func gtkBookmarksPath() string {
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" || !filepath.IsAbs(cfg) {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		cfg = filepath.Join(home, ".config")
	}
	return filepath.Join(cfg, "gtk-3.0", "bookmarks")
}

// loadBookmarks reads Ferry's bookmarks; a missing file is none. A file
// that cannot be read is an error, and is then never overwritten.
func loadBookmarks(path string) ([]bookmark, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sidebar bookmarks: %w", err)
	}
	var f bookmarkFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("sidebar bookmarks %s: %w", path, err)
	}
	return f.Bookmarks, nil
}

// saveBookmarks replaces the file atomically, readable by the person only.
func saveBookmarks(path string, bms []bookmark) error {
	data, err := json.MarshalIndent(bookmarkFile{Version: 1, Bookmarks: bms}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sidebar bookmarks: %w", err)
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("sidebar bookmarks: %w", err)
	}
	return nil
}

// loadGTKBookmarks reads GTK's bookmarks file: one "URI [label]" a line.
// Only local folders (file:// URIs) are kept; the file is never written.
func loadGTKBookmarks(path string) []bookmark {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []bookmark
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		uri, label, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		u, err := url.Parse(uri)
		if err != nil || u.Scheme != "file" || u.Path == "" || (u.Host != "" && u.Host != "localhost") {
			continue
		}
		out = append(out, bookmark{Path: filepath.Clean(u.Path), Name: strings.TrimSpace(label), gtk: true})
	}
	return out
}

// addBookmark adds a folder of This Computer to the sidebar and keeps it
// in bookmarks.json.
func (s *sidebar) addBookmark(src *source, folder providers.Entry) {
	if src == nil || !src.Local || !folder.IsDir || !isDir(folder.ID) { // not Recent
		return
	}
	s.addBookmarkPaths([]string{folder.ID})
}

func (s *sidebar) addBookmarkPaths(paths []string) {
	m := s.m
	bms, err := loadBookmarks(s.bookmarksFile)
	if err != nil {
		m.status.SetText(T("The sidebar's folders cannot be read, so none were added: {{.Reason}}", "Reason", oneLine(err)))
		return
	}
	added := 0
	for _, p := range paths {
		p = filepath.Clean(p)
		dup := false
		for _, b := range bms {
			dup = dup || b.Path == p
		}
		if !dup {
			bms = append(bms, bookmark{Path: p})
			added++
		}
	}
	if added == 0 {
		m.status.SetText(T("That folder is in the sidebar already."))
		return
	}
	if err := saveBookmarks(s.bookmarksFile, bms); err != nil {
		m.status.SetText(T("Cannot add to the sidebar: {{.Reason}}", "Reason", oneLine(err)))
		return
	}
	m.status.SetText(N("Added {{.Count}} folders to the sidebar.", added))
	s.reload()
}

// removeBookmark takes a folder the person added off the sidebar.
func (s *sidebar) removeBookmark(path string) {
	m := s.m
	bms, err := loadBookmarks(s.bookmarksFile)
	if err != nil {
		m.status.SetText(T("The sidebar's folders cannot be read, so none were removed: {{.Reason}}", "Reason", oneLine(err)))
		return
	}
	kept := bms[:0]
	for _, b := range bms {
		if b.Path != path {
			kept = append(kept, b)
		}
	}
	if err := saveBookmarks(s.bookmarksFile, kept); err != nil {
		m.status.SetText(T("Cannot remove from the sidebar: {{.Reason}}", "Reason", oneLine(err)))
		return
	}
	s.reload()
}

// dropped adds folders dropped onto the sidebar as bookmarks, and reports
// whether it did. A drop with files in it is an upload, wherever it lands.
// Fyne delivers drops to the whole window with a position, hence the hit
// test.
func (s *sidebar) dropped(pos fyne.Position, uris []fyne.URI) bool {
	d := fyne.CurrentApp().Driver()
	at := d.AbsolutePositionForObject(s.list)
	size := s.list.Size()
	if pos.X < at.X || pos.Y < at.Y || pos.X >= at.X+size.Width || pos.Y >= at.Y+size.Height {
		return false
	}
	var dirs []string
	for _, u := range uris {
		if u.Scheme() != "file" {
			continue
		}
		if fi, err := os.Stat(u.Path()); err == nil && fi.IsDir() {
			dirs = append(dirs, u.Path())
		}
	}
	if len(dirs) == 0 || len(dirs) < len(uris) {
		return false // files among them: the person wants them uploaded
	}
	s.addBookmarkPaths(dirs)
	return true
}

// TappedSecondary opens a row's context menu (a right click).
func (r *fileRow) TappedSecondary(ev *fyne.PointEvent) {
	if r.idx >= 0 {
		r.b.showContextMenu(r.idx, ev.AbsolutePosition)
	}
}

// contextMenu returns the actions for item i: "Add to sidebar" for a
// folder of This Computer.
func (b *browser) contextMenu(i int) *fyne.Menu {
	it := b.itemAt(i)
	src := b.loc.src
	if it == nil || src == nil || !it.IsDir || !src.Local || b.onBookmark == nil {
		return nil
	}
	return fyne.NewMenu("", fyne.NewMenuItem(T("Add to sidebar"), func() { b.onBookmark(src, it.Entry) }))
}

func (b *browser) showContextMenu(i int, at fyne.Position) {
	menu := b.contextMenu(i)
	c := fyne.CurrentApp().Driver().CanvasForObject(b.nav)
	if menu == nil || c == nil {
		return
	}
	widget.ShowPopUpMenuAtPosition(menu, c, at)
}
