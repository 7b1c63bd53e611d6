package ui

import (
	"context"
	"encoding/json"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/local"
	"github.com/ferry-app/ferry/upload"
)

// mkdirs creates the folders (and empty files, for names with a dot
// after the last slash) under dir.
func mkdirs(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if strings.Contains(filepath.Base(n), ".") {
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
			continue
		}
		require.NoError(t, os.MkdirAll(p, 0o755))
	}
}

func placesProvider(t *testing.T, places ...local.Place) *local.Provider {
	t.Helper()
	p, err := local.New(local.Options{Places: places})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// newMain opens the whole window at size over This Computer's places.
func newMain(t *testing.T, size fyne.Size, deps Deps) (*Main, fyne.Window) {
	t.Helper()
	w := test.NewWindow(nil)
	w.Resize(size)
	if deps.Uploads == nil {
		deps.Uploads = fakeUploads{connect: noBackend}
	}
	if deps.ThumbnailDir == "" {
		deps.ThumbnailDir = t.TempDir()
	}
	m := Create(w, deps)
	t.Cleanup(func() { m.Close(); m.browser.Wait(); w.Close() })
	m.browser.Wait()
	return m, w
}

// visibleCrumbs are the texts the breadcrumb shows, left to right.
func visibleCrumbs(b *browser) []string {
	var out []string
	for _, o := range b.crumbs.box.Objects {
		if !o.Visible() {
			continue
		}
		switch o := o.(type) {
		case *hoverLabel:
			out = append(out, o.Text)
		case *widget.Label:
			out = append(out, o.Text)
		case *focusButton:
			out = append(out, o.Text)
		}
	}
	return out
}

func within(t *testing.T, inner, outer fyne.CanvasObject) {
	t.Helper()
	d := fyne.CurrentApp().Driver()
	ip, op := d.AbsolutePositionForObject(inner), d.AbsolutePositionForObject(outer)
	assert.GreaterOrEqual(t, ip.X, op.X, "starts inside")
	assert.LessOrEqual(t, ip.X+inner.Size().Width, op.X+outer.Size().Width+0.5, "ends inside")
}

// TestBreadcrumbKeepsTheCurrentFolderVisibleAt800px: a deep folder at
// 800×600 shows "…" and the current folder inside the bar; the "…" menu
// lists the folders left out and opens them.
func TestBreadcrumbKeepsTheCurrentFolderVisibleAt800px(t *testing.T) {
	test.NewTempApp(t)
	dir := t.TempDir()
	deep := "Projects/Customers/Northwind Traders/Invoices/2026/March/Scanned originals"
	mkdirs(t, dir, deep+"/receipt.pdf")
	m, _ := newMain(t, fyne.NewSize(800, 600), Deps{Local: placesProvider(t, local.Place{Name: "Home", Path: dir, Kind: local.KindHome}),
		StartDir: filepath.Join(dir, filepath.FromSlash(deep))})
	b := m.browser
	require.Equal(t, "Scanned originals", b.loc.folder().Name)

	shown := visibleCrumbs(b)
	require.NotEmpty(t, shown)
	assert.Equal(t, "Scanned originals", shown[len(shown)-1], "the current folder is shown last")
	assert.Contains(t, shown, "…", "the middle collapsed")
	last := b.crumbs.box.Objects[len(b.crumbs.box.Objects)-1]
	within(t, last, b.crumbs.box)
	assert.Equal(t, last.MinSize().Width, last.Size().Width, "the current folder's name is not cut")

	// The "…" menu lists the folders left out, root first; one opens.
	test.Tap(b.crumbs.more)
	require.NotNil(t, b.crumbs.menu)
	var labels []string
	for _, it := range b.crumbs.menu.Items {
		labels = append(labels, it.Label)
	}
	require.NotEmpty(t, labels)
	assert.Equal(t, "Home", labels[0])
	for _, l := range labels {
		assert.NotContains(t, shown, l, "a folder is either in the bar or in the menu")
	}
	b.crumbs.menu.Items[1].Action()
	b.Wait()
	assert.Equal(t, filepath.Join(dir, "Projects"), b.loc.folder().ID)
	m.win.Resize(fyne.NewSize(1000, 680)) // at 800 px even Home › Projects does not fit beside the title
	assert.NotContains(t, visibleCrumbs(b), "…", "a short trail shows whole at the default size")
}

// TestLongAccountNameIsShortenedAndShownWholeOnHover: Fyne 2.7 has no
// tooltips, so the title shows its whole text in a pop-up while hovered.
func TestLongAccountNameIsShortenedAndShownWholeOnHover(t *testing.T) {
	b, w := newTestBrowser(t, nil, restrictions{})
	src := cloudSource(newFakeDrive(3))
	src.Title = "Google Drive — a.very.long.account.name@example-university.edu"
	b.openSource(src, "")
	b.Wait()
	title := b.crumbs.title
	assert.LessOrEqual(t, len([]rune(title.Text)), maxTitleRunes)
	assert.Contains(t, title.Text, "…")
	assert.True(t, strings.HasPrefix(title.Text, "Google Drive"))
	assert.Nil(t, w.Canvas().Overlays().Top())

	title.MouseIn(&desktop.MouseEvent{PointEvent: fyne.PointEvent{AbsolutePosition: fyne.NewPos(30, 10)}})
	top := w.Canvas().Overlays().Top()
	require.NotNil(t, top, "hovering shows the whole name")
	assert.Contains(t, allText(top), "a.very.long.account.name@example-university.edu")
	title.MouseOut()
	assert.Nil(t, w.Canvas().Overlays().Top())
}

// TestUpWorksFromASidebarPlaceAndASearchResult: Documents opened from the
// sidebar has Home above it; Backspace returns there with the cursor on
// Documents.
func TestUpWorksFromASidebarPlaceAndBackspaceReturnsToTheFolderLeft(t *testing.T) {
	test.NewTempApp(t)
	dir := t.TempDir()
	mkdirs(t, dir, "Alpha/a.txt", "Documents/letter.txt", "Music", "b.txt")
	m, w := newMain(t, fyne.NewSize(1000, 700), Deps{Local: placesProvider(t,
		local.Place{Name: "Home", Path: dir, Kind: local.KindHome},
		local.Place{Name: "Documents", Path: filepath.Join(dir, "Documents"), Kind: local.KindDocuments}), StartDir: dir})
	b := m.browser
	require.Equal(t, []string{"This Computer", "Home", "Documents", "Add account…"}, sideLabels(m.sidebar))

	withUI(func() { m.sidebar.list.Select(2) }) // Documents
	b.Wait()
	require.Equal(t, filepath.Join(dir, "Documents"), b.loc.folder().ID)
	assert.False(t, b.upBt.Disabled(), "Documents has a parent")
	w.Canvas().Focus(b.nav)
	b.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	b.Wait()
	assert.Equal(t, dir, b.loc.folder().ID)
	require.Equal(t, []string{"Alpha", "Documents", "Music", "b.txt"}, names(b.shown))
	assert.Equal(t, "Documents", b.itemAt(b.cursor).Name, "the cursor is on the folder Backspace left")
	assert.True(t, rowFor(t, w, 1).b.cursor == 1)

	// Back also returns to the folder left, with the cursor on it when it
	// is in the list (here: Up from Music, then Back into Music, then Back).
	b.activate(2) // Music
	b.Wait()
	assert.Equal(t, 0, b.cursor, "entering a folder puts the cursor on its first item")
	b.goUp()
	b.Wait()
	assert.Equal(t, "Music", b.itemAt(b.cursor).Name)
}

// TestTypeToFindJumpsToTheNextNameStartingWithTheLetters uses its own
// clock: letters typed within a second build one prefix.
func TestTypeToFindJumpsToTheNextNameStartingWithTheLetters(t *testing.T) {
	dir := t.TempDir()
	mkdirs(t, dir, "alpha.txt", "rabbit.png", "report.pdf", "Zeta.md")
	b, w := newTestBrowser(t, nil, restrictions{})
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	b.now = func() time.Time { return now }
	b.openSource(localSource(t, dir), dir)
	b.Wait()
	w.Canvas().Focus(b.nav)
	cur := func() string { return b.itemAt(b.cursor).Name }

	test.Type(b.nav, "r")
	assert.Equal(t, "rabbit.png", cur())
	now = now.Add(300 * time.Millisecond)
	test.Type(b.nav, "e")
	assert.Equal(t, "report.pdf", cur(), `"re" finds report.pdf`)

	now = now.Add(2 * time.Second) // a pause starts a new name
	test.Type(b.nav, "z")
	assert.Equal(t, "Zeta.md", cur(), "case does not matter")
	now = now.Add(2 * time.Second)
	test.Type(b.nav, "a")
	assert.Equal(t, "alpha.txt", cur(), "the search wraps around")
	now = now.Add(2 * time.Second)
	test.Type(b.nav, "rr")
	assert.Equal(t, "report.pdf", cur(), "the same letter again moves to the next match")
	assert.Empty(t, b.Selection(), "typing selects nothing")
}

// TestEscClearsTheFilterThenClosesADialogThenCancelsThePick.
func TestEscClearsTheFilterThenClosesADialogThenCancelsThePick(t *testing.T) {
	test.NewTempApp(t)
	dir := localTree(t)
	cancelled := 0
	m, w := newMain(t, fyne.NewSize(1000, 700), Deps{Local: localSource(t, dir).Prov, StartDir: dir,
		Pick: &app.Pick{Cancelled: func() { cancelled++ }, Done: func([]upload.Result) {}}})
	b := m.browser
	esc := &fyne.KeyEvent{Name: fyne.KeyEscape}

	w.Canvas().Focus(b.search)
	test.Type(b.search, "txt")
	require.Len(t, b.shown, 2)
	b.search.TypedKey(esc)
	assert.Equal(t, "", b.search.Text, "Esc in the filter box clears it")
	assert.Len(t, b.shown, 5)
	assert.Zero(t, cancelled)

	m.showInfo("Something", "to read")
	require.Len(t, m.dialogs, 1)
	withUI(func() { w.Canvas().OnTypedKey()(esc) })
	assert.Empty(t, m.dialogs, "Esc closes the dialog")
	assert.Zero(t, cancelled, "and only the dialog")

	// A dialog Ferry did not open through showDialog (Fyne's folder
	// dialog, which "Add folder…" used) closes too.
	dialog.NewFolderOpen(func(fyne.ListableURI, error) {}, w).Show()
	require.NotNil(t, w.Canvas().Overlays().Top())
	withUI(func() { w.Canvas().OnTypedKey()(esc) })
	assert.Nil(t, w.Canvas().Overlays().Top(), "Esc closes the folder dialog")
	assert.Zero(t, cancelled)

	// From the sort drop-down a selection is cleared first.
	b.click(2, 0)
	require.Len(t, b.Selection(), 1)
	w.Canvas().Focus(b.sortSel)
	b.sortSel.TypedKey(esc)
	assert.Empty(t, b.Selection(), "Esc clears the selection before it cancels")
	assert.Zero(t, cancelled)

	// From a toolbar button: the picker is cancelled.
	w.Canvas().Focus(b.gridBtn)
	b.gridBtn.TypedKey(esc)
	assert.Equal(t, 1, cancelled, "Esc on a focused button cancels the pick")
}

// TestEscFromTheSidebarCancelsThePick: the sidebar has the focus.
func TestEscFromTheSidebarCancelsThePick(t *testing.T) {
	test.NewTempApp(t)
	dir := localTree(t)
	cancelled := 0
	m, w := newMain(t, fyne.NewSize(1000, 700), Deps{Local: localSource(t, dir).Prov, StartDir: dir,
		Pick: &app.Pick{Cancelled: func() { cancelled++ }, Done: func([]upload.Result) {}}})
	w.Canvas().Focus(m.sidebar.list)
	m.sidebar.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	assert.Equal(t, 1, cancelled)
}

// TestCtrlHShowsAndHidesDotFiles, through the window's shortcut.
func TestCtrlHShowsAndHidesDotFiles(t *testing.T) {
	test.NewTempApp(t)
	dir := t.TempDir()
	mkdirs(t, dir, ".config", ".profile", "notes.txt")
	m, w := newMain(t, fyne.NewSize(1000, 700), Deps{Local: localSource(t, dir).Prov, StartDir: dir})
	b := m.browser
	require.Equal(t, []string{"notes.txt"}, names(b.shown))
	ctrlH := &desktop.CustomShortcut{KeyName: fyne.KeyH, Modifier: fyne.KeyModifierShortcutDefault}

	w.Canvas().Focus(b.nav)
	b.nav.TypedShortcut(ctrlH)
	b.Wait()
	assert.Equal(t, []string{".config", ".profile", "notes.txt"}, names(b.shown))
	b.nav.TypedShortcut(ctrlH)
	b.Wait()
	assert.Equal(t, []string{"notes.txt"}, names(b.shown))
}

// TestTabReachesTheToolbarAndTheFocusedWidgetHasARing: Tab walks back,
// up, the breadcrumb and the view toggle, and the focused one shows a
// ring of at least 2 px in the accent colour.
func TestTabReachesTheToolbarAndTheFocusedWidgetHasARing(t *testing.T) {
	dir := localTree(t)
	b, w := newTestBrowser(t, nil, restrictions{})
	b.openSource(localSource(t, dir), dir)
	b.Wait()
	b.activate(0) // Alpha: Back and Up work
	b.Wait()

	reached := map[fyne.Focusable]bool{}
	w.Canvas().Focus(b.nav)
	for range 40 {
		w.Canvas().FocusNext()
		reached[w.Canvas().Focused()] = true
	}
	crumb := b.crumbs.box.Objects[len(b.crumbs.box.Objects)-1].(fyne.Focusable)
	for name, f := range map[string]fyne.Focusable{"back": b.backBtn, "up": b.upBt, "breadcrumb": crumb, "list": b.listBtn, "grid": b.gridBtn, "files": b.nav} {
		assert.True(t, reached[f], "Tab reaches %s", name)
	}

	primary := theme.Color(theme.ColorNamePrimary)
	for name, o := range map[string]fyne.CanvasObject{"up": b.upBt, "breadcrumb": crumb.(fyne.CanvasObject), "search": b.search, "files": b.nav} {
		w.Canvas().Focus(o.(fyne.Focusable))
		img := w.Canvas().Capture()
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
		y := int(pos.Y + o.Size().Height/2)
		x := int(pos.X)
		// The ring's left edge: the widest run of accent pixels across it
		// (positions are rounded to whole pixels, hence the margin).
		run, best := 0, 0
		for dx := -2; dx < 6; dx++ {
			if sameColor(img.At(x+dx, y), primary) {
				run++
				best = max(best, run)
			} else {
				run = 0
			}
		}
		assert.GreaterOrEqual(t, best, focusRingWidth, "%s: a ring at least 2 px wide in the accent colour", name)
		w.Canvas().Unfocus()
		img = w.Canvas().Capture()
		assert.False(t, sameColor(img.At(x+1, y), primary), "%s: no ring without focus", name)
	}
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	d := func(x, y uint32) bool { return x>>8 <= y>>8+24 && y>>8 <= x>>8+24 }
	return d(r1, r2) && d(g1, g2) && d(b1, b2)
}

// userDirs writes $XDG_CONFIG_HOME/user-dirs.dirs as xdg-user-dirs-update
// does, with home as $HOME.
func userDirs(t *testing.T, lines ...string) (home string) {
	t.Helper()
	home = t.TempDir()
	cfg := filepath.Join(home, ".config")
	require.NoError(t, os.MkdirAll(cfg, 0o700))
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", cfg)
	require.NoError(t, os.WriteFile(filepath.Join(cfg, "user-dirs.dirs"),
		[]byte("# This file is written by xdg-user-dirs-update\n"+strings.Join(lines, "\n")+"\n"), 0o600))
	return home
}

// TestSidebarListsPicturesWhenUserDirsNameIt: Pictures and Videos exist
// under their localized names; Music is named but missing, so left out.
func TestSidebarListsPicturesWhenUserDirsNameIt(t *testing.T) {
	test.NewTempApp(t)
	home := userDirs(t, `XDG_PICTURES_DIR="$HOME/Bilder"`, `XDG_MUSIC_DIR="$HOME/Musik"`, `XDG_VIDEOS_DIR="$HOME/Filme"`)
	mkdirs(t, home, "Bilder/cat.jpg", "Filme")
	m, _ := newMain(t, fyne.NewSize(1000, 700), Deps{StartDir: home})
	labels := sideLabels(m.sidebar)
	assert.Contains(t, labels, "Pictures")
	assert.Contains(t, labels, "Videos")
	assert.NotContains(t, labels, "Music", "a folder that does not exist is left out")

	i := labelIndex(labels, "Pictures")
	withUI(func() { m.sidebar.list.Select(i) })
	m.browser.Wait()
	assert.Equal(t, filepath.Join(home, "Bilder"), m.browser.loc.folder().ID)
	assert.Equal(t, []string{"cat.jpg"}, names(m.browser.shown))
	assert.False(t, m.browser.upBt.Disabled(), "Pictures has Home above it")
}

func labelIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestSidebarGroupsMountedVolumesUnderDevices.
func TestSidebarGroupsMountedVolumesUnderDevices(t *testing.T) {
	test.NewTempApp(t)
	dir, usb := t.TempDir(), t.TempDir()
	m, _ := newMain(t, fyne.NewSize(1000, 700), Deps{StartDir: dir, Local: placesProvider(t,
		local.Place{Name: "Home", Path: dir, Kind: local.KindHome},
		local.Place{Name: "USB STICK", Path: usb, Kind: local.KindVolume})})
	assert.Equal(t, []string{"This Computer", "Home", "Devices", "USB STICK", "Add account…"}, sideLabels(m.sidebar))
}

// fakeHistory is an upload history held in memory, newest first.
type fakeHistory struct{ entries []upload.HistoryEntry }

func (h *fakeHistory) Add(r upload.Result) error {
	h.entries = append([]upload.HistoryEntry{{Result: r, Finished: fixedTime}}, h.entries...)
	return nil
}
func (h *fakeHistory) List() ([]upload.HistoryEntry, error) { return h.entries, nil }
func (h *fakeHistory) Clear() error                         { h.entries = nil; return nil }

// TestRecentListsTheFilesPickedThroughFerry: files of this computer from
// the upload history that still exist, newest first, once each.
func TestRecentListsTheFilesPickedThroughFerry(t *testing.T) {
	test.NewTempApp(t)
	dir := t.TempDir()
	mkdirs(t, dir, "old.txt", "photos/new.jpg")
	h := &fakeHistory{}
	for _, p := range []upload.Place{
		{Provider: "local", Path: filepath.Join(dir, "old.txt")},
		{Provider: "local", Path: filepath.Join(dir, "gone.txt")},
		{Provider: "gdrive", Path: "/Reports/q1.pdf"},
		{Provider: "local", Path: filepath.Join(dir, "photos", "new.jpg")},
		{Provider: "local", Path: filepath.Join(dir, "old.txt")},
	} {
		require.NoError(t, h.Add(upload.Result{Name: filepath.Base(p.Path), Source: p}))
	}
	m, _ := newMain(t, fyne.NewSize(1000, 700), Deps{Local: localSource(t, dir).Prov, StartDir: dir, History: h})
	labels := sideLabels(m.sidebar)
	require.Equal(t, []string{"This Computer", "Test", "Recent", "Add account…"}, labels)
	withUI(func() { m.sidebar.list.Select(2) })
	m.browser.Wait()
	assert.Equal(t, "Recent", m.browser.loc.folder().Name)
	assert.ElementsMatch(t, []string{"old.txt", "new.jpg"}, names(m.browser.shown))

	// They are files of this computer: selecting one and uploading queues
	// its path.
	m.browser.click(0, 0)
	assert.Equal(t, "1 selected (1 B)", m.selLabel.Text)
}

// TestBookmarkAddedPersistsToASecondWindow: "Add to sidebar" on a folder
// keeps it in bookmarks.json (0600); a second window lists it; it can be
// removed; a folder dropped onto the sidebar is added too; GTK's
// bookmarks are listed (those Ferry can open) and cannot be removed.
func TestBookmarkAddedPersistsToASecondWindow(t *testing.T) {
	test.NewTempApp(t)
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	dir := localTree(t)
	prov := localSource(t, dir).Prov
	deps := Deps{Local: prov, StartDir: dir}

	m, _ := newMain(t, fyne.NewSize(1000, 700), deps)
	require.Equal(t, "Alpha", m.browser.shown[0].Name)
	menu := m.browser.contextMenu(0)
	require.NotNil(t, menu, "a folder has a context menu")
	require.Equal(t, "Add to sidebar", menu.Items[0].Label)
	assert.Nil(t, m.browser.contextMenu(2), "a file has nothing to add")
	menu.Items[0].Action()
	m.browser.Wait()
	assert.Equal(t, []string{"This Computer", "Test", "Bookmarks", "Alpha", "Add account…"}, sideLabels(m.sidebar))

	file := filepath.Join(cfg, "ferry", "bookmarks.json")
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	var saved bookmarkFile
	data, _ := os.ReadFile(file)
	require.NoError(t, json.Unmarshal(data, &saved))
	assert.Equal(t, []bookmark{{Path: filepath.Join(dir, "Alpha")}}, saved.Bookmarks)

	// Ctrl+D in the file list adds the folder shown.
	m.browser.nav.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyD, Modifier: fyne.KeyModifierShortcutDefault})
	m.browser.Wait()
	assert.Equal(t, []string{"This Computer", "Test", "Bookmarks", "Alpha", filepath.Base(dir), "Add account…"}, sideLabels(m.sidebar))
	m.sidebar.rowMenu(4).Items[0].Action()
	m.browser.Wait()

	// A second window lists it, and opens it.
	m2, _ := newMain(t, fyne.NewSize(1000, 700), deps)
	labels := sideLabels(m2.sidebar)
	require.Equal(t, []string{"This Computer", "Test", "Bookmarks", "Alpha", "Add account…"}, labels)
	withUI(func() { m2.sidebar.list.Select(3) })
	m2.browser.Wait()
	assert.Equal(t, filepath.Join(dir, "Alpha"), m2.browser.loc.folder().ID)
	assert.Equal(t, []string{"This Computer", "›", "Test", "›", "Alpha"}, visibleCrumbs(m2.browser))

	// A folder dropped onto the sidebar is added; files dropped there upload.
	d := fyne.CurrentApp().Driver()
	onSidebar := d.AbsolutePositionForObject(m2.sidebar.list).Add(fyne.NewPos(5, 5))
	m2.onDropped(onSidebar, []fyne.URI{storage.NewFileURI(filepath.Join(dir, "beta"))})
	m2.browser.Wait()
	assert.Equal(t, []string{"This Computer", "Test", "Bookmarks", "Alpha", "beta", "Add account…"}, sideLabels(m2.sidebar))

	// Removing it from the sidebar (its context menu) forgets it.
	rm := m2.sidebar.rowMenu(3)
	require.NotNil(t, rm)
	require.Equal(t, "Remove from sidebar", rm.Items[0].Label)
	rm.Items[0].Action()
	m2.browser.Wait()
	assert.Equal(t, []string{"This Computer", "Test", "Bookmarks", "beta", "Add account…"}, sideLabels(m2.sidebar))

	// GTK's bookmarks are listed (read-only).
	require.NoError(t, os.MkdirAll(filepath.Join(cfg, "gtk-3.0"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(cfg, "gtk-3.0", "bookmarks"),
		[]byte(storage.NewFileURI(filepath.Join(dir, "Alpha")).String()+" Project A\nsftp://example.com/x Remote\n"+
			storage.NewFileURI(t.TempDir()).String()+" Outside\n"), 0o600))
	m3, _ := newMain(t, fyne.NewSize(1000, 700), deps)
	labels = sideLabels(m3.sidebar)
	assert.Equal(t, []string{"This Computer", "Test", "Bookmarks", "beta", "Project A", "Add account…"}, labels)
	assert.Nil(t, m3.sidebar.rowMenu(4), "GTK's bookmarks are not Ferry's to remove")
	// (Not listed: a remote location, and a folder outside This Computer's
	// places, which could not be opened.)
}

// TestDamagedBookmarksFileIsNeverOverwritten: a bookmarks file that cannot
// be read is reported and kept as it is.
func TestDamagedBookmarksFileIsNeverOverwritten(t *testing.T) {
	test.NewTempApp(t)
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	file := filepath.Join(cfg, "ferry", "bookmarks.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o700))
	require.NoError(t, os.WriteFile(file, []byte(`{"version":1,"bookmarks":[{"path":`), 0o600))
	dir := localTree(t)
	m, _ := newMain(t, fyne.NewSize(1000, 700), Deps{Local: localSource(t, dir).Prov, StartDir: dir})
	assert.Contains(t, sideLabels(m.sidebar), "Your sidebar folders cannot be read")
	m.browser.contextMenu(0).Items[0].Action()
	assert.Contains(t, m.status.Text, "cannot be read, so none were added")
	data, _ := os.ReadFile(file)
	assert.Equal(t, `{"version":1,"bookmarks":[{"path":`, string(data))
}

// withLanguage switches T to code for the test, and back to English after.
func withLanguage(t *testing.T, code string) {
	t.Helper()
	t.Setenv("LANGUAGE", code)
	require.NoError(t, LoadTranslations(code))
	t.Cleanup(func() {
		os.Setenv("LANGUAGE", "en")
		if err := LoadTranslations("en"); err != nil {
			t.Error(err)
		}
	})
}

// TestSidebarAndBreadcrumbSnapshots pins the sidebar (places, Recent,
// Devices, Bookmarks) and the breadcrumb (collapsed at 800 px) in the light
// and dark themes, in English and German.
func TestSidebarAndBreadcrumbSnapshots(t *testing.T) {
	for _, lang := range []string{"en", "de"} {
		for _, variant := range []string{"light", "dark"} {
			t.Run(lang+"_"+variant, func(t *testing.T) {
				withLanguage(t, lang)
				a := test.NewTempApp(t)
				ApplyTheme(a, variant)
				cfg := t.TempDir()
				t.Setenv("XDG_CONFIG_HOME", cfg)
				root := t.TempDir()
				home, usb := filepath.Join(root, "home"), filepath.Join(root, "usb")
				deep := "Projects/Customers/Northwind/Invoices/2026/Scanned originals"
				mkdirs(t, home, deep+"/receipt.pdf", "Pictures", "Reports", "Documents")
				mkdirs(t, usb)
				require.NoError(t, saveBookmarks(bookmarksPath(), []bookmark{{Path: filepath.Join(home, "Reports")}}))
				m, w := newMain(t, fyne.NewSize(800, 600), Deps{StartDir: filepath.Join(home, filepath.FromSlash(deep)), History: &fakeHistory{},
					Local: placesProvider(t,
						local.Place{Name: "Home", Path: home, Kind: local.KindHome},
						local.Place{Name: "Documents", Path: filepath.Join(home, "Documents"), Kind: local.KindDocuments},
						local.Place{Name: "Pictures", Path: filepath.Join(home, "Pictures"), Kind: local.KindPictures},
						local.Place{Name: "USB", Path: usb, Kind: local.KindVolume})})
				// Only the sidebar and the navigation bar, in their sizes at
				// 800 px: the rest of the window belongs to other snapshots.
				side := m.sidebar.list
				bar := m.browser.bar
				w.SetContent(container.NewBorder(nil, nil, nil, nil, container.NewHSplit(side, container.NewBorder(bar, nil, nil, nil, nil))))
				split := w.Content().(*fyne.Container).Objects[0].(*container.Split)
				split.SetOffset(0.25)
				w.Resize(fyne.NewSize(800, 300))
				test.AssertRendersToMarkup(t, "sidebar_breadcrumb_"+lang+"_"+variant+".xml", w.Canvas())
			})
		}
	}
}

// treeDrive is a cloud drive with nested folders and paths, searchable:
// My Drive / Reports / 2026 / q1.pdf. Search returns the "2026" folder.
type treeDrive struct{}

var treeEntries = map[string][]providers.Entry{
	"root": {{ID: "f1", Name: "Reports", Path: "/Reports", IsDir: true, Size: -1}, {ID: "x", Name: "a.txt", Path: "/a.txt", Size: 1}},
	"f1":   {{ID: "f2", Name: "2026", Path: "/Reports/2026", IsDir: true, Size: -1}, {ID: "y", Name: "b.txt", Path: "/Reports/b.txt", Size: 1}},
	"f2":   {{ID: "q1", Name: "q1.pdf", Path: "/Reports/2026/q1.pdf", Size: 1}},
}

func (treeDrive) Roots(context.Context) ([]providers.Entry, error) {
	return []providers.Entry{{ID: "root", Name: "My Drive", Path: "/", IsDir: true, Size: -1}}, nil
}

func (treeDrive) List(_ context.Context, id, _ string) (providers.Page, error) {
	return providers.Page{Entries: treeEntries[id]}, nil
}

func (treeDrive) Stat(_ context.Context, id string) (providers.Entry, error) {
	if id == "" || id == "root" {
		return providers.Entry{ID: "root", Name: "My Drive", Path: "/", IsDir: true, Size: -1}, nil
	}
	for _, es := range treeEntries {
		for _, e := range es {
			if e.ID == id {
				return e, nil
			}
		}
	}
	return providers.Entry{}, providers.ErrNotFound
}

func (treeDrive) Open(context.Context, string, int64) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("x")), nil
}

func (treeDrive) Search(_ context.Context, q, _ string) (providers.Page, error) {
	return providers.Page{Entries: []providers.Entry{treeEntries["f1"][0]}}, nil
}

// TestUpWorksInACloudFolderFoundBySearch: a folder opened from search
// results has the folders above it, so Up and Backspace lead there.
func TestUpWorksInACloudFolderFoundBySearch(t *testing.T) {
	b, w := newTestBrowser(t, nil, restrictions{})
	b.openSource(cloudSource(treeDrive{}), "")
	b.Wait()
	b.submitSearch("2026")
	b.Wait()
	require.Equal(t, []string{"2026"}, names(b.shown))
	b.activate(0)
	b.Wait()
	require.Equal(t, "f2", b.loc.folder().ID)
	assert.Equal(t, []string{"Fake Drive", "›", "My Drive", "›", "Reports", "›", "2026"}, visibleCrumbs(b))
	assert.False(t, b.upBt.Disabled())
	w.Canvas().Focus(b.nav)
	b.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	b.Wait()
	assert.Equal(t, "f1", b.loc.folder().ID)
	assert.Equal(t, "2026", b.itemAt(b.cursor).Name)
}
