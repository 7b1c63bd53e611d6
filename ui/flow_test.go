package ui

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/upload"
)

// TestFromNothingToACloudUpload is the whole way a person goes using only
// the window: Add account, sign in (pasting the address the browser ended
// on), open the new account, choose a file, Upload, and the file arrives
// byte for byte in the organisation's storage.
func TestFromNothingToACloudUpload(t *testing.T) {
	test.NewTempApp(t)
	connect, storeDir := embeddedConnect(t)
	drive := newFakeDrive(3)
	drive.content["id1"] = []byte("quarterly numbers\n")
	drive.entries[1].Size = int64(len(drive.content["id1"]))
	dir := localTree(t)
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	deps := Deps{Uploads: fakeUploads{connect: connect}, StartDir: dir, Local: localSource(t, dir).Prov, ThumbnailDir: t.TempDir()}
	oneCloudAccount(&deps, app.Account{Remote: "acme-drive", Title: "Acme Drive", ID: "42", Name: "ann@example.com"}, drive)
	m := Create(w, deps)
	defer m.Close()
	m.browser.Wait()
	assert.Equal(t, []string{"This Computer", "Test", "Add account…"}, sideLabels(m.sidebar))

	// Add account… → Acme Drive → the sign-in dialog.
	withUI(func() { m.sidebar.list.Select(2) })
	m.browser.Wait()
	var acme *fyne.MenuItem
	withUI(func() {
		for _, it := range m.sidebar.menu.Items {
			if it.Label == "Acme Drive (acme-drive)" {
				acme = it
			}
		}
		require.NotNil(t, acme)
		acme.Action()
	})
	s := m.signIn
	require.NotNil(t, s)
	waitUI(t, func() bool { return !s.copyBtn.Disabled() })
	withUI(func() {
		test.Type(s.pasteIn, "http://127.0.0.1:5000/callback?code=abc&state=S7ATE-SECRET")
		test.Tap(s.pasteBtn)
	})
	m.browser.Wait()
	withUI(func() {
		assert.Contains(t, allText(s.body), "You are signed in to Acme Drive as ann@example.com.")
		test.Tap(s.closeBtn)
	})
	m.browser.Wait()
	assert.Equal(t, []string{"This Computer", "Test", "Acme Drive", "ann@example.com", "Add account…"}, sideLabels(m.sidebar))

	// Open the account, choose "file 1.txt", Upload.
	withUI(func() { m.sidebar.list.Select(3) })
	m.browser.Wait()
	require.Len(t, m.browser.shown, 3)
	idx := -1
	for i, it := range m.browser.shown {
		if it.Name == "file 1.txt" {
			idx = i
		}
	}
	require.GreaterOrEqual(t, idx, 0)
	withUI(func() {
		m.browser.click(idx, 0)
		test.Tap(m.upBtn)
	})
	m.Wait()
	rows := m.queue.Rows()
	require.Len(t, rows, 1)
	assert.Equal(t, upload.Done, rows[0].State, "%s", rows[0].Reason)
	found := false
	for k, b := range storedFiles(t, storeDir) {
		if strings.HasSuffix(k, "file 1.txt") || strings.HasSuffix(k, filepath.Base("file 1.txt")) {
			found = bytes.Equal(b, drive.content["id1"])
		}
	}
	assert.True(t, found, "the cloud file arrived byte for byte")
}

// TestOfferToResumeUnfinishedUploads: after a restart the window offers
// the journal's unfinished uploads and resumes them when asked.
func TestOfferToResumeUnfinishedUploads(t *testing.T) {
	test.NewTempApp(t)
	connect, _ := embeddedConnect(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "big.bin"), 4000)
	lf, err := upload.NewLocalFile(filepath.Join(src, "big.bin"), "big.bin")
	require.NoError(t, err)
	w := test.NewWindow(nil)
	m := Create(w, Deps{StartDir: src, ThumbnailDir: t.TempDir(), Uploads: fakeUploads{connect: connect,
		unfinished: func(context.Context) ([]upload.Source, error) { return []upload.Source{lf}, nil }}})
	defer m.Close()
	m.browser.Wait()
	m.Wait()
	var text string
	withUI(func() {
		require.Len(t, m.dialogs, 1, "the offer is shown")
		text = allText(w.Canvas().Overlays().Top())
	})
	assert.Contains(t, text, "1 upload did not finish when Ferry last ran. Resume it now?")
	assert.Contains(t, text, "Resume")
	assert.Contains(t, text, "Not now")
	withUI(func() {
		for _, o := range test.LaidOutObjects(w.Canvas().Overlays().Top()) {
			if b, ok := o.(interface{ Tapped(*fyne.PointEvent) }); ok {
				if lbl, ok := o.(fyne.Widget); ok && strings.Contains(allText(lbl), "Resume") && !strings.Contains(allText(lbl), "did not finish") {
					b.Tapped(&fyne.PointEvent{})
					break
				}
			}
		}
	})
	m.Wait()
	rows := m.queue.Rows()
	require.Len(t, rows, 1)
	assert.Equal(t, upload.Done, rows[0].State)
}

// TestUploadServiceReachableLaterIsUsed: a service that did not answer at
// start is tried again on the next upload.
func TestUploadServiceReachableLaterIsUsed(t *testing.T) {
	test.NewTempApp(t)
	connect, _ := embeddedConnect(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "a.txt"), 30)
	var mu sync.Mutex
	calls := 0
	w := test.NewWindow(nil)
	m := Create(w, Deps{StartDir: src, ThumbnailDir: t.TempDir(), Preconnect: true,
		Uploads: fakeUploads{connect: func(ctx context.Context) (*upload.Client, *api.Discovery, error) {
			mu.Lock()
			calls++
			first := calls == 1
			mu.Unlock()
			if first {
				return nil, nil, &net.OpError{Op: "dial", Err: errors.New("connection refused")}
			}
			return connect(ctx)
		}}})
	defer m.Close()
	m.Wait()
	m.browser.Wait()
	withUI(func() { m.AddPaths([]string{filepath.Join(src, "a.txt")}) })
	m.Wait()
	rows := m.queue.Rows()
	require.Len(t, rows, 1)
	assert.Equal(t, upload.Done, rows[0].State)
	assert.Equal(t, 2, calls)
}
