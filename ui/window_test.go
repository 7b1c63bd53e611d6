package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/upload"
)

// embeddedConnect starts the real embedded backend with storage in a temp dir.
func embeddedConnect(t *testing.T) (func(context.Context) (*upload.Client, *api.Discovery, error), string) {
	t.Helper()
	dir := t.TempDir()
	emb, err := backend.StartEmbedded(context.Background(), dir, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = emb.Close(context.Background()) })
	return func(ctx context.Context) (*upload.Client, *api.Discovery, error) {
		c, err := upload.NewClient(emb.URL, func(context.Context) (string, error) { return emb.Token, nil }, nil)
		if err != nil {
			return nil, nil, err
		}
		d, err := c.Discover(ctx)
		return c, d, err
	}, dir
}

func writeRandom(t *testing.T, path string, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return b
}

// storedFiles maps the path of every stored object under the embedded
// backend's folder to its bytes (its own state, the signing key, is no
// upload).
func storedFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && p == filepath.Join(dir, "state") {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = b
		return err
	}))
	return out
}

func TestDropFilesAndFoldersUploadsThemWithRelativePaths(t *testing.T) {
	a := test.NewTempApp(t)
	_ = a
	connect, storeDir := embeddedConnect(t)
	src := t.TempDir()
	one := writeRandom(t, filepath.Join(src, "report.pdf"), 200_000)
	nested := writeRandom(t, filepath.Join(src, "photos", "2026", "beach.jpg"), 70_000)
	top := writeRandom(t, filepath.Join(src, "photos", "index.txt"), 10)

	w := test.NewWindow(nil)
	m := Create(w, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, Concurrency: 2, ThumbnailDir: t.TempDir()})
	defer m.Close()
	m.browser.Wait()

	m.onDropped(fyne.NewPos(10, 10), []fyne.URI{
		storage.NewFileURI(filepath.Join(src, "report.pdf")),
		storage.NewFileURI(filepath.Join(src, "photos")),
	})
	m.Wait()
	require.Empty(t, m.queue.Rows(), "a drop waits for the person to review it")
	withUI(func() { test.Tap(m.review.startBtn) })
	m.Wait()

	rows := m.queue.Rows()
	require.Len(t, rows, 3)
	names := map[string]upload.State{}
	for _, r := range rows {
		names[r.Name] = r.State
		assert.Equal(t, r.Total, r.Sent, "row %s shows all bytes sent", r.Name)
	}
	assert.Equal(t, map[string]upload.State{"report.pdf": upload.Done, "photos/2026/beach.jpg": upload.Done, "photos/index.txt": upload.Done}, names)

	// Stored byte-identical, under keys that keep the relative path's file name.
	stored := storedFiles(t, storeDir)
	want := map[string][]byte{"report.pdf": one, "beach.jpg": nested, "index.txt": top}
	for base, data := range want {
		found := false
		for k, b := range stored {
			if strings.HasSuffix(k, base) {
				found = true
				assert.True(t, bytes.Equal(data, b), "%s stored byte-identical", base)
			}
		}
		assert.True(t, found, "%s stored", base)
	}
	assert.Contains(t, m.queue.total.Text, "3 done")
}

func TestBrowserListsFoldersFirstAndOpensThem(t *testing.T) {
	test.NewTempApp(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "a.txt"), 3)
	writeRandom(t, filepath.Join(src, "Zebra", "inside.txt"), 3)
	writeRandom(t, filepath.Join(src, ".hidden"), 3)
	w := test.NewWindow(nil)
	m := Create(w, Deps{Uploads: fakeUploads{connect: func(context.Context) (*upload.Client, *api.Discovery, error) {
		return nil, nil, errors.New("unused")
	}}, StartDir: src, ThumbnailDir: t.TempDir()})
	defer m.Close()

	m.browser.Wait()
	require.Len(t, m.browser.shown, 2, "hidden file not listed")
	assert.Equal(t, "Zebra", m.browser.shown[0].Name, "folders first")
	assert.True(t, m.browser.shown[0].IsDir)
	m.browser.activate(0)
	m.browser.Wait()
	assert.Equal(t, filepath.Join(src, "Zebra"), m.browser.loc.folder().ID)
	require.Len(t, m.browser.shown, 1)
	assert.Equal(t, "inside.txt", m.browser.shown[0].Name)

	// Selecting a file enables the upload button and counts the selection.
	assert.True(t, m.upBtn.Disabled())
	m.browser.click(0, 0)
	assert.False(t, m.upBtn.Disabled())
	assert.Equal(t, "1 selected (3 B)", m.selLabel.Text)
}

func TestUnreachableBackendIsExplained(t *testing.T) {
	test.NewTempApp(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "a.txt"), 3)
	w := test.NewWindow(nil)
	m := Create(w, Deps{Uploads: fakeUploads{connect: func(context.Context) (*upload.Client, *api.Discovery, error) {
		return nil, nil, errors.New("backend discovery: connection refused")
	}}, StartDir: src, ThumbnailDir: t.TempDir()})
	defer m.Close()
	m.browser.Wait()
	m.AddPaths([]string{filepath.Join(src, "a.txt")})
	m.Wait()
	assert.Contains(t, m.status.Text, "Cannot reach the upload service")
	assert.Empty(t, m.queue.Rows())
}

func TestFailedUploadShowsHumanReason(t *testing.T) {
	test.NewTempApp(t)
	connect, _ := embeddedConnect(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "a.bin"), 1000)
	w := test.NewWindow(nil)
	// A client whose token the backend does not accept.
	m := Create(w, Deps{Uploads: fakeUploads{connect: func(ctx context.Context) (*upload.Client, *api.Discovery, error) {
		c, d, err := connect(ctx)
		if err != nil {
			return nil, nil, err
		}
		bad, _ := upload.NewClient(c.BaseURL(), func(context.Context) (string, error) { return "wrong", nil }, nil)
		return bad, d, nil
	}}, StartDir: src, ThumbnailDir: t.TempDir()})
	defer m.Close()
	m.browser.Wait()
	m.AddPaths([]string{filepath.Join(src, "a.bin")})
	m.Wait()
	rows := m.queue.Rows()
	require.Len(t, rows, 1)
	assert.Equal(t, upload.Failed, rows[0].State)
	assert.Equal(t, "The upload service did not accept your sign-in. Sign in again.", rows[0].Reason)
	assert.Contains(t, stateText(rows[0]), "Failed: ")
}

func TestSafeNameMakesDisguisesVisible(t *testing.T) {
	assert.Equal(t, "invoice\uFFFDfdp.exe", SafeName("invoice\u202Efdp.exe"))
	assert.Equal(t, "a\uFFFDb", SafeName("a\x00b"))
	assert.Equal(t, "line\uFFFDbreak", SafeName("line\nbreak"))
	assert.Equal(t, "Grüße 日本.txt", SafeName("Grüße 日本.txt"))
}
