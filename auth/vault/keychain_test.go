package vault

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/internal/testenv"
)

// testAppID gives each test its own keychain entry in the shared session.
func testAppID(t *testing.T) string {
	t.Helper()
	id := "io.ferry.test." + randomHex(6)
	t.Cleanup(func() { NewKeychain(id, 0).DeleteKey(context.Background()) })
	return id
}

func TestKeychainRoundTripOnSecretService(t *testing.T) {
	testenv.RequireSecretService(t)
	ctx := context.Background()
	id := testAppID(t)
	k := NewKeychain(id, 0)

	_, err := k.LoadKey(ctx)
	require.ErrorIs(t, err, ErrKeyNotFound)

	key, err := newKey()
	require.NoError(t, err)
	require.NoError(t, k.StoreKey(ctx, key))
	got, err := k.LoadKey(ctx)
	require.NoError(t, err)
	assert.Equal(t, key, got)

	// It is really in the Secret Service, filed as service "ferry", user = app ID.
	out, err := exec.CommandContext(ctx, "secret-tool", "lookup", "service", KeychainService, "username", id).Output()
	require.NoError(t, err, "secret-tool lookup")
	assert.Len(t, strings.TrimSpace(string(out)), 44, "base64 of 32 bytes")

	require.NoError(t, k.DeleteKey(ctx))
	_, err = k.LoadKey(ctx)
	require.ErrorIs(t, err, ErrKeyNotFound)
	require.NoError(t, k.DeleteKey(ctx), "deleting a missing key is fine")
}

func TestVaultOnSecretServiceSurvivesRestart(t *testing.T) {
	testenv.RequireSecretService(t)
	ctx := context.Background()
	id := testAppID(t)
	path := filepath.Join(t.TempDir(), "ferry", "tokens.vault")
	exp := time.Now().Add(time.Hour).Round(time.Second)

	v := Open(ctx, Options{Path: path, AppID: id})
	require.True(t, v.Persistent(), v.Reason())
	require.NoError(t, v.Put(ctx, Account{Provider: "gdrive", ID: "42", Email: "ann@example.com"},
		&oauth2.Token{AccessToken: "real-keychain-access", RefreshToken: "real-keychain-refresh", Expiry: exp}))

	// Restart: a new instance, the key comes back from the Secret Service.
	v2 := Open(ctx, Options{Path: path, AppID: id})
	require.True(t, v2.Persistent(), v2.Reason())
	assert.Empty(t, v2.Notice())
	accts, err := v2.Accounts(ctx)
	require.NoError(t, err)
	require.Len(t, accts, 1)
	assert.Equal(t, "ann@example.com", accts[0].Name())
	tok, err := v2.TokenSource(ctx, "gdrive", "42", nil).Token()
	require.NoError(t, err)
	assert.Equal(t, "real-keychain-access", tok.AccessToken)

	// Another app ID (another install's key) cannot read it: moved aside.
	other := testAppID(t)
	v3 := Open(ctx, Options{Path: path, AppID: other})
	assert.NotEmpty(t, v3.Notice())

	require.NoError(t, v3.ForgetAll(ctx))
	_, err = NewKeychain(other, 0).LoadKey(ctx)
	assert.ErrorIs(t, err, ErrKeyNotFound, "forget all deletes the key")
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestDeadDBusSocketDegradesToMemoryOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	res := runHelperProcess(ctx, t, "open", map[string]string{
		"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + filepath.Join(dir, "no-bus-here"),
		"FERRY_VAULT_PATH":         filepath.Join(dir, "tokens.vault"),
		"FERRY_VAULT_APPID":        "io.ferry.test.nobus",
	})
	assert.False(t, res.Persistent)
	assert.Contains(t, res.Reason, "no D-Bus session bus")
	_, err := os.Stat(filepath.Join(dir, "tokens.vault"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// A bus that accepts the connection and never answers is what makes
// go-keyring block forever; the vault must give up after its timeout.
func TestSilentDBusTimesOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer l.Close()
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { io.Copy(io.Discard, c); c.Close() }) // reads, never answers
		}
	})

	res := runHelperProcess(ctx, t, "open", map[string]string{
		"DBUS_SESSION_BUS_ADDRESS":     "unix:path=" + sock,
		"FERRY_VAULT_PATH":             filepath.Join(dir, "tokens.vault"),
		"FERRY_VAULT_APPID":            "io.ferry.test.silent",
		"FERRY_VAULT_KEYCHAIN_TIMEOUT": "700ms",
	})
	assert.False(t, res.Persistent)
	assert.Equal(t, "the keychain did not answer within 700ms", res.Reason)
}

func TestNoSecretServiceDegradesToMemoryOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	// A session bus that can activate nothing, so no keyring daemon appears.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "services"), 0o700))
	conf := filepath.Join(dir, "session.conf")
	require.NoError(t, os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=`+dir+`</listen>
  <auth>EXTERNAL</auth>
  <servicedir>`+filepath.Join(dir, "services")+`</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600))
	res := runHelperProcess(ctx, t, "open", map[string]string{
		"FERRY_VAULT_PATH":  filepath.Join(dir, "tokens.vault"),
		"FERRY_VAULT_APPID": "io.ferry.test.nosecrets",
	}, "dbus-run-session", "--config-file="+conf, "--")
	assert.False(t, res.Persistent)
	assert.Contains(t, res.Reason, "no Secret Service keychain is available")
}

func TestLockedCollectionDegradesToMemoryOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	// Its own keyring session, so locking it disturbs no other test.
	script := filepath.Join(testenv.RepoRoot(t), "scripts", "with-keyring.sh")
	res := runHelperProcess(ctx, t, "locked", map[string]string{
		"FERRY_VAULT_PATH":  filepath.Join(dir, "tokens.vault"),
		"FERRY_VAULT_APPID": "io.ferry.test.locked",
	}, script)
	require.Empty(t, res.Err)
	assert.False(t, res.Persistent)
	assert.Contains(t, res.Reason, "locked")
}

func TestKeychainErrorReasons(t *testing.T) {
	for _, tc := range []struct {
		err  *KeychainError
		want string
	}{
		{&KeychainError{Op: "get", Cause: ErrNoDBusSession}, "no D-Bus session bus"},
		{&KeychainError{Op: "get", Cause: ErrNoSecretService}, "no Secret Service keychain"},
		{&KeychainError{Op: "set", Cause: ErrKeychainLocked}, "keychain is locked"},
		{&KeychainError{Op: "get", Cause: ErrKeychainTimedOut, After: 3 * time.Second}, "did not answer within 3s"},
	} {
		assert.Contains(t, tc.err.Reason(), tc.want)
		assert.ErrorIs(t, tc.err, tc.err.Cause)
		assert.True(t, strings.HasPrefix(tc.err.Error(), "keychain "+tc.err.Op+": "))
	}
}

// A keychain call blocked past its timeout is abandoned; while it stays
// blocked, further calls fail at once instead of piling up goroutines.
func TestBlockedKeychainCallIsAbandoned(t *testing.T) {
	testenv.RequireSecretService(t)
	ctx := context.Background()
	k := NewKeychain(testAppID(t), 200*time.Millisecond)
	release := make(chan struct{})
	err := k.do(ctx, "get", func() error { <-release; return nil })
	require.ErrorIs(t, err, ErrKeychainTimedOut)

	calls := 0
	err = k.do(ctx, "get", func() error { calls++; return nil })
	require.ErrorIs(t, err, ErrKeychainTimedOut)
	assert.Contains(t, err.Error(), "did not answer")
	assert.Zero(t, calls, "not started while the first call is stuck")

	close(release)
	require.Eventually(t, func() bool { return k.stuck.Load() == 0 }, 10*time.Second, 10*time.Millisecond)
	// Once the stuck call returned, calls go through again. A generous
	// limit now: on a loaded machine starting the call can take longer
	// than the 200 ms that made the first one time out.
	k.Timeout = 10 * time.Second
	require.NoError(t, k.do(ctx, "get", func() error { calls++; return nil }))
	assert.Equal(t, 1, calls)
}
