package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/upload"
)

// TestPickerUploadsChosenFilesAndReportsThem chooses two files in picker
// mode, presses Upload and finish, and checks what the program receives.
func TestPickerUploadsChosenFilesAndReportsThem(t *testing.T) {
	test.NewTempApp(t)
	connect, _ := embeddedConnect(t)
	src := t.TempDir()
	a := writeRandom(t, filepath.Join(src, "a.txt"), 3000)
	b := writeRandom(t, filepath.Join(src, "b.txt"), 500)
	writeRandom(t, filepath.Join(src, "c.jpg"), 100)
	var got []upload.Result
	cancelled := false
	w := test.NewWindow(nil)
	m := Create(w, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, ThumbnailDir: t.TempDir(), Preconnect: true,
		Pick: &app.Pick{Multiple: true, Accept: []string{".txt"}, Done: func(p []upload.Result) { got = p }, Cancelled: func() { cancelled = true }}})
	defer m.Close()
	m.Wait()
	m.browser.Wait()
	require.Len(t, m.browser.shown, 3)
	names := map[string]*item{}
	for _, it := range m.browser.shown {
		names[it.Name] = it
	}
	assert.Equal(t, "The program that opened Ferry does not accept this type of file (.txt)", names["c.jpg"].reason)
	assert.Equal(t, "Upload and finish", m.upBtn.Text)

	withUI(func() {
		m.browser.click(0, 0)
		m.browser.click(1, fyne.KeyModifierShortcutDefault)
		m.browser.nav.TypedShortcut(shortcutUpload) // Ctrl+U with the file list focused
	})
	m.Wait()
	require.Len(t, got, 2, "Done receives both files once both are uploaded")
	assert.False(t, cancelled)
	sort.Slice(got, func(i, j int) bool { return got[i].Name < got[j].Name })
	for i, want := range [][]byte{a, b} {
		sum := sha256.Sum256(want)
		p := got[i]
		assert.Equal(t, hex.EncodeToString(sum[:]), p.SHA256)
		assert.Equal(t, int64(len(want)), p.Size)
		assert.Equal(t, "text/plain; charset=utf-8", p.Type)
		assert.NotEmpty(t, p.Key)
		assert.NotEmpty(t, p.Location)
		assert.Equal(t, upload.Place{Provider: "local", Path: filepath.Join(src, p.Name)}, p.Source)
	}
}

func TestPickerSingleFileAndCancel(t *testing.T) {
	test.NewTempApp(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "a.txt"), 3)
	writeRandom(t, filepath.Join(src, "b.txt"), 3)
	cancelled := 0
	w := test.NewWindow(nil)
	m := Create(w, Deps{Uploads: fakeUploads{connect: noBackend}, StartDir: src, ThumbnailDir: t.TempDir(),
		Pick: &app.Pick{Done: func([]upload.Result) { t.Error("nothing was uploaded") }, Cancelled: func() { cancelled++ }}})
	defer m.Close()
	m.browser.Wait()
	withUI(func() {
		m.browser.selectAll()
		test.Tap(m.upBtn)
	})
	m.Wait()
	assert.Equal(t, "Choose exactly one file.", m.status.Text)
	assert.Empty(t, m.queue.Rows())
	withUI(func() {
		m.browser.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) // clears the selection
	})
	assert.Equal(t, 0, cancelled)
	assert.Empty(t, m.browser.Selection())
	withUI(func() {
		m.browser.nav.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) // nothing selected: cancels the picker
		test.Tap(m.pick.cancel)
	})
	assert.Equal(t, 1, cancelled, "Cancelled is called once")
}

// TestPickerSourceSignsInThenOpensTheAccount: --source names a cloud
// source without an account: the picker asks to sign in, then shows it.
func TestPickerSourceSignsInThenOpensTheAccount(t *testing.T) {
	test.NewTempApp(t)
	dir := localTree(t)
	drive := newFakeDrive(4)
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	deps := Deps{Uploads: fakeUploads{connect: noBackend}, StartDir: dir, Local: localSource(t, dir).Prov, ThumbnailDir: t.TempDir(),
		Pick: &app.Pick{Source: "acme", Done: func([]upload.Result) {}, Cancelled: func() {}}}
	oneCloudAccount(&deps, app.Account{Remote: "acme", Title: "Acme Drive", ID: "1", Name: "ann"}, drive)
	m := Create(w, deps)
	defer m.Close()
	var s *signInDialog // (the sign-in waits for the paste: no browser.Wait before it)
	waitUI(t, func() bool { s = m.signIn; return s != nil && !s.copyBtn.Disabled() })
	withUI(func() {
		assert.Equal(t, "Acme Drive", s.title)
		test.Type(s.pasteIn, "http://127.0.0.1:5000/callback?code=abc&state=S7ATE-SECRET")
		test.Tap(s.pasteBtn)
	})
	m.browser.Wait()
	m.browser.Wait()
	withUI(func() {
		assert.Equal(t, "Acme Drive — ann", m.browser.loc.src.Title)
		assert.Len(t, m.browser.shown, 4)
	})
}

// TestCancelledPickerLeavesNothingToResume: files queued for a program
// that then cancelled the picker are not offered to resume at the next
// start (every queued file is journalled, issue 20 item 2).
func TestCancelledPickerLeavesNothingToResume(t *testing.T) {
	test.NewTempApp(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // every upload waits until the test ends
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, "stopped", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	defer close(release)
	journal, err := upload.OpenJournal(t.TempDir())
	require.NoError(t, err)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "a.txt"), 3)
	writeRandom(t, filepath.Join(src, "b.txt"), 3)
	cancelled := 0
	w := test.NewWindow(nil)
	m := Create(w, Deps{
		Uploads: fakeUploads{
			connect: func(context.Context) (*upload.Client, *api.Discovery, error) {
				c, err := upload.NewClient(srv.URL, func(context.Context) (string, error) { return "t", nil }, nil)
				return c, &api.Discovery{Version: api.Version, Upload: api.UploadInfo{Protocol: api.ProtocolS3}}, err
			},
			options: func() upload.Options { return upload.Options{Journal: journal, BackendID: "test", Concurrency: 1} },
		},
		StartDir: src, ThumbnailDir: t.TempDir(),
		Pick: &app.Pick{Multiple: true, Done: func([]upload.Result) { t.Error("nothing was uploaded") }, Cancelled: func() { cancelled++ }}})
	m.browser.Wait()
	withUI(func() {
		m.browser.selectAll()
		test.Tap(m.upBtn)
	})
	m.pending.Wait()
	pending, err := journal.Pending()
	require.NoError(t, err)
	require.Len(t, pending, 2, "both files are journalled as they are queued")
	withUI(func() { test.Tap(m.pick.cancel) })
	m.Close()
	assert.Equal(t, 1, cancelled)
	pending, err = journal.Pending()
	require.NoError(t, err)
	assert.Empty(t, pending, "nothing the program cancelled is offered again")
}
