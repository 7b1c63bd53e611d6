package onedrive_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/providers/onedrive"
	"github.com/ferry-app/ferry/providers/onedrive/fakegraph"
)

// memKeys is a keychain in memory: this test is about the token flow, not
// the Secret Service (auth/vault tests that).
type memKeys struct {
	mu  sync.Mutex
	key []byte
}

func (k *memKeys) LoadKey(context.Context) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key == nil {
		return nil, vault.ErrKeyNotFound
	}
	return k.key, nil
}

func (k *memKeys) StoreKey(_ context.Context, b []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.key = append([]byte(nil), b...)
	return nil
}

func (k *memKeys) DeleteKey(context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.key = nil
	return nil
}

// TestRefusedTokenIsRefreshedOnce: Graph refuses an access token the vault
// still thinks is good for an hour (revoked, clock skew). The provider tells
// the vault, which refreshes once with the stored refresh token, and the
// listing succeeds without the person signing in again.
func TestRefusedTokenIsRefreshedOnce(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	_, err := fg.Seed(fg.RootID(), []string{"kept.txt"}, []byte("x"))
	require.NoError(t, err)
	v := vault.Open(context.Background(), vault.Options{Path: filepath.Join(t.TempDir(), "tokens.vault"), AppID: "io.ferry.test", Keys: &memKeys{}})
	at, rt := fg.IssueTokens()
	require.NoError(t, v.Put(context.Background(), vault.Account{Provider: "onedrive", ID: "u1"},
		&oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(time.Hour)}))
	cfg := &oauth2.Config{ClientID: fg.ClientID, Endpoint: oauth2.Endpoint{TokenURL: fg.AuthBase + "/common/oauth2/v2.0/token", AuthStyle: oauth2.AuthStyleInParams},
		Scopes: []string{"Files.Read", "offline_access", "User.Read"}}
	p, err := onedrive.New(onedrive.Options{APIBase: fg.URL, PageSize: pageSize, Client: fastClient(),
		Tokens: v.TokenSource(context.Background(), "onedrive", "u1", vault.ConfigRefresher(cfg))})
	require.NoError(t, err)

	fg.ExpireAccessTokens()
	page, err := p.List(ctx(t), "", "")
	require.NoError(t, err, "one refresh after the 401")
	require.Len(t, page.Entries, 1)
	assert.Equal(t, "kept.txt", page.Entries[0].Name)
	assert.NotContains(t, fg.ValidRefreshTokens(), rt, "the refresh token rotated")
	assert.Len(t, fg.ValidRefreshTokens(), 1)
}
