package ui

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/internal/portal"
	"github.com/ferry-app/ferry/internal/portal/portaltest"
)

// The portal tests drive the real D-Bus client (internal/portal) on a
// private dbus-daemon, against Debian's real xdg-desktop-portal in front of
// a backend that answers without a person, or, to check current_folder
// (which Debian 12's frontend does not pass on for OpenFile), against
// portaltest's fake of the documented org.freedesktop.portal.FileChooser.

func queuedNames(m *Main) []string {
	var names []string
	for _, r := range m.queue.Rows() {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	return names
}

// enterFolder opens the browsed folder's subfolder name, as a double click
// would.
func enterFolder(t *testing.T, m *Main, name string) {
	t.Helper()
	withUI(func() {
		for i, it := range m.browser.shown {
			if it.Name == name {
				m.browser.activate(i)
				return
			}
		}
		t.Fatalf("%s is not shown", name)
	})
	m.browser.Wait()
}

// TestAddFilesOpensTheDesktopChooser is issue 21 item 5: "Add files…"
// asks the desktop's chooser for several files, starting in the folder
// being browsed, and queues what the person chose; an address that is not
// a file here is listed as left out, without its query.
func TestAddFilesOpensTheDesktopChooser(t *testing.T) {
	test.NewTempApp(t)
	connect, storeDir := embeddedConnect(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "trip", "a.jpg"), 100)
	writeRandom(t, filepath.Join(src, "trip", "b c+d.jpg"), 200)
	bus := portaltest.StartBus(t)
	fake := portaltest.Start(t, bus, func(portaltest.Call) portaltest.Reply {
		return portaltest.Reply{URIs: []string{
			"file://" + filepath.ToSlash(filepath.Join(src, "trip", "a.jpg")),
			"file://" + filepath.ToSlash(filepath.Join(src, "trip", "b%20c+d.jpg")),
			"https://cloud.example/x.jpg?token=s3cret",
		}}
	})

	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, ThumbnailDir: t.TempDir(),
		Chooser: portal.FileChooser{Address: bus}})
	defer m.Close()
	m.browser.Wait()
	enterFolder(t, m, "trip")

	test.Tap(buttonIn(t, w.Content(), "Add files"))
	m.Wait()

	calls := fake.Calls()
	require.Len(t, calls, 1, "the desktop's chooser was asked once")
	c := calls[0]
	assert.True(t, c.Bool("multiple"), "several files can be chosen")
	assert.False(t, c.Bool("directory"), "files, not folders")
	assert.Equal(t, append([]byte(filepath.Join(src, "trip")), 0), c.Bytes("current_folder"), "it starts in the folder being browsed")
	assert.Equal(t, "Add files", c.Title)

	assert.Equal(t, []string{"a.jpg", "b c+d.jpg"}, queuedNames(m))
	assert.Len(t, storedFiles(t, storeDir), 2)
	over := w.Canvas().Overlays().Top()
	require.NotNil(t, over, "what was left out is listed")
	text := allText(over)
	assert.Contains(t, text, "https://cloud.example/x.jpg")
	assert.Contains(t, text, "It is not a file on this computer.")
	assert.NotContains(t, text, "s3cret")
}

// TestAddFolderOpensTheDesktopChooserForFolders: "Add folder…" asks the
// real portal for folders (several at once) and queues their files.
func TestAddFolderOpensTheDesktopChooserForFolders(t *testing.T) {
	test.NewTempApp(t)
	connect, _ := embeddedConnect(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "one", "a.txt"), 10)
	writeRandom(t, filepath.Join(src, "two", "b.txt"), 10)
	writeRandom(t, filepath.Join(src, "three", "c.txt"), 10)
	bus := portaltest.StartBus(t)
	backend := portaltest.StartXdgDesktopPortal(t, bus, func(portaltest.ImplCall) portaltest.Reply {
		return portaltest.Reply{URIs: []string{
			"file://" + filepath.ToSlash(filepath.Join(src, "one")),
			"file://" + filepath.ToSlash(filepath.Join(src, "two")),
		}}
	})
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, ThumbnailDir: t.TempDir(),
		Chooser: portal.FileChooser{Address: bus}})
	defer m.Close()
	m.browser.Wait()

	test.Tap(buttonIn(t, w.Content(), "Add folder"))
	m.Wait()
	calls := backend.Calls()
	require.Len(t, calls, 1, "the desktop's chooser was asked once")
	c := calls[0]
	assert.True(t, c.Bool("directory"), "folders, not files")
	assert.True(t, c.Bool("multiple"))
	assert.Equal(t, "Add folder", c.Title)
	assert.Equal(t, []string{"one/a.txt", "two/b.txt"}, queuedNames(m))
	assert.Nil(t, w.Canvas().Overlays().Top(), "no dialog of Ferry's own")
}

// TestCancelInTheDesktopChooserAddsNothing: the person closes the real
// portal's chooser (response 1): nothing is queued and no dialog appears.
func TestCancelInTheDesktopChooserAddsNothing(t *testing.T) {
	test.NewTempApp(t)
	connect, _ := embeddedConnect(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "a.txt"), 10)
	bus := portaltest.StartBus(t)
	backend := portaltest.StartXdgDesktopPortal(t, bus, func(portaltest.ImplCall) portaltest.Reply {
		return portaltest.Reply{Response: portal.ResponseCancelled}
	})
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, ThumbnailDir: t.TempDir(),
		Chooser: portal.FileChooser{Address: bus}})
	defer m.Close()
	m.browser.Wait()
	status := m.status.Text

	test.Tap(buttonIn(t, w.Content(), "Add files"))
	m.Wait()
	assert.Len(t, backend.Calls(), 1)
	assert.Empty(t, m.queue.Rows())
	assert.Nil(t, w.Canvas().Overlays().Top(), "no dialog")
	assert.Equal(t, status, m.status.Text, "nothing to say")
}

// TestWithoutADesktopChooserAddFilesShowsFerrysOwn: with no portal on the
// session bus (or one that ends the chooser without an answer), "Add
// files…" shows Ferry's own chooser, in the folder being browsed, where
// several files can be chosen.
func TestWithoutADesktopChooserAddFilesShowsFerrysOwn(t *testing.T) {
	for _, tc := range []struct {
		name   string
		portal bool
	}{{"no portal", false}, {"portal ended the chooser", true}} {
		t.Run(tc.name, func(t *testing.T) {
			test.NewTempApp(t)
			connect, _ := embeddedConnect(t)
			src := t.TempDir()
			writeRandom(t, filepath.Join(src, "docs", "a.txt"), 10)
			writeRandom(t, filepath.Join(src, "docs", "b.txt"), 10)
			writeRandom(t, filepath.Join(src, "docs", "c.txt"), 10)
			bus := portaltest.StartBus(t)
			var fake *portaltest.Fake
			if tc.portal {
				fake = portaltest.Start(t, bus, func(portaltest.Call) portaltest.Reply {
					return portaltest.Reply{Response: portal.ResponseEnded}
				})
			}
			w := test.NewWindow(nil)
			w.Resize(fyne.NewSize(1000, 700))
			m := Create(w, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, ThumbnailDir: t.TempDir(),
				Chooser: portal.FileChooser{Address: bus}})
			defer m.Close()
			m.browser.Wait()
			enterFolder(t, m, "docs")

			test.Tap(buttonIn(t, w.Content(), "Add files"))
			m.Wait()
			if fake != nil {
				assert.Len(t, fake.Calls(), 1, "the desktop's chooser was asked first")
			}
			over := topOverlay(t, w)
			require.NotNil(t, m.addFiles, "Ferry's own chooser is shown")
			assert.Contains(t, allText(over), "Add files")
			pastDoubleClick(m)
			withUI(func() {
				clickAt(t, w, centreOf(t, over, "a.txt"))
				clickAt(t, w, centreOf(t, over, "c.txt"))
			})
			test.Tap(buttonIn(t, over, "Add 2 files"))
			m.Wait()
			assert.Equal(t, []string{"a.txt", "c.txt"}, queuedNames(m))
		})
	}
}

// pastDoubleClick moves Ferry's chooser's clock past the double-click
// interval, as a person looking at it for a second would.
func pastDoubleClick(m *Main) {
	clock := m.addFiles.changed.Add(time.Second)
	m.addFiles.now = func() time.Time { return clock }
}

// TestAddFolderWithoutADesktopChooser: Ferry's own folder chooser lists
// only folders; ticking several adds them all, and with none ticked Add
// takes the folder shown. Fyne's single-folder dialog is not used.
func TestAddFolderWithoutADesktopChooser(t *testing.T) {
	test.NewTempApp(t)
	connect, _ := embeddedConnect(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "one", "a.txt"), 10)
	writeRandom(t, filepath.Join(src, "two", "b.txt"), 10)
	writeRandom(t, filepath.Join(src, "three", "inner", "c.txt"), 10)
	writeRandom(t, filepath.Join(src, "loose.txt"), 10)
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, ThumbnailDir: t.TempDir()})
	defer m.Close()
	m.browser.Wait()

	test.Tap(buttonIn(t, w.Content(), "Add folder"))
	over := topOverlay(t, w)
	require.NotNil(t, m.addFiles, "Ferry's own chooser is shown")
	text := allText(over)
	assert.Contains(t, text, "Add folder")
	assert.NotContains(t, text, "loose.txt", "only folders are listed")
	pastDoubleClick(m)
	withUI(func() {
		tickRow(t, over, "one")
		tickRow(t, over, "two")
	})
	test.Tap(buttonIn(t, over, "Add 2 folders"))
	m.Wait()
	assert.Equal(t, []string{"one/a.txt", "two/b.txt"}, queuedNames(m))

	// Again: open "three" and add the folder shown.
	test.Tap(buttonIn(t, w.Content(), "Add folder"))
	over = topOverlay(t, w)
	pastDoubleClick(m)
	withUI(func() { clickAt(t, w, centreOf(t, over, "three")) })
	assert.Contains(t, allText(over), "inner", "the click opened the folder")
	test.Tap(buttonIn(t, over, "Add this folder"))
	m.Wait()
	assert.Equal(t, []string{"one/a.txt", "three/inner/c.txt", "two/b.txt"}, queuedNames(m))
}

// tickRow taps the tick box on the row showing name.
func tickRow(t *testing.T, over fyne.CanvasObject, name string) {
	t.Helper()
	at := centreOf(t, over, name)
	for _, p := range layoutOf(over) {
		b, ok := p.obj.(*widget.Button)
		if ok && b.Text == "" && p.pos.Y <= at.Y && at.Y < p.pos.Y+b.Size().Height && p.pos.X < at.X {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("no tick box on the row of %s", name)
}

// TestEscClosesTheAddDialogs is issue 21 item 7 for Ferry's own choosers:
// Esc closes "Add files" and "Add folder".
func TestEscClosesTheAddDialogs(t *testing.T) {
	for _, button := range []string{"Add files", "Add folder"} {
		t.Run(button, func(t *testing.T) {
			test.NewTempApp(t)
			src := t.TempDir()
			writeRandom(t, filepath.Join(src, "sub", "a.txt"), 10)
			w := test.NewWindow(nil)
			w.Resize(fyne.NewSize(1000, 700))
			m := Create(w, Deps{Uploads: fakeUploads{}, StartDir: src, ThumbnailDir: t.TempDir()})
			defer m.Close()
			m.browser.Wait()

			test.Tap(buttonIn(t, w.Content(), button))
			require.NotNil(t, w.Canvas().Overlays().Top(), "a dialog is open")
			withUI(func() { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
			assert.Nil(t, w.Canvas().Overlays().Top(), "Esc closed it")
		})
	}
}
