package ui

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/upload"
)

// TestHistoryFindsEarlierUploadsAfterARestart is issue 20 item 4: what a
// window uploaded is listed by the next window's "Upload history…", with
// Show in folder for the built-in backend's files, and can be cleared.
func TestHistoryFindsEarlierUploadsAfterARestart(t *testing.T) {
	test.NewTempApp(t)
	connect, _ := embeddedConnect(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "trip", "day1", "a.jpg"), 300)
	histPath := filepath.Join(t.TempDir(), "history.jsonl")
	h, err := upload.OpenHistory(histPath)
	require.NoError(t, err)

	w := test.NewWindow(nil)
	m := Create(w, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, ThumbnailDir: t.TempDir(), History: h})
	m.browser.Wait()
	m.AddPaths([]string{filepath.Join(src, "trip")})
	m.Wait()
	m.Close()

	// The next run.
	h2, err := upload.OpenHistory(histPath)
	require.NoError(t, err)
	w2 := test.NewWindow(nil)
	w2.Resize(fyne.NewSize(1000, 700))
	m2 := Create(w2, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, ThumbnailDir: t.TempDir(), History: h2})
	defer m2.Close()
	m2.browser.Wait()
	var opened []string
	m2.queue.openURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
	var labels []string
	for _, it := range m2.menuItems() {
		labels = append(labels, it.Label)
	}
	require.Contains(t, labels, "Upload history…")
	withUI(m2.showHistory)
	m2.Wait()
	over := w2.Canvas().Overlays().Top()
	require.NotNil(t, over, "the history is shown")
	assert.Contains(t, allText(over), "trip/day1/a.jpg")
	test.Tap(buttonIn(t, over, "Show in folder"))
	require.Len(t, opened, 1)
	assert.True(t, strings.HasPrefix(opened[0], "file://"), opened[0])
	assert.True(t, strings.HasSuffix(opened[0], "/trip/day1"), "the folder holding the stored file: %s", opened[0])

	test.Tap(buttonIn(t, over, "Clear history"))
	list, err := h2.List()
	require.NoError(t, err)
	assert.Empty(t, list)
}
