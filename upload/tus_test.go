package upload

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/testenv"
)

// startTusd runs the pinned tusd on a loopback port storing under a temp dir.
func startTusd(t *testing.T) (addr, dir string) {
	t.Helper()
	bin := testenv.Tool(t, "tusd")
	dir = t.TempDir()
	port := testenv.FreePort(t)
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	logs := &logBuffer{}
	cmd := exec.Command(bin, "-host", "127.0.0.1", "-port", fmt.Sprint(port), "-upload-dir", dir, "-base-path", "/files/", "-verbose=false", "-show-greeting=false")
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	testenv.WaitPort(t, addr, 20*time.Second)
	return addr, dir
}

func fileSHA256(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

func tusQueue(t *testing.T, endpoint string, j *Journal, events *collector, logs *logBuffer) *Queue {
	t.Helper()
	// The backend URL is only where discovery came from here; tusd is the
	// upload endpoint the discovery document names.
	c, err := NewClient("http://127.0.0.1:1", nil, nil)
	require.NoError(t, err)
	d := &api.Discovery{Version: 1, Upload: api.UploadInfo{Protocol: api.ProtocolTus, TusEndpoint: endpoint}}
	q := NewQueue(c, d, Options{PartSize: 4 << 20, Journal: j, OnEvent: events.add, Logger: logs.Logger()})
	q.pacer = fastPacer()
	return q
}

func TestTusAgainstTusdThroughAFlakyLink(t *testing.T) {
	addr, dir := startTusd(t)
	proxy := startTCPProxy(t, addr, 7<<20)
	const size = 30<<20 + 99
	file, sum := writeRandomFile(t, t.TempDir(), "movie.mp4.part", size, 11)
	src, err := NewLocalFile(file, "")
	require.NoError(t, err)
	j, err := OpenJournal(t.TempDir())
	require.NoError(t, err)
	events, logs := &collector{}, &logBuffer{}
	q := tusQueue(t, "http://"+proxy.Addr+"/files/", j, events, logs)
	defer q.Close()
	id := q.Add(src)[0]
	q.Wait()
	e := events.final(id)
	require.Equal(t, Done, e.State, "tus upload: %v", e.Err)
	assert.Equal(t, sum, e.Result.SHA256, "hash follows the offsets the server confirmed")
	assert.Positive(t, proxy.Drops.Load())
	stored := filepath.Join(dir, e.Result.Key)
	assert.Equal(t, sum, fileSHA256(t, stored), "tusd holds the same bytes")
	info, err := os.ReadFile(stored + ".info")
	require.NoError(t, err)
	assert.Contains(t, string(info), `"filename":"movie.mp4.part"`)
	pending, err := j.Pending()
	require.NoError(t, err)
	assert.Empty(t, pending)
	requireNoSecrets(t, logs.String())
}

func TestTusResumesAcrossQueuesAndTerminatesOnCancel(t *testing.T) {
	addr, dir := startTusd(t)
	proxy := startHTTPProxy(t, "http://"+addr)
	proxy.throttle(16 << 20)
	const size = 24 << 20
	file, sum := writeRandomFile(t, t.TempDir(), "doc.bin", size, 12)
	j, err := OpenJournal(t.TempDir())
	require.NoError(t, err)
	endpoint := proxy.URL + "/files/"

	// Stopped half way (Close): the journal keeps the tus URL and offset.
	events, logs := &collector{}, &logBuffer{}
	q := tusQueue(t, endpoint, j, events, logs)
	var closing atomic.Bool
	events.on = func(e Event) {
		if e.State == Uploading && e.Sent >= 9<<20 && closing.CompareAndSwap(false, true) {
			go q.Close()
		}
	}
	src, err := NewLocalFile(file, "")
	require.NoError(t, err)
	q.Add(src)
	q.Wait()
	q.Close()
	pending, err := j.Pending()
	require.NoError(t, err)
	require.Len(t, pending, 1)
	require.Equal(t, api.ProtocolTus, pending[0].Protocol)
	require.Positive(t, pending[0].TusOffset)

	// Resumed by a new queue: HEAD, then PATCH from the server's offset.
	events2 := &collector{}
	q2 := tusQueue(t, endpoint, j, events2, logs)
	src, err = NewLocalFile(file, "")
	require.NoError(t, err)
	id := q2.Add(src)[0]
	q2.Wait()
	q2.Close()
	e := events2.final(id)
	require.Equal(t, Done, e.State, "resumed tus upload: %v", e.Err)
	assert.Equal(t, sum, e.Result.SHA256)
	assert.Equal(t, sum, fileSHA256(t, filepath.Join(dir, e.Result.Key)))
	assert.Equal(t, path.Base(pending[0].TusURL), e.Result.Key, "the same tus upload was continued")
	var heads, posts int
	for _, r := range proxy.seen() {
		switch r.Method {
		case http.MethodHead:
			heads++
		case http.MethodPost:
			posts++
		}
	}
	assert.Equal(t, 1, posts, "created once")
	assert.Positive(t, heads)

	// Cancel terminates the upload on the server (DELETE).
	events3 := &collector{}
	q3 := tusQueue(t, endpoint, j, events3, logs)
	var cancelled atomic.Bool
	var id3 JobID
	events3.on = func(e Event) {
		if e.State == Uploading && e.Sent >= 5<<20 && cancelled.CompareAndSwap(false, true) {
			go q3.Cancel(e.ID)
		}
	}
	other, _ := writeRandomFile(t, t.TempDir(), "other.bin", size, 13)
	src, err = NewLocalFile(other, "")
	require.NoError(t, err)
	id3 = q3.Add(src)[0]
	q3.Wait()
	q3.Close()
	require.Equal(t, Cancelled, events3.final(id3).State)
	var deleted bool
	for _, r := range proxy.seen() {
		deleted = deleted || r.Method == http.MethodDelete && r.Status == http.StatusNoContent
	}
	assert.True(t, deleted, "terminated with DELETE")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var infos int
	for _, de := range entries {
		if strings.HasSuffix(de.Name(), ".info") {
			infos++
		}
	}
	assert.Equal(t, 1, infos, "only the finished upload remains in tusd")
	pending, err = j.Pending()
	require.NoError(t, err)
	assert.Empty(t, pending)
}
