package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/testenv"
	"github.com/ferry-app/ferry/upload"
)

// hold says what the gate does with a request.
type hold int

const (
	pass           hold = iota
	holdBeforeBody      // the request waits before any of its body is read
	holdMidBody         // half the body is read, then the request waits
	holdAnswer          // the backend answers, the answer waits
)

// gate is a proxy in front of the backend that can stop one request at a
// chosen point, so the test kills ferry exactly there: a part upload
// before or in the middle of its body, or a completion the backend has
// carried out but not yet answered.
type gate struct {
	rp *httputil.ReverseProxy

	mu       sync.Mutex
	partRule func(n int) hold // n counts part uploads, from 1, per run
	complete hold
	parts    int
	held     chan heldReq  // what is being held, as it starts waiting
	release  chan struct{} // closed when the held request may end
}

// heldReq is a request the gate holds: which file, which part (0: not a
// part upload) and how far it got.
type heldReq struct {
	name string
	part int
	what string
}

func (g *gate) arm(partRule func(n int) hold, complete hold) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.partRule, g.complete, g.parts = partRule, complete, 0
	g.held, g.release = make(chan heldReq, 4), make(chan struct{})
}

// open lets every held request end (its client is gone by then).
func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.release != nil {
		close(g.release)
		g.release = nil
	}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	act := pass
	switch {
	case r.Method == http.MethodPut && r.URL.Query().Get("partNumber") != "":
		g.parts++
		if g.partRule != nil {
			act = g.partRule(g.parts)
		}
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/complete"):
		act = g.complete
	}
	held, release := g.held, g.release
	g.mu.Unlock()
	// Part URLs of the local storage end with the object key, whose last
	// element is the file name.
	h := heldReq{name: path.Base(r.URL.Path)}
	h.part, _ = strconv.Atoi(r.URL.Query().Get("partNumber"))
	switch act {
	case holdBeforeBody:
		h.what = fmt.Sprintf("part %d of %s before its body", h.part, h.name)
		held <- h
		<-release
		return
	case holdMidBody:
		_, _ = io.CopyN(io.Discard, r.Body, r.ContentLength/2)
		h.what = fmt.Sprintf("part %d of %s half sent", h.part, h.name)
		held <- h
		<-release
		return
	case holdAnswer:
		rec := httptest.NewRecorder()
		g.rp.ServeHTTP(rec, r)
		h.what = fmt.Sprintf("completion answered %d by the backend", rec.Code)
		held <- h
		<-release
		return
	}
	g.rp.ServeHTTP(w, r)
}

// startGatedBackend runs the reference backend with local storage behind a
// gate, and returns the gate, the backend URL ferry uses and the storage
// folder.
func startGatedBackend(t *testing.T) (*gate, string, string) {
	t.Helper()
	dir := t.TempDir()
	bl, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	gl, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	cfg := backend.DefaultConfig()
	cfg.Filename = "(test)"
	cfg.Listen = "127.0.0.1:0"
	cfg.PublicURL = "http://" + gl.Addr().String() // storage URLs lead through the gate
	cfg.StateDir = filepath.Join(dir, "state")
	cfg.Auth = backend.AuthConfig{Type: api.AuthNone}
	cfg.Storage = backend.StorageConfig{Driver: "local", Dir: filepath.Join(dir, "files")}
	cfg.Upload.MultipartThreshold = 16 << 20
	cfg.Upload.MaxFiles = 0
	cfg.Limits.RequestsPerSecond = 1000
	cfg.Limits.Burst = 1000
	srv, err := backend.New(cfg, backend.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	go func() { _ = srv.Serve(bl) }()
	target, _ := url.Parse("http://" + bl.Addr().String())
	g := &gate{rp: httputil.NewSingleHostReverseProxy(target)}
	gs := &http.Server{Handler: g}
	go func() { _ = gs.Serve(gl) }()
	t.Cleanup(func() {
		g.open()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gs.Close()
		_ = srv.Shutdown(ctx)
	})
	return g, cfg.PublicURL, filepath.Join(dir, "files")
}

// ferryRun is one run of the real binary.
type ferryRun struct {
	cmd            *exec.Cmd
	stdout, stderr testenv.Buffer // written while the test reads them
	exited         chan error
}

func startFerry(t *testing.T, bin string, env []string, args ...string) *ferryRun {
	t.Helper()
	r := &ferryRun{cmd: exec.Command(bin, args...), exited: make(chan error, 1)}
	r.cmd.Env = env
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	require.NoError(t, r.cmd.Start())
	go func() { r.exited <- r.cmd.Wait() }()
	return r
}

// waitHeld waits until the gate holds a request; ferry must not end first.
func (r *ferryRun) waitHeld(t *testing.T, g *gate) heldReq {
	t.Helper()
	select {
	case h := <-g.held:
		t.Log("held: " + h.what)
		return h
	case err := <-r.exited:
		t.Fatalf("ferry ended (%v) before the gate held a request:\n%s", err, r.stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("the gate held nothing:\n%s", r.stderr.String())
	}
	return heldReq{}
}

// kill ends ferry with SIGKILL: no deferred function, no cleanup runs.
func (r *ferryRun) kill(t *testing.T, g *gate) {
	t.Helper()
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGKILL))
	err := <-r.exited
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal())
	g.open()
}

func journalOf(t *testing.T, dir string) map[string]upload.JournalEntry {
	t.Helper()
	j, err := upload.OpenJournal(dir)
	require.NoError(t, err)
	list, err := j.Pending()
	require.NoError(t, err)
	out := map[string]upload.JournalEntry{}
	for _, e := range list {
		out[e.Name] = e
	}
	return out
}

// waitJournal waits until the journal shows what cond looks for.
func waitJournal(t *testing.T, dir string, cond func(map[string]upload.JournalEntry) bool) map[string]upload.JournalEntry {
	t.Helper()
	var jr map[string]upload.JournalEntry
	require.Eventually(t, func() bool {
		jr = journalOf(t, dir)
		return cond(jr)
	}, 30*time.Second, 5*time.Millisecond, "journal: %v", jr)
	return jr
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

// TestSIGKILLAtEveryPointThenResumeStoresEveryFile is issue 20 item 2 with
// the real binary: `ferry upload` of three files, one at a time, is killed
// with SIGKILL while two of them are only queued, in the middle of a part,
// between two parts and while the backend completes the upload; after each
// kill `ferry upload --resume` carries on, and in the end every file is
// stored byte-identical and nothing is left to resume.
func TestSIGKILLAtEveryPointThenResumeStoresEveryFile(t *testing.T) {
	bin := buildFerry(t)
	g, backendURL, storeDir := startGatedBackend(t)
	home := t.TempDir()
	env := append(os.Environ(),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "FERRY_ADMIN_CONFIG="+filepath.Join(home, "no-admin.toml"),
		"FERRY_CONFIG="+filepath.Join(home, "no-user.toml"),
		"FERRY_BACKEND="+backendURL, "FERRY_UPLOAD_CONCURRENCY=1", "FERRY_UPLOAD_PART_CONCURRENCY=1")
	journalDir := filepath.Join(home, ".local", "share", "ferry", "uploads")

	// Three files of three parts each (16+16+8 MiB).
	src := t.TempDir()
	sums := map[string]string{}
	var paths []string
	for i, name := range []string{"a.bin", "b.bin", "c.bin"} {
		p := filepath.Join(src, name)
		f, err := os.Create(p)
		require.NoError(t, err)
		h := sha256.New()
		_, err = io.CopyN(io.MultiWriter(f, h), rand.NewChaCha8([32]byte{byte(i + 1)}), 40<<20)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		sums[name] = hex.EncodeToString(h.Sum(nil))
		paths = append(paths, p)
	}

	// 1. While queued: one file's first part waits before its body, the
	// other two wait for their turn. All three are in the journal.
	g.arm(func(int) hold { return holdBeforeBody }, pass)
	run := startFerry(t, bin, env, append([]string{"--verbose", "upload"}, paths...)...)
	h := run.waitHeld(t, g)
	jr := journalOf(t, journalDir)
	require.Len(t, jr, 3, "every queued file is journalled: %v", jr)
	for name, e := range jr {
		if name == h.name {
			assert.Equal(t, api.ProtocolS3, e.Protocol, "%s started", name)
		} else {
			assert.Empty(t, e.Protocol, "%s only queued", name)
		}
	}
	run.kill(t, g)

	// 2. Mid-part: a file's first part is stored, its second is cut in
	// half. (Which file goes first is up to the queue.)
	g.arm(func(n int) hold {
		if n == 2 {
			return holdMidBody
		}
		return pass
	}, pass)
	run = startFerry(t, bin, env, "--verbose", "upload", "--resume")
	h = run.waitHeld(t, g)
	require.GreaterOrEqual(t, h.part, 2)
	jr = waitJournal(t, journalDir, func(jr map[string]upload.JournalEntry) bool { return len(jr[h.name].Parts) == h.part-1 })
	require.Len(t, jr, 3)
	run.kill(t, g)

	// 3. Between parts: one more part is stored, the next not begun.
	g.arm(func(n int) hold {
		if n == 2 {
			return holdBeforeBody
		}
		return pass
	}, pass)
	run = startFerry(t, bin, env, "--verbose", "upload", "--resume")
	h = run.waitHeld(t, g)
	require.GreaterOrEqual(t, h.part, 2, "a part before it is stored")
	jr = waitJournal(t, journalDir, func(jr map[string]upload.JournalEntry) bool { return len(jr[h.name].Parts) == h.part-1 })
	require.Len(t, jr, 3)
	assert.Contains(t, run.stderr.String(), "resuming upload", "only the missing parts are sent")
	run.kill(t, g)

	// 4. During complete: the backend has put a file together, ferry never
	// hears of it.
	g.arm(nil, holdAnswer)
	run = startFerry(t, bin, env, "--verbose", "upload", "--resume")
	h = run.waitHeld(t, g)
	require.Contains(t, h.what, "answered 200")
	require.Len(t, journalOf(t, journalDir), 3)
	run.kill(t, g)

	// 5. The last resume finishes everything.
	g.arm(nil, pass)
	run = startFerry(t, bin, env, "upload", "--resume", "--json")
	select {
	case err := <-run.exited:
		require.NoError(t, err, "ferry upload --resume: %s", run.stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("ferry upload --resume did not end: %s", run.stderr.String())
	}
	got := map[string]upload.Result{}
	sc := bufio.NewScanner(strings.NewReader(run.stdout.String()))
	for sc.Scan() {
		var res upload.Result
		require.NoError(t, json.Unmarshal(sc.Bytes(), &res))
		got[res.Name] = res
	}
	require.Len(t, got, 3, "every file is reported: %v", got)
	for name, sum := range sums {
		res := got[name]
		assert.Equal(t, sum, res.SHA256, "%s: whole-file hash", name)
		assert.Equal(t, sum, sha256File(t, filepath.Join(storeDir, filepath.FromSlash(res.Key))), "%s stored byte-identical", name)
	}
	assert.Empty(t, journalOf(t, journalDir), "nothing left to resume")

	again := startFerry(t, bin, env, "upload", "--resume")
	require.NoError(t, <-again.exited)
	assert.Contains(t, again.stderr.String(), "nothing to resume")
}
