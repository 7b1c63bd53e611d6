package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	xwebdav "golang.org/x/net/webdav"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/webdav"
	"github.com/ferry-app/ferry/upload"
)

// `ferry upload local:PATH` names this computer explicitly; progress on a
// stderr that is not a terminal comes as JSON lines.
func TestUploadLocalRemoteNameAndJSONProgress(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(src, []byte("hello ferry\n"), 0o644))

	var stdout, stderr bytes.Buffer
	code := run([]string{"upload", "--json", "local:" + src}, &stdout, &stderr)
	require.Equal(t, 0, code, "stderr: %s", stderr.String())
	var res upload.Result
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res))
	assert.Equal(t, "notes.txt", res.Name)
	assert.Equal(t, upload.Place{Provider: "local", Path: src}, res.Source)

	var states []string
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		var line progressLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), "not JSON: %s", sc.Text())
		assert.Equal(t, "notes.txt", line.Name)
		states = append(states, line.State)
	}
	assert.Equal(t, "queued", states[0])
	assert.Equal(t, "done", states[len(states)-1])
	assert.NotContains(t, strings.Join(states, ","), "failed")
}

// An upload interrupted half way (here: its queue closed, as on Ctrl-C)
// is picked up by `ferry upload --resume` through the embedded backend,
// whose port changes between runs while its storage does not.
func TestUploadResumeFinishesJournaledUploads(t *testing.T) {
	home := isolate(t)
	dataDir := filepath.Join(home, ".local", "share", "ferry")
	src := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(src)
	require.NoError(t, err)
	h := sha256.New()
	_, err = io.CopyN(io.MultiWriter(f, h), rand.Reader, 120<<20)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	want := hex.EncodeToString(h.Sum(nil))

	ls, err := upload.NewLocalFile(src, "")
	require.NoError(t, err)
	pending := interruptedUpload(t, dataDir, ls)
	j, err := upload.OpenJournal(upload.DefaultJournalDir())
	require.NoError(t, err)

	var stdout, stderr bytes.Buffer
	code := run([]string{"upload"}, &stdout, &stderr)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr.String(), "1 unfinished uploads can be resumed with `ferry upload --resume`")

	stdout.Reset()
	stderr.Reset()
	code = run([]string{"upload", "--resume", "--json"}, &stdout, &stderr)
	require.Equal(t, 0, code, "stderr: %s", stderr.String())
	var res upload.Result
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res))
	assert.Equal(t, want, res.SHA256)
	assert.Equal(t, pending[0].Key, res.Key, "the interrupted multipart upload was completed")
	stored := filepath.Join(dataDir, "backend", "files", filepath.FromSlash(res.Key))
	sf, err := os.Open(stored)
	require.NoError(t, err)
	defer sf.Close()
	h2 := sha256.New()
	_, err = io.Copy(h2, sf)
	require.NoError(t, err)
	assert.Equal(t, want, hex.EncodeToString(h2.Sum(nil)))
	pending, err = j.Pending()
	require.NoError(t, err)
	assert.Empty(t, pending)
}

// interruptedUpload uploads src through the embedded backend under dataDir
// with the journal on, and stops the queue once 40 MiB are stored: what a
// crash leaves behind. It returns the journal's entries.
func interruptedUpload(t *testing.T, dataDir string, src upload.Source) []upload.JournalEntry {
	t.Helper()
	e, err := backend.StartEmbedded(context.Background(), filepath.Join(dataDir, "backend"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	tok := e.Token
	client, err := upload.NewClient(e.URL, func(context.Context) (string, error) { return tok, nil }, nil)
	require.NoError(t, err)
	d, err := client.Discover(context.Background())
	require.NoError(t, err)
	j, err := upload.OpenJournal(upload.DefaultJournalDir())
	require.NoError(t, err)
	var q *upload.Queue
	var stopping sync.Once
	q = upload.NewQueue(client, d, upload.Options{Journal: j, BackendID: "embedded", PartConcurrency: 1,
		OnEvent: func(ev upload.Event) {
			if ev.State == upload.Uploading && ev.Sent >= 40<<20 {
				stopping.Do(func() { go q.Close() })
			}
		}})
	q.Add(src)
	q.Wait()
	q.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	require.NoError(t, e.Close(ctx))
	cancel()
	pending, err := j.Pending()
	require.NoError(t, err)
	require.Len(t, pending, 1)
	return pending
}

// TestUploadResumeCloudFile: an upload from a cloud source (a WebDAV
// remote) interrupted half way is finished by `ferry upload --resume`,
// which finds the file again through the remote and completes the same
// multipart upload; the stored object is byte-identical.
func TestUploadResumeCloudFile(t *testing.T) {
	home := isolate(t)
	dataDir := filepath.Join(home, ".local", "share", "ferry")
	served := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(served, "Video"), 0o755))
	f, err := os.Create(filepath.Join(served, "Video", "talk.mp4"))
	require.NoError(t, err)
	h := sha256.New()
	_, err = io.CopyN(io.MultiWriter(f, h), rand.Reader, 110<<20)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	want := hex.EncodeToString(h.Sum(nil))
	srv := httptest.NewServer(&xwebdav.Handler{Prefix: "/dav", FileSystem: xwebdav.Dir(served), LockSystem: xwebdav.NewMemLS()})
	defer srv.Close()
	writeUserConfig(t, home, fmt.Sprintf("[providers.nas]\ntype = \"webdav\"\nurl = %q\n", srv.URL+"/dav/"))

	p, err := webdav.New(webdav.Options{URL: srv.URL + "/dav/"})
	require.NoError(t, err)
	entry, err := providers.ResolvePath(context.Background(), p, "/Video/talk.mp4")
	require.NoError(t, err)
	pending := interruptedUpload(t, dataDir, upload.NewProviderFile(p, "nas", entry, ""))
	assert.Equal(t, "nas:/Video/talk.mp4", pending[0].Origin)

	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"upload", "--resume", "--json"}, &stdout, &stderr), "stderr: %s", stderr.String())
	var res upload.Result
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res))
	assert.Equal(t, want, res.SHA256)
	assert.Equal(t, pending[0].Key, res.Key, "the interrupted multipart upload was completed")
	sf, err := os.Open(filepath.Join(dataDir, "backend", "files", filepath.FromSlash(res.Key)))
	require.NoError(t, err)
	defer sf.Close()
	h2 := sha256.New()
	_, err = io.Copy(h2, sf)
	require.NoError(t, err)
	assert.Equal(t, want, hex.EncodeToString(h2.Sum(nil)))
}
