package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	xwebdav "golang.org/x/net/webdav"

	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/internal/testenv"
)

// fakeNextcloud is a Nextcloud-shaped server: Login Flow v2 under /nc
// (https://docs.nextcloud.com/server/latest/developer_manual/client_apis/LoginFlow/)
// and the user's files over WebDAV (golang.org/x/net/webdav) behind basic
// auth with the app password the flow hands out.
type fakeNextcloud struct {
	*httptest.Server
	user, password string

	mu      sync.Mutex
	granted bool // the login page was opened
	handed  bool // the credentials were polled (Nextcloud gives them once)
}

func startFakeNextcloud(t *testing.T, user, password string) *fakeNextcloud {
	f := &fakeNextcloud{user: user, password: password}
	fs := xwebdav.NewMemFS()
	ctx := context.Background()
	require.NoError(t, fs.Mkdir(ctx, "/Reports", 0o755))
	w, err := fs.OpenFile(ctx, "/Reports/q3.pdf", os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	w.Write([]byte("%PDF-1.7 q3"))
	w.Close()
	prefix := "/nc/remote.php/dav/files/" + user
	dav := &xwebdav.Handler{Prefix: prefix, FileSystem: fs, LockSystem: xwebdav.NewMemLS()}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /nc/index.php/login/v2", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"poll":  map[string]string{"token": "poll-token-secret", "endpoint": f.URL + "/nc/login/v2/poll"},
			"login": f.URL + "/nc/login/v2/flow/abc123",
		})
	})
	mux.HandleFunc("GET /nc/login/v2/flow/abc123", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.granted = true
		f.mu.Unlock()
		fmt.Fprint(w, "<html><body>Account connected. You can close this window.</body></html>")
	})
	mux.HandleFunc("POST /nc/login/v2/poll", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.PostFormValue("token") != "poll-token-secret" || !f.granted || f.handed {
			http.NotFound(w, r)
			return
		}
		f.handed = true
		json.NewEncoder(w).Encode(map[string]string{"server": f.URL + "/nc", "loginName": user, "appPassword": password})
	})
	mux.Handle(prefix+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != f.user || p != f.password {
			w.Header().Set("WWW-Authenticate", `Basic realm="Nextcloud"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		dav.ServeHTTP(w, r)
	}))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func writeUserConfig(t *testing.T, home, body string) {
	dir := filepath.Join(home, ".config", "ferry")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.toml"), []byte(body), 0o600))
}

// TestLoginNextcloudLoginFlow: `ferry login` of a Nextcloud remote opens
// Login Flow v2 in the browser (headless Chromium), stores the app
// password only in the encrypted vault, and `ferry ls` then lists with it.
func TestLoginNextcloudLoginFlow(t *testing.T) {
	testenv.RequireSecretService(t)
	home := isolate(t)
	nc := startFakeNextcloud(t, "alice", "app-pw-Zq8xK2")
	writeUserConfig(t, home, fmt.Sprintf("[providers.cloud]\ntype = \"webdav\"\nurl = %q\n", nc.URL+"/nc/remote.php/dav/files/alice/"))
	t.Cleanup(func() { vault.Open(context.Background(), vault.Options{AppID: app.ID}).ForgetAll(context.Background()) })

	_, stderr, code := lsJSON(t, "cloud:/Reports")
	require.Equal(t, 1, code, "without a sign-in the server refuses")
	assert.Contains(t, stderr, "sign")

	testenv.ChromiumAsBROWSER(t)
	prev := testStdin
	testStdin = strings.NewReader("")
	t.Cleanup(func() { testStdin = prev })
	var stdout, errb bytes.Buffer
	require.Equal(t, 0, run([]string{"login", "cloud"}, &stdout, &errb), errb.String())
	assert.Contains(t, stdout.String(), "as alice on 127.0.0.1")
	assert.Contains(t, errb.String(), nc.URL+"/nc/login/v2/flow/abc123", "the link is printed for opening by hand")

	got, stderr, code := lsJSON(t, "cloud:/Reports")
	require.Equal(t, 0, code, stderr)
	assert.EqualValues(t, 11, got["q3.pdf"].Size)

	// The app password and the poll token are nowhere on disk in the clear.
	filepath.Walk(home, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			assert.NotContains(t, string(b), "app-pw-Zq8xK2", p)
			assert.NotContains(t, string(b), "poll-token-secret", p)
		}
		return nil
	})
	assert.NotContains(t, errb.String()+stdout.String(), "app-pw-Zq8xK2")

	stdout.Reset()
	errb.Reset()
	require.Equal(t, 0, run([]string{"logout", "cloud"}, &stdout, &errb), errb.String())
	assert.Contains(t, errb.String(), "keeps accepting this password", "the person learns the server still honours it")
	_, _, code = lsJSON(t, "cloud:/Reports")
	assert.Equal(t, 1, code, "signed out: the password is gone")
}

// TestLoginWebDAVPassword: a plain WebDAV server takes a login name and a
// password (one line on stdin); a wrong one is refused before anything is
// stored.
func TestLoginWebDAVPassword(t *testing.T) {
	testenv.RequireSecretService(t)
	home := isolate(t)
	nc := startFakeNextcloud(t, "bob", "correct horse")
	writeUserConfig(t, home, fmt.Sprintf("[providers.nas]\ntype = \"webdav\"\nurl = %q\n", nc.URL+"/nc/remote.php/dav/files/bob/"))
	t.Cleanup(func() { vault.Open(context.Background(), vault.Options{AppID: app.ID}).ForgetAll(context.Background()) })
	prev := testStdin
	t.Cleanup(func() { testStdin = prev })

	var stdout, errb bytes.Buffer
	testStdin = strings.NewReader("wrong horse\n")
	assert.Equal(t, 1, run([]string{"login", "--user", "bob", "nas"}, &stdout, &errb))
	assert.Contains(t, errb.String(), "did not accept the login name and password")
	assert.NotContains(t, errb.String(), "wrong horse")
	stdout.Reset()
	errb.Reset()
	require.Equal(t, 0, run([]string{"accounts"}, &stdout, &errb))
	assert.Contains(t, stdout.String(), "No accounts", "nothing stored for a refused password")

	testStdin = strings.NewReader("correct horse\n")
	stdout.Reset()
	errb.Reset()
	require.Equal(t, 0, run([]string{"login", "--user", "bob", "nas"}, &stdout, &errb), errb.String())
	got, stderr, code := lsJSON(t, "nas:/Reports")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, got, "q3.pdf")
}

// TestLoginPlainWebDAVSaysToUseAPassword: a WebDAV server that is not
// Nextcloud has no sign-in in the browser; `ferry login` says how to sign
// in instead of reporting a missing page.
func TestLoginPlainWebDAVSaysToUseAPassword(t *testing.T) {
	home := isolate(t)
	srv := httptest.NewServer(&xwebdav.Handler{Prefix: "/dav", FileSystem: xwebdav.NewMemFS(), LockSystem: xwebdav.NewMemLS()})
	defer srv.Close()
	writeUserConfig(t, home, fmt.Sprintf("[providers.nas]\ntype = \"webdav\"\nurl = %q\n", srv.URL+"/dav/"))
	prev := testStdin
	testStdin = strings.NewReader("")
	t.Cleanup(func() { testStdin = prev })
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 1, run([]string{"login", "--no-browser", "nas"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "a login name and password are needed")
	assert.Contains(t, stderr.String(), "ferry login --user NAME nas")
	assert.Empty(t, stdout.String())
}
