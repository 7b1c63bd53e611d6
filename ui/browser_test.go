package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/internal/thumbs"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/local"
)

func init() { time.Local = time.UTC } // snapshots show fixed dates

// newTestBrowser puts a browser over p in a test window.
func newTestBrowser(t testing.TB, src *source, rules restrictions) (*browser, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	b := newBrowser(ctx, thumbs.NewLoader(thumbs.Options{Dir: t.TempDir(), Workers: 1}), func() restrictions { return rules })
	w := test.NewWindow(b.view())
	w.Resize(fyne.NewSize(900, 600))
	t.Cleanup(func() { cancel(); b.Wait(); w.Close() })
	return b, w
}

func cloudSource(p providers.Provider) *source {
	return &source{Key: "fake\x00acct", Title: "Fake Drive", Remote: "fake", Prov: p, Feat: providers.FeaturesOf(p)}
}

func localSource(t *testing.T, dir string) *source {
	t.Helper()
	p, err := local.New(local.Options{Places: []local.Place{{Name: "Test", Path: dir, Kind: local.KindFolder}}})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return &source{Key: "local", Title: "This Computer", Prov: p, Feat: providers.FeaturesOf(p), Local: true}
}

func names(items []*item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Name
	}
	return out
}

// rowFor finds the rendered row or cell showing item index i.
func rowFor(t *testing.T, w fyne.Window, i int) *fileRow {
	t.Helper()
	var found *fileRow
	for _, o := range test.LaidOutObjects(w.Content()) {
		if r, ok := o.(*fileRow); ok && r.idx == i && r.Visible() && r.grid == r.b.gridMode && found == nil {
			found = r
		}
	}
	require.NotNil(t, found, "row %d is rendered", i)
	return found
}

func TestHundredThousandEntryFolderShowsFirstPageWhileLoading(t *testing.T) {
	d := newFakeDrive(100_000)
	d.gate = make(chan struct{})
	d.asked = make(chan string, 1000)
	b, w := newTestBrowser(t, nil, restrictions{})
	b.openSource(cloudSource(d), "")

	require.Equal(t, "", <-d.asked)
	require.Equal(t, "500", <-d.asked, "the second page is asked for only after the first is shown")
	require.Len(t, b.shown, 500)
	assert.True(t, b.loading)
	assert.Equal(t, 501, b.length(), "a loading row follows the first page")
	assert.Contains(t, rowFor(t, w, 0).name.Text, "folder 7", "folders first")
	b.list.ScrollToBottom()
	last := rowFor(t, w, 500)
	assert.Nil(t, last.it)
	assert.Equal(t, "Loading more… 500 items so far", last.name.Text)

	go func() {
		for range d.asked {
		}
	}()
	close(d.gate)
	b.Wait()
	close(d.asked)
	require.Len(t, b.shown, 100_000)
	assert.False(t, b.loading)
	assert.Equal(t, 100_000, b.length())
	assert.Equal(t, "100000 items", b.status.Text)
	// Folders first, then natural order: "file 2" before "file 10".
	assert.Equal(t, "folder 7", b.shown[0].Name)
	assert.Equal(t, "folder 99007", b.shown[99].Name)
	assert.Equal(t, []string{"file 0", "file 1", "file 2", "file 3"}, trimExt(names(b.shown[100:104])))
	b.list.ScrollToBottom()
	assert.Equal(t, "file 99999.txt", rowFor(t, w, 99_999).name.Text)
}

// withUI runs a test action that starts a worker and then touches widgets
// itself (Select calls OnChanged before refreshing), holding the lock onMain
// takes, as the UI goroutine would be busy in the app.
func withUI(f func()) {
	uiMu.Lock()
	defer uiMu.Unlock()
	f()
}

func trimExt(s []string) []string {
	for i := range s {
		s[i] = strings.TrimSuffix(s[i], ".txt")
	}
	return s
}

func TestSortFilterAndProviderSearch(t *testing.T) {
	d := newFakeDrive(3000)
	b, _ := newTestBrowser(t, nil, restrictions{})
	b.openSource(cloudSource(searchDrive{d}), "")
	b.Wait()
	require.Len(t, b.shown, 3000)

	withUI(func() { b.sortSel.SetSelected("Size") })
	b.Wait()
	b.orderBtn.OnTapped() // descending
	b.Wait()
	assert.Equal(t, "folder 2007", b.shown[0].Name, "folders stay first in every order")
	assert.Equal(t, "file 2999.txt", b.shown[3].Name, "largest file first")
	withUI(func() { b.sortSel.SetSelected("Modified") })
	b.Wait()
	assert.Equal(t, "file 2999.txt", b.shown[3].Name, "newest first")
	b.orderBtn.OnTapped()
	b.Wait()
	assert.Equal(t, "file 0.txt", b.shown[3].Name, "oldest first")

	// Typing filters the folder at once.
	test.Type(b.search, "file 12")
	assert.Equal(t, []string{"file 12.txt", "file 120.txt", "file 121.txt"}, names(b.shown[:3]))
	assert.Len(t, b.shown, 111)
	assert.Equal(t, "111 of 3000 items match “file 12”", b.status.Text)

	// Enter runs the provider's own search.
	withUI(func() { b.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
	b.Wait()
	assert.Equal(t, []string{"file 12"}, d.searches)
	assert.Equal(t, "file 12", b.loc.query)
	assert.Len(t, b.all, 111)
	assert.Contains(t, crumbTexts(b), "Search: “file 12”")
	b.goUp()
	b.Wait()
	assert.Empty(t, b.loc.query)
	assert.Len(t, b.shown, 3000, "back in the folder, the filter is cleared")
	assert.Empty(t, b.search.Text)
}

func crumbTexts(b *browser) []string {
	var out []string
	for _, o := range b.crumbs.box.Objects {
		if !o.Visible() {
			continue
		}
		switch o := o.(type) {
		case *hoverLabel:
			out = append(out, o.Text)
		case *focusButton:
			out = append(out, o.Text)
		case *widget.Label:
			out = append(out, o.Text)
		case *widget.Button:
			out = append(out, o.Text)
		}
	}
	return out
}

// localTree makes: Alpha/inner.txt, beta/, c.txt (3 B), d.txt (5 B), huge.iso (2000 B)
func localTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, size := range map[string]int{"Alpha/inner.txt": 1, "c.txt": 3, "d.txt": 5, "huge.iso": 2000} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(strings.Repeat("x", size)), 0o644))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "beta"), 0o755))
	return dir
}

func TestNavigationBreadcrumbsBackForwardUpAndKeys(t *testing.T) {
	dir := localTree(t)
	b, w := newTestBrowser(t, nil, restrictions{})
	b.openSource(localSource(t, dir), dir)
	b.Wait()
	assert.Equal(t, []string{"Alpha", "beta", "c.txt", "d.txt", "huge.iso"}, names(b.shown))
	assert.True(t, b.backBtn.Disabled())
	assert.True(t, b.upBt.Disabled())

	// Enter on the cursor (first row) opens Alpha.
	w.Canvas().Focus(b.nav)
	b.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	b.Wait()
	assert.Equal(t, filepath.Join(dir, "Alpha"), b.loc.folder().ID)
	assert.Equal(t, []string{"This Computer", "›", "Test", "›", "Alpha"}, crumbTexts(b))
	assert.Equal(t, []string{"inner.txt"}, names(b.shown))

	// Backspace goes up; Back and Forward walk the history.
	b.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	b.Wait()
	assert.Equal(t, dir, b.loc.folder().ID)
	b.backBtn.OnTapped()
	b.Wait()
	assert.Equal(t, filepath.Join(dir, "Alpha"), b.loc.folder().ID)
	assert.False(t, b.fwdBtn.Disabled())
	b.fwdBtn.OnTapped()
	b.Wait()
	assert.Equal(t, dir, b.loc.folder().ID)

	// A breadcrumb opens its folder.
	b.activate(0)
	b.Wait()
	b.crumbs.box.Objects[4].(*focusButton).OnTapped()
	b.Wait()
	assert.Equal(t, dir, b.loc.folder().ID)

	// Double-click opens a folder too.
	test.DoubleTap(rowFor(t, w, 1))
	b.Wait()
	assert.Equal(t, filepath.Join(dir, "beta"), b.loc.folder().ID)
	assert.Equal(t, "This folder is empty.", b.status.Text)
}

func TestSelectionClicksKeysAndRestrictions(t *testing.T) {
	dir := localTree(t)
	b, w := newTestBrowser(t, nil, restrictions{MaxFileSize: 1000})
	var last []*item
	b.onSelectionChanged = func(s []*item) { last = s }
	b.openSource(localSource(t, dir), dir)
	b.Wait()
	mods := fyne.KeyModifier(0)
	currentModifiers = func() fyne.KeyModifier { return mods }
	t.Cleanup(func() { currentModifiers = func() fyne.KeyModifier { return 0 } })

	test.Tap(rowFor(t, w, 2)) // c.txt
	assert.Equal(t, []string{"c.txt"}, names(last))
	assert.Equal(t, w.Canvas().Focused(), b.nav, "a click focuses the list for the keyboard")
	mods = fyne.KeyModifierControl
	test.Tap(rowFor(t, w, 0)) // + Alpha (a whole folder)
	assert.Equal(t, []string{"Alpha", "c.txt"}, names(last))
	test.Tap(rowFor(t, w, 2)) // - c.txt
	assert.Equal(t, []string{"Alpha"}, names(last))
	mods = fyne.KeyModifierShift
	test.Tap(rowFor(t, w, 4)) // range from the last click (c.txt) to huge.iso, which is excluded
	assert.Equal(t, []string{"c.txt", "d.txt"}, names(last))
	mods = fyne.KeyModifierShift | fyne.KeyModifierControl
	test.Tap(rowFor(t, w, 0)) // Ctrl+Shift adds the range Alpha … c.txt
	assert.Equal(t, []string{"Alpha", "beta", "c.txt", "d.txt"}, names(last))

	// The excluded file is set in italics, explains itself, and Ctrl+A skips it.
	huge := rowFor(t, w, 4)
	assert.True(t, huge.name.TextStyle.Italic)
	assert.False(t, rowFor(t, w, 3).name.TextStyle.Italic)
	assert.Equal(t, "Larger than the 1000 B the upload service accepts", huge.tooltip())
	huge.MouseIn(desktopEvent())
	require.NotNil(t, huge.tip, "hovering shows the reason as a tooltip")
	huge.MouseOut()
	assert.Nil(t, huge.tip)
	mods = 0
	test.Tap(huge)
	assert.Empty(t, last, "an excluded file cannot be selected")
	b.nav.TypedShortcut(&fyne.ShortcutSelectAll{})
	assert.Equal(t, []string{"Alpha", "beta", "c.txt", "d.txt"}, names(last))
	b.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	assert.Empty(t, last)

	// Arrows move the cursor, Space toggles, Shift+arrow extends.
	b.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeyHome})
	b.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	b.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	b.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	assert.Equal(t, []string{"c.txt"}, names(last))
	assert.Equal(t, theme2Confirm(), rowFor(t, w, 2).mark.Resource, "a selected row shows a tick")
	mods = fyne.KeyModifierShift
	b.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	assert.Equal(t, []string{"c.txt", "d.txt"}, names(last))
	b.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	assert.Equal(t, []string{"c.txt"}, names(last), "Space toggles the cursor's item")

	// Ctrl+F moves the focus to the search box.
	b.nav.TypedShortcut(shortcutFind)
	assert.Equal(t, w.Canvas().Focused(), b.search)
}

func TestGridViewKeysAndCells(t *testing.T) {
	d := newFakeDrive(40)
	b, w := newTestBrowser(t, nil, restrictions{})
	b.openSource(cloudSource(d), "")
	b.Wait()
	b.gridBtn.OnTapped()
	assert.True(t, b.gridMode)
	assert.False(t, b.grid.Hidden)
	assert.True(t, b.list.Hidden)
	cell := rowFor(t, w, 0)
	assert.True(t, cell.grid)
	assert.Equal(t, "folder 7", cell.name.Text)
	cols := b.grid.ColumnCount()
	require.Greater(t, cols, 1)
	w.Canvas().Focus(b.nav)
	b.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	assert.Equal(t, cols, b.cursor, "Down moves a whole row of cells")
	b.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	assert.Equal(t, cols+1, b.cursor)
	b.listBtn.OnTapped()
	assert.False(t, b.gridMode)
}

func TestThumbnailLoadsOfRowsScrolledAwayAreCancelled(t *testing.T) {
	d := newFakeDrive(300)
	for i := range d.entries {
		d.entries[i].HasThumbnail = true
		d.entries[i].MIMEType = "image/jpeg"
	}
	d.thumbBlock = make(chan struct{})
	d.thumbAsked = make(chan string, 1000)
	b, _ := newTestBrowser(t, nil, restrictions{})
	b.openSource(cloudSource(thumbDrive{d}), "")
	<-d.thumbAsked // rows are bound; the one worker is busy with the first

	// A row far below the visible ones is bound to three files in turn, as
	// when scrolling fast: only the last may be fetched.
	r := newFileRow(b, false)
	r.bind(250, b.shown[250])
	r.bind(251, b.shown[251])
	r.bind(252, b.shown[252])
	close(d.thumbBlock)
	b.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, i := range []int{250, 251} {
		_, asked := d.thumbCtx[b.shown[i].ID]
		assert.False(t, asked, "the load for row %d was cancelled before fetching", i)
	}
	_, asked := d.thumbCtx[b.shown[252].ID]
	assert.True(t, asked, "the row's current file is loaded")
	assert.GreaterOrEqual(t, b.thumbs.Stats().Cancelled, int64(2))
	assert.Equal(t, "fake\x00acct\x00"+b.shown[252].ID+"\x00r1", r.thumbKey)
}

func TestLocalImageThumbnailAndPreview(t *testing.T) {
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	f, err := os.Create(filepath.Join(dir, "photo.jpg"))
	require.NoError(t, err)
	require.NoError(t, jpeg.Encode(f, img, nil))
	require.NoError(t, f.Close())
	text := "hello\x1b[31m world\u202e\nsecond line\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(text), 0o644))

	b, w := newTestBrowser(t, nil, restrictions{})
	p := newPreview(b.ctx, b.thumbs, &b.jobs)
	b.onCursorChanged = func(it *item) { p.show(b.loc.src, it) }
	w.SetContent(p.view())
	w.SetContent(b.view())
	b.openSource(localSource(t, dir), dir)
	b.Wait()
	require.Equal(t, []string{"notes.txt", "photo.jpg"}, names(b.shown))
	row := rowFor(t, w, 1)
	require.NotNil(t, row.thumb.Image, "the image row shows its thumbnail")
	assert.Equal(t, 256, row.thumb.Image.Bounds().Dx())
	assert.True(t, row.icon.Hidden)

	// Text preview: sanitised, with metadata and a SHA-256.
	b.setCursor(0)
	b.Wait()
	assert.Equal(t, "notes.txt", p.title.Text)
	assert.Equal(t, "hello\uFFFD[31m world\uFFFD\nsecond line\n", p.text.Text)
	sum := sha256.Sum256([]byte(text))
	assert.Equal(t, "sha256 "+hex.EncodeToString(sum[:]), p.hash.Text)
	assert.Equal(t, "text/plain; charset=utf-8", p.typ.Text)
	assert.Equal(t, filepath.Join(dir, "notes.txt"), p.where.Text)

	// Image preview: a larger image.
	b.setCursor(1)
	b.Wait()
	require.NotNil(t, p.img.Image)
	assert.Equal(t, 640, p.img.Image.Bounds().Dx(), "not enlarged beyond the original")
	assert.False(t, p.img.Hidden)
	assert.GreaterOrEqual(t, p.img.Size().Height, float32(200), "laid out at the picture's height, not the icon's")
	assert.True(t, p.text.Hidden)
}
