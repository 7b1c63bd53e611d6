package vault

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func openTest(t *testing.T, path string, keys KeyStore) *Vault {
	t.Helper()
	return Open(context.Background(), Options{Path: path, AppID: "io.ferry.test", Keys: keys, Logger: debugLogger(&syncBuffer{})})
}

func TestPutPersistsAcrossInstancesEncryptedAndPrivate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ferry", "tokens.vault")
	keys := &memKeys{}
	v := openTest(t, path, keys)
	require.True(t, v.Persistent(), v.Reason())
	require.Len(t, keys.current(), 32, "a key is created per install")

	exp := time.Now().Add(time.Hour).Round(time.Second)
	require.NoError(t, v.Put(ctx, Account{Provider: "gdrive", ID: "111", DisplayName: "Ann", Email: "ann@example.com", Scopes: []string{"drive.readonly"}},
		&oauth2.Token{AccessToken: "access-ann-secret", RefreshToken: "refresh-ann-secret", TokenType: "Bearer", Expiry: exp}))
	require.NoError(t, v.Put(ctx, Account{Provider: "gdrive", ID: "222", Email: "bob@example.com"},
		&oauth2.Token{AccessToken: "access-bob-secret", RefreshToken: "refresh-bob-secret", Expiry: exp}))
	require.NoError(t, v.Put(ctx, Account{Provider: "dropbox", ID: "dbid:9"},
		&oauth2.Token{AccessToken: "access-dbx-secret", Expiry: exp}))

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, byte(formatVersion), data[0])
	for _, s := range []string{"access-ann-secret", "refresh-ann-secret", "ann@example.com", "gdrive", "111"} {
		assert.NotContains(t, string(data), s)
	}
	leftovers, _ := filepath.Glob(path + ".tmp-*")
	assert.Empty(t, leftovers, "atomic write leaves no temp file")

	// A new instance (a restart) sees the same accounts and tokens.
	v2 := openTest(t, path, keys)
	accts, err := v2.Accounts(ctx)
	require.NoError(t, err)
	require.Len(t, accts, 3)
	assert.Equal(t, "dropbox:dbid:9", accts[0].Key())
	assert.Equal(t, "Ann", accts[1].Name())
	assert.Equal(t, "bob@example.com", accts[2].Name(), "two accounts of one provider coexist")
	assert.Equal(t, []string{"drive.readonly"}, accts[1].Scopes)
	assert.Equal(t, StatusOK, accts[1].Status)
	assert.True(t, exp.Equal(accts[1].Expiry))

	tok, err := v2.TokenSource(ctx, "gdrive", "222", nil).Token()
	require.NoError(t, err)
	assert.Equal(t, "access-bob-secret", tok.AccessToken)
	assert.Empty(t, tok.RefreshToken, "token sources never hand out the refresh token")

	_, err = v2.Account(ctx, "gdrive", "333")
	assert.ErrorIs(t, err, ErrUnknownAccount)
}

func TestPutRejectsBadKeys(t *testing.T) {
	v := openTest(t, filepath.Join(t.TempDir(), "tokens.vault"), &memKeys{})
	tok := &oauth2.Token{AccessToken: "a"}
	assert.Error(t, v.Put(context.Background(), Account{Provider: "", ID: "1"}, tok))
	assert.Error(t, v.Put(context.Background(), Account{Provider: "g:d", ID: "1"}, tok))
	assert.Error(t, v.Put(context.Background(), Account{Provider: "gdrive", ID: "1\n"}, tok))
	assert.Error(t, v.Put(context.Background(), Account{Provider: "gdrive", ID: "1"}, &oauth2.Token{}))
}

func TestFlippedCiphertextByteIsMovedAsideAndAsksForSignIn(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.vault")
	keys := &memKeys{}
	v := openTest(t, path, keys)
	require.NoError(t, v.Put(ctx, Account{Provider: "box", ID: "7"}, &oauth2.Token{AccessToken: "a", RefreshToken: "r", Expiry: time.Now().Add(time.Hour)}))

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[len(data)/2] ^= 0x01
	require.NoError(t, os.WriteFile(path, data, 0o600))

	v2 := openTest(t, path, keys)
	assert.True(t, v2.Persistent(), "a corrupt file is not a reason to stop saving sign-ins")
	assert.Contains(t, v2.Notice(), "failed authentication")
	aside, _ := filepath.Glob(path + ".corrupt-*")
	require.Len(t, aside, 1)
	assert.Contains(t, v2.Notice(), aside[0])
	moved, err := os.ReadFile(aside[0])
	require.NoError(t, err)
	assert.Equal(t, data, moved, "the unreadable file is kept, byte for byte")

	_, err = v2.TokenSource(ctx, "box", "7", nil).Token()
	var nse *NeedsSignInError
	require.ErrorAs(t, err, &nse)
	assert.Equal(t, "box", nse.Provider)
	assert.Equal(t, "7", nse.Account)
	assert.Contains(t, nse.Reason, "could not be read")

	// Signing in again works and writes a fresh file.
	require.NoError(t, v2.Put(ctx, Account{Provider: "box", ID: "7"}, &oauth2.Token{AccessToken: "a2", Expiry: time.Now().Add(time.Hour)}))
	accts, err := openTest(t, path, keys).Accounts(ctx)
	require.NoError(t, err)
	require.Len(t, accts, 1)
}

func TestFileBoundToAppIDAndVersion(t *testing.T) {
	key := make([]byte, 32)
	entries := map[string]*record{"gdrive:1": {Provider: "gdrive", Account: "1", Status: StatusOK, AccessToken: "a"}}
	data, err := seal(key, "io.ferry.app", entries)
	require.NoError(t, err)

	m, err := unseal(key, "io.ferry.app", data)
	require.NoError(t, err)
	assert.Equal(t, "a", m["gdrive:1"].AccessToken)

	_, err = unseal(key, "io.other.app", data)
	var ce *corruptError
	assert.ErrorAs(t, err, &ce, "the app ID is authenticated data")

	zero := append([]byte{0}, data[1:]...)
	_, err = unseal(key, "io.ferry.app", zero)
	assert.ErrorAs(t, err, &ce)

	newer := append([]byte{formatVersion + 1}, data[1:]...)
	_, err = unseal(key, "io.ferry.app", newer)
	assert.ErrorIs(t, err, errNewerFormat)

	_, err = unseal(key, "io.ferry.app", data[:20])
	assert.ErrorAs(t, err, &ce)
}

func TestNewerFormatFileIsLeftAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.vault")
	data := append([]byte{formatVersion + 1}, make([]byte, 64)...)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	v := openTest(t, path, &memKeys{})
	assert.False(t, v.Persistent())
	assert.Contains(t, v.Reason(), "newer version of Ferry")
	require.NoError(t, v.Put(context.Background(), Account{Provider: "box", ID: "1"}, &oauth2.Token{AccessToken: "a"}))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, data, got, "a newer Ferry's file is never overwritten")
}

func TestKeyGoneFromKeychainMovesFileAside(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokens.vault")
	keys := &memKeys{}
	v := openTest(t, path, keys)
	require.NoError(t, v.Put(ctx, Account{Provider: "box", ID: "1"}, &oauth2.Token{AccessToken: "a"}))
	old := keys.current()
	require.NoError(t, keys.DeleteKey(ctx))

	v2 := openTest(t, path, keys)
	assert.True(t, v2.Persistent())
	assert.Contains(t, v2.Notice(), "no longer in the keychain")
	assert.NotEqual(t, old, keys.current(), "a new key replaces the lost one")
	aside, _ := filepath.Glob(path + ".corrupt-*")
	assert.Len(t, aside, 1)
	accts, err := v2.Accounts(ctx)
	require.NoError(t, err)
	assert.Empty(t, accts)
}

func TestNoKeychainIsMemoryOnlyAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.vault")
	keys := &memKeys{err: &KeychainError{Op: "get", Cause: ErrKeychainLocked}}
	v := openTest(t, path, keys)
	assert.False(t, v.Persistent())
	assert.Equal(t, "the keychain is locked; unlock your login keyring and restart Ferry", v.Reason())

	require.NoError(t, v.Put(ctx, Account{Provider: "gdrive", ID: "1"}, &oauth2.Token{AccessToken: "memory-only-access", RefreshToken: "memory-only-refresh", Expiry: time.Now().Add(time.Hour)}))
	tok, err := v.TokenSource(ctx, "gdrive", "1", nil).Token()
	require.NoError(t, err)
	assert.Equal(t, "memory-only-access", tok.AccessToken, "tokens still work for this run")
	accts, err := v.Accounts(ctx)
	require.NoError(t, err)
	assert.Len(t, accts, 1)

	_, err = os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "no vault file without a key")
	scanForSecrets(t, []string{"memory-only-access", "memory-only-refresh"}, dir)

	// The next run does not see them.
	keys.err = nil
	accts, err = openTest(t, path, keys).Accounts(ctx)
	require.NoError(t, err)
	assert.Empty(t, accts)
}

func TestExistingFileUntouchedWhileKeychainUnavailable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokens.vault")
	keys := &memKeys{}
	require.NoError(t, openTest(t, path, keys).Put(ctx, Account{Provider: "box", ID: "1"}, &oauth2.Token{AccessToken: "a"}))
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	keys.err = &KeychainError{Op: "get", Cause: ErrKeychainTimedOut, After: time.Second}
	v := openTest(t, path, keys)
	assert.False(t, v.Persistent())
	assert.Contains(t, v.Reason(), "did not answer within 1s")
	require.NoError(t, v.Put(ctx, Account{Provider: "box", ID: "2"}, &oauth2.Token{AccessToken: "b"}))
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	aside, _ := filepath.Glob(path + ".corrupt-*")
	assert.Empty(t, aside, "an unavailable keychain never costs the saved sign-ins")

	keys.err = nil
	accts, err := openTest(t, path, keys).Accounts(ctx)
	require.NoError(t, err)
	require.Len(t, accts, 1)
	assert.Equal(t, "1", accts[0].ID)
}

func TestSignOutRevokesThenDeletesWhateverTheAnswer(t *testing.T) {
	ctx := context.Background()
	srv := newTokenServer(t)
	path := filepath.Join(t.TempDir(), "tokens.vault")
	keys := &memKeys{}
	v := openTest(t, path, keys)

	at, rt := srv.issue()
	require.NoError(t, v.Put(ctx, Account{Provider: "dropbox", ID: "a"}, &oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(time.Hour)}))
	require.NoError(t, v.Put(ctx, Account{Provider: "dropbox", ID: "b"}, &oauth2.Token{AccessToken: "x", RefreshToken: "y"}))

	require.NoError(t, v.SignOut(ctx, "dropbox", "a", RevokeRFC7009(nil, srv.URL+"/revoke", srv.clientID)))
	assert.Equal(t, []string{rt}, srv.revoked, "the refresh token (the grant) is revoked")
	_, _, valid := srv.counts()
	assert.Zero(t, valid)

	failing := func(context.Context, *oauth2.Token) error { return errors.New("revocation endpoint unreachable") }
	err := v.SignOut(ctx, "dropbox", "b", failing)
	assert.ErrorIs(t, err, ErrRevokeFailed)
	var re *RevokeError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "b", re.Account)

	accts, err := openTest(t, path, keys).Accounts(ctx)
	require.NoError(t, err)
	assert.Empty(t, accts, "both entries deleted, the second despite the failed revocation")
	assert.NoError(t, v.SignOut(ctx, "dropbox", "a", failing), "signing out twice is fine")
}

func TestForgetAllDeletesKeyAndFiles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokens.vault")
	keys := &memKeys{}
	v := openTest(t, path, keys)
	require.NoError(t, v.Put(ctx, Account{Provider: "box", ID: "1"}, &oauth2.Token{AccessToken: "a"}))
	require.NoError(t, os.WriteFile(path+".corrupt-20260101T000000Z", []byte("old"), 0o600))
	old := keys.current()

	require.NoError(t, v.ForgetAll(ctx))
	assert.Nil(t, keys.current())
	_, err := os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist)
	aside, _ := filepath.Glob(path + ".corrupt-*")
	assert.Empty(t, aside)
	accts, err := v.Accounts(ctx)
	require.NoError(t, err)
	assert.Empty(t, accts)

	// Signing in afterwards starts over with a new key.
	require.NoError(t, v.Put(ctx, Account{Provider: "box", ID: "2"}, &oauth2.Token{AccessToken: "b"}))
	assert.Len(t, keys.current(), 32)
	assert.NotEqual(t, old, keys.current())
	accts, err = openTest(t, path, keys).Accounts(ctx)
	require.NoError(t, err)
	require.Len(t, accts, 1)
	assert.Equal(t, "2", accts[0].ID)
}

func TestOtherInstanceForgetAllIsNoticed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokens.vault")
	keys := &memKeys{}
	a := openTest(t, path, keys)
	b := openTest(t, path, keys)
	require.NoError(t, a.Put(ctx, Account{Provider: "box", ID: "1"}, &oauth2.Token{AccessToken: "a"}))
	require.NoError(t, b.ForgetAll(ctx))
	// a still caches the old key; its next write must use the new one.
	require.NoError(t, a.Put(ctx, Account{Provider: "box", ID: "2"}, &oauth2.Token{AccessToken: "b"}))
	c := openTest(t, path, keys)
	assert.Empty(t, c.Notice())
	accts, err := c.Accounts(ctx)
	require.NoError(t, err)
	require.Len(t, accts, 1)
	assert.Equal(t, "2", accts[0].ID)
}

func TestOpenRemovesTempFilesOfACrashedWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.vault")
	keys := &memKeys{}
	require.NoError(t, openTest(t, path, keys).Put(context.Background(), Account{Provider: "box", ID: "1"}, &oauth2.Token{AccessToken: "a"}))
	require.NoError(t, os.WriteFile(path+".tmp-12345", []byte("half-written"), 0o600))
	v := openTest(t, path, keys)
	_, err := os.Stat(path + ".tmp-12345")
	assert.ErrorIs(t, err, os.ErrNotExist)
	accts, err := v.Accounts(context.Background())
	require.NoError(t, err)
	assert.Len(t, accts, 1)
}
