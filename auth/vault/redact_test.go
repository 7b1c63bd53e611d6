package vault

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zalando/go-keyring"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/internal/testenv"
)

// A vault entry handed to a logger by mistake prints its name, not its
// tokens, whatever the handler (the JSON handler marshals structs whole).
func TestRecordLogsRedacted(t *testing.T) {
	r := &record{Provider: "gdrive", Account: "42", AccessToken: "ya29.secret-access", RefreshToken: "1//secret-refresh"}
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("oops", "entry", r, "copy", *r)
		assert.NotContains(t, buf.String(), "secret", name)
		assert.Contains(t, buf.String(), "gdrive", name)
	}
}

// A keychain entry that is there but is not a vault key is reported as
// such: the vault stays memory-only and keeps its file and the entry,
// instead of taking it for "no key yet", moving the saved sign-ins aside
// and replacing the key.
func TestMalformedKeychainEntryIsNotTakenForMissing(t *testing.T) {
	testenv.RequireSecretService(t)
	ctx := context.Background()
	id := testAppID(t)
	path := filepath.Join(t.TempDir(), "ferry", "tokens.vault")
	v := Open(ctx, Options{Path: path, AppID: id})
	require.True(t, v.Persistent(), v.Reason())
	require.NoError(t, v.Put(ctx, Account{Provider: "gdrive", ID: "42"},
		&oauth2.Token{AccessToken: "a", RefreshToken: "r", Expiry: time.Now().Add(time.Hour)}))
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	require.NoError(t, keyring.Set(KeychainService, id, "not a base64 key"))
	_, err = NewKeychain(id, 0).LoadKey(ctx)
	require.ErrorIs(t, err, ErrKeyMalformed)
	assert.NotErrorIs(t, err, ErrKeyNotFound)

	v2 := Open(ctx, Options{Path: path, AppID: id})
	assert.False(t, v2.Persistent())
	assert.Contains(t, v2.Reason(), "malformed")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the saved sign-ins are kept as they were")
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*"))
	assert.Len(t, matches, 2, "no moved-aside copy: %v", matches) // the vault and its lock file
	got, err := keyring.Get(KeychainService, id)
	require.NoError(t, err)
	assert.Equal(t, "not a base64 key", got, "the entry is not replaced")
}
