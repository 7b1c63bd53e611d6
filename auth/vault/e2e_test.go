package vault

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/internal/testenv"
)

// Two Ferry processes find the same account expired and refresh at once,
// against a token endpoint that accepts each refresh token only once. The
// file lock and the re-read under it must leave one valid chain.
func TestTwoProcessesRefreshOneChain(t *testing.T) {
	testenv.RequireSecretService(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := newTokenServer(t)
	srv.delay = 200 * time.Millisecond // hold the lock long enough for the other to queue
	id := testAppID(t)
	path := filepath.Join(t.TempDir(), "ferry", "tokens.vault")

	at, rt := srv.issue()
	v := Open(ctx, Options{Path: path, AppID: id})
	require.True(t, v.Persistent(), v.Reason())
	require.NoError(t, v.Put(ctx, Account{Provider: "box", ID: "shared"}, &oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(-time.Minute)}))

	env := map[string]string{"FERRY_VAULT_PATH": path, "FERRY_VAULT_APPID": id, "FERRY_VAULT_TOKEN_SERVER": srv.URL}
	type proc struct {
		stdin  io.WriteCloser
		stdout *bufio.Reader
		stderr strings.Builder
		wait   func() error
	}
	procs := make([]*proc, 2)
	for i := range procs {
		cmd := helper(ctx, t, "refresh", env)
		p := &proc{}
		cmd.Stderr = &p.stderr
		var err error
		p.stdin, err = cmd.StdinPipe()
		require.NoError(t, err)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		p.stdout = bufio.NewReader(out)
		require.NoError(t, cmd.Start())
		p.wait = cmd.Wait
		procs[i] = p
	}
	for _, p := range procs {
		line, err := p.stdout.ReadString('\n')
		require.NoError(t, err, p.stderr.String())
		require.Equal(t, "ready\n", line, p.stderr.String())
	}
	for _, p := range procs {
		_, err := io.WriteString(p.stdin, "go\n")
		require.NoError(t, err)
	}
	var results []helperResult
	for _, p := range procs {
		rest, err := io.ReadAll(p.stdout)
		require.NoError(t, err)
		require.NoError(t, p.wait(), p.stderr.String())
		res := parseResult(t, string(rest), p.stderr.String())
		require.Empty(t, res.Err, p.stderr.String())
		require.True(t, res.Persistent, res.Reason)
		results = append(results, res)
	}

	refreshes, rejected, valid := srv.counts()
	assert.Equal(t, 1, refreshes, "the token endpoint saw exactly one refresh")
	assert.Zero(t, rejected, "nobody used a spent refresh token")
	assert.Equal(t, 1, valid, "exactly one valid chain")
	for _, res := range results {
		assert.Equal(t, 200, res.Status, "both processes hold a working token")
	}
	assert.Equal(t, results[0].Access, results[1].Access, "the second used the token the first just refreshed")
	assert.NotEqual(t, at, results[0].Access)

	// The vault holds the one valid refresh token: refreshing later works.
	key, err := NewKeychain(id, 0).LoadKey(ctx)
	require.NoError(t, err)
	r := storedRecord(t, path, id, key, "box:shared")
	assert.Equal(t, srv.validRefreshTokens(), []string{r.RefreshToken})
	later := Open(ctx, Options{Path: path, AppID: id, Clock: func() time.Time { return time.Now().Add(2 * time.Hour) }})
	tok, err := later.TokenSource(ctx, "box", "shared", ConfigRefresher(srv.config())).Token()
	require.NoError(t, err)
	assert.NotEqual(t, results[0].Access, tok.AccessToken)
	refreshes, rejected, _ = srv.counts()
	assert.Equal(t, 2, refreshes)
	assert.Zero(t, rejected)
}

// Sign in (store), refresh, sign out: no token byte may reach the config,
// data or cache dirs in the clear, nor the logs — at Debug level.
func TestNoTokenBytesOnDiskOrInLogs(t *testing.T) {
	testenv.RequireSecretService(t)
	ctx := context.Background()
	root := t.TempDir()
	for _, v := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"} {
		d := filepath.Join(root, strings.ToLower(v))
		require.NoError(t, os.MkdirAll(d, 0o700))
		t.Setenv(v, d)
	}
	dirs := []string{root}
	var logs syncBuffer
	srv := newTokenServer(t)
	id := testAppID(t)
	open := func() *Vault {
		return Open(ctx, Options{AppID: id, Logger: debugLogger(&logs)})
	}

	at, rt := srv.issue()
	secrets := []string{at, rt}
	v := open()
	require.True(t, v.Persistent(), v.Reason())
	assert.Equal(t, filepath.Join(root, "xdg_config_home", "ferry", "tokens.vault"), v.Path())
	require.NoError(t, v.Put(ctx, Account{Provider: "dropbox", ID: "dbid:1", Email: "ann@example.com"},
		&oauth2.Token{AccessToken: at, RefreshToken: rt, TokenType: "bearer", Expiry: time.Now().Add(-time.Minute)}))
	_, err := os.Stat(v.Path())
	require.NoError(t, err, "the sign-in is on disk, encrypted")
	scanForSecrets(t, secrets, dirs...)

	// Refresh in a "restarted" Ferry, then use it.
	ts := open().TokenSource(ctx, "dropbox", "dbid:1", ConfigRefresher(srv.config()))
	tok, err := ts.Token()
	require.NoError(t, err)
	secrets = append(secrets, tok.AccessToken)
	secrets = append(secrets, srv.validRefreshTokens()...)
	require.Len(t, secrets, 4)
	status, err := callAPI(ctx, srv.URL+"/api", ts)
	require.NoError(t, err)
	require.Equal(t, 200, status)
	scanForSecrets(t, secrets, dirs...)

	// A failed refresh logs too; still nothing secret.
	srv.failNext = 1
	_, err = open().TokenSource(ctx, "dropbox", "dbid:1", ConfigRefresher(srv.config())).Token()
	require.NoError(t, err, "still fresh: no refresh needed")
	later := Open(ctx, Options{AppID: id, Logger: debugLogger(&logs), Clock: func() time.Time { return time.Now().Add(2 * time.Hour) }})
	_, err = later.TokenSource(ctx, "dropbox", "dbid:1", ConfigRefresher(srv.config())).Token()
	require.Error(t, err)
	for _, s := range secrets {
		assert.NotContains(t, err.Error(), s)
	}

	require.NoError(t, open().SignOut(ctx, "dropbox", "dbid:1", RevokeRFC7009(nil, srv.URL+"/revoke", srv.clientID)))
	assert.Len(t, srv.revoked, 1)
	accts, err := open().Accounts(ctx)
	require.NoError(t, err)
	assert.Empty(t, accts)
	scanForSecrets(t, secrets, dirs...)

	out := logs.String()
	assert.Contains(t, out, "vault: refreshed sign-in", "the logs were captured")
	assert.Contains(t, out, "vault: signed out")
	assert.Contains(t, out, "vault: refresh failed")
	for _, s := range secrets {
		assert.NotContains(t, out, s, "a token reached the logs")
	}
}
