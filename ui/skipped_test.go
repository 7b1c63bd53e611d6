package ui

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/upload"
)

// TestOneBadItemDoesNotRejectTheSelection is issue 20 item 3: Ctrl+A in a
// folder holding links that lead outside it, then Upload: the ordinary
// files are uploaded, and the window lists each skipped item by name with
// the reason.
func TestOneBadItemDoesNotRejectTheSelection(t *testing.T) {
	test.NewTempApp(t)
	connect, storeDir := embeddedConnect(t)
	src := t.TempDir()
	outside := t.TempDir()
	writeRandom(t, filepath.Join(src, "a.txt"), 10)
	writeRandom(t, filepath.Join(src, "b.txt"), 20)
	writeRandom(t, filepath.Join(outside, "secret.txt"), 30)
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(src, "to-secret.txt")))
	require.NoError(t, os.Symlink(outside, filepath.Join(src, "to-outside")))
	// A link to a folder inside is uploaded as that folder (its target is
	// hidden, so Ctrl+A does not pick the same files twice).
	writeRandom(t, filepath.Join(src, ".docs", "c.txt"), 5)
	require.NoError(t, os.Symlink(filepath.Join(src, ".docs"), filepath.Join(src, "to-docs")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(src, "pipe"), 0o644))

	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, ThumbnailDir: t.TempDir()})
	defer m.Close()
	m.browser.Wait()
	withUI(func() {
		m.browser.selectAll()
		test.Tap(m.upBtn)
	})
	m.Wait()

	got := map[string]upload.State{}
	for _, r := range m.queue.Rows() {
		got[r.Name] = r.State
	}
	assert.Equal(t, map[string]upload.State{"a.txt": upload.Done, "b.txt": upload.Done,
		"to-docs/c.txt": upload.Done}, got, "the ordinary files were uploaded")
	assert.Len(t, storedFiles(t, storeDir), 3, "nothing from outside the folder was stored")

	over := w.Canvas().Overlays().Top()
	require.NotNil(t, over, "the skipped items are listed")
	text := allText(over)
	assert.Contains(t, text, "to-secret.txt")
	assert.Contains(t, text, "to-outside")
	assert.Contains(t, text, "it leads outside the folders Ferry may show.")
	assert.Contains(t, text, "pipe")
	assert.Contains(t, text, "3 items were not added")
}
