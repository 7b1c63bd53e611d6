package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/testenv"
	"github.com/ferry-app/ferry/upload"
)

// slowBackend is the embedded backend behind a proxy that adds its bearer
// token, sends storage uploads at about rate bytes a second (so the queue
// can be seen mid-upload), refuses the file named refuse the way an
// organisation refusing a type would, and offers no batch signing.
func slowBackend(t *testing.T, rate int, refuse string) string {
	t.Helper()
	emb, err := backend.StartEmbedded(context.Background(), t.TempDir(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = emb.Close(context.Background()) })
	target, err := url.Parse(emb.URL)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	self := "http://" + l.Addr().String()
	rp := httputil.NewSingleHostReverseProxy(target)
	direct := rp.Director
	rp.Director = func(r *http.Request) {
		direct(r)
		r.Host = target.Host
		if r.Header.Get("Authorization") == "" && r.URL.Path != "/.well-known/ferry" {
			r.Header.Set("Authorization", "Bearer "+emb.Token)
		}
		if r.Method == http.MethodPut && r.Body != nil {
			r.Body = &slowBody{r: r.Body, rate: rate}
		}
	}
	rp.ModifyResponse = func(resp *http.Response) error {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		b = bytes.ReplaceAll(b, []byte(emb.URL), []byte(self))
		if resp.Request.URL.Path == "/.well-known/ferry" {
			// Announce no batch signing, as a Companion-only backend would:
			// every file asks /s3/params on its own, where the refusal is.
			var d api.Discovery
			if err := json.Unmarshal(b, &d); err != nil {
				return err
			}
			d.Upload.ParamsBatch = 0
			if b, err = json.Marshal(d); err != nil {
				return err
			}
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/s3/params" && r.URL.Query().Get("filename") == refuse {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":"type_not_allowed","message":"PNG images are not accepted here"}`))
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return self
}

type slowBody struct {
	r    io.ReadCloser
	rate int
}

func (s *slowBody) Read(p []byte) (int, error) {
	if len(p) > 4096 {
		p = p[:4096]
	}
	n, err := s.r.Read(p)
	time.Sleep(time.Duration(n) * time.Second / time.Duration(s.rate))
	return n, err
}

func (s *slowBody) Close() error { return s.r.Close() }

// startPick runs `ferry pick` under the display, waits until it lists
// folder (This Computer's), and returns its window, its stdout and a
// channel with its exit.
func startPick(t *testing.T, bin, display, folder string, env []string, args ...string) (id string, stdout *bytes.Buffer, exited chan error, logs *syncBuffer) {
	t.Helper()
	stdout, logs = &bytes.Buffer{}, &syncBuffer{}
	exited = startBinary(t, bin, append(env, "DISPLAY="+display), stdout, logs, append([]string{"--verbose", "pick"}, args...)...)
	id = waitWindow(t, display, "choose files$", exited, logs)
	waitLog(t, logs, `msg="folder listed" source="This Computer" folder=`+folder)
	xdo(t, display, "windowfocus", "--sync", id)
	return id, stdout, exited, logs
}

func waitExit(t *testing.T, exited chan error, logs *syncBuffer) int {
	t.Helper()
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		require.NoError(t, err, "%s", logs)
		return 0
	case <-time.After(90 * time.Second):
		t.Fatalf("ferry pick did not exit\n%s", logs)
	}
	return -1
}

// TestPickUnderXvfb drives `ferry pick` like a person: the sign-in dialog
// of the requested source (cancelled with Esc), two photos chosen with the
// keyboard and uploaded with Ctrl+U, the JSON on stdout; then a refused
// file, the settings with the administrator's locked backend, and Esc
// cancelling the picker with nothing on stdout. It keeps screenshots of
// the sign-in dialog, the queue mid-upload, the error and the settings.
func TestPickUnderXvfb(t *testing.T) {
	bin := buildFerry(t)
	display := startXvfb(t)
	home := sampleHome(t)
	backendURL := slowBackend(t, 150_000, "harbour.png")
	// A big photo takes about 15 s at that rate: long enough to see it move.
	big := make([]byte, 2_300_000)
	_, _ = rand.Read(big)
	require.NoError(t, os.WriteFile(filepath.Join(home, "Pictures", "big-panorama.jpg"), big, 0o644))
	admin := filepath.Join(t.TempDir(), "admin.toml")
	require.NoError(t, os.WriteFile(admin, []byte(`backend = "`+backendURL+`"
locked = ["backend"]
[providers.onedrive]
type = "onedrive"
client_id = "ferry-test"
`), 0o644))
	env := append(guiEnv(home), "FERRY_ADMIN_CONFIG="+admin, "BROWSER=/bin/false")

	// 1. Choose two photos from This Computer and upload them.
	id, stdout, exited, logs := startPick(t, bin, display, "Home", env, "--json", "--multiple", "--source", "onedrive")
	waitLog(t, logs, "sign-in: waiting for the browser") // no OneDrive account yet: the sign-in dialog
	shoot(t, display, id, "signin.png")
	xdo(t, display, "key", "Escape") // cancels the sign-in
	waitLog(t, logs, "sign-in: ended")
	waitStill(t, display, id)                                                 // the dialog has closed
	xdo(t, display, "key", "--delay", "80", "Down", "Down", "Down", "Return") // Pictures
	waitLog(t, logs, `msg="folder listed" source="This Computer" folder=Pictures entries=10`)
	xdo(t, display, "key", "--delay", "80", "space", "Down", "space", "Down", "space", "ctrl+u")
	waitLog(t, logs, `msg=upload name=big-panorama.jpg state=uploading`)
	waitLog(t, logs, `msg="queue panel" expanded=true`) // work started: the queue opened
	select {
	case err := <-exited:
		t.Fatalf("ferry pick ended before the queue could be seen: %v\n%s", err, logs)
	default:
	}
	shootMoving(t, display, id, "queue.png")
	require.Equal(t, 0, waitExit(t, exited, logs), "%s", logs)

	var picked []upload.Result
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &picked), "stdout: %s\n%s", stdout, logs)
	require.Len(t, picked, 3, "%s", stdout)
	sort.Slice(picked, func(i, j int) bool { return picked[i].Name < picked[j].Name })
	for i, name := range []string{"aurora.jpg", "beach.jpg", "big-panorama.jpg"} {
		p := picked[i]
		path := filepath.Join(home, "Pictures", name)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		assert.Equal(t, name, p.Name)
		assert.Equal(t, int64(len(data)), p.Size)
		assert.Equal(t, "image/jpeg", p.Type)
		assert.Equal(t, hex.EncodeToString(sum[:]), p.SHA256)
		assert.Contains(t, p.Key, name)
		assert.NotEmpty(t, p.Location)
		assert.NotContains(t, p.Location, "?", "no presigned query in what is printed")
		assert.Equal(t, upload.Place{Provider: "local", Path: path}, p.Source)
	}

	// 2. A refused file stays in the window, explained; Esc cancels.
	// The picker opens where the last one left off (Pictures).
	id, stdout, exited, logs = startPick(t, bin, display, "Pictures entries=10", env, "--json", "--multiple")
	xdo(t, display, "key", "--delay", "80", "End", "Up", "space", "ctrl+u") // harbour.png, before the notes
	waitLog(t, logs, `msg=upload name=harbour.png state=failed`)
	shoot(t, display, id, "error.png")
	select {
	case err := <-exited:
		t.Fatalf("the picker ended although the upload failed: %v\n%s", err, logs)
	default:
	}
	xdo(t, display, "key", "ctrl+comma")
	waitLog(t, logs, `msg="settings shown"`)
	shoot(t, display, id, "settings.png")
	xdo(t, display, "key", "--delay", "300", "Escape", "Escape") // close the settings, then cancel
	assert.Equal(t, 1, waitExit(t, exited, logs), "%s", logs)
	assert.Empty(t, stdout.String(), "a cancelled pick prints nothing")
	assert.NotContains(t, logs.String(), "ferry-test&", "no authorization link in the logs")
}

// syncBuffer is testenv.Buffer: output written by several goroutines.
type syncBuffer = testenv.Buffer

// waitLog waits until the process logged s (with --verbose).
func waitLog(t *testing.T, logs *syncBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(logs.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("ferry did not log %q within 60s\n%s", s, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
