//go:build unix

package onedrive_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/internal/testenv"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/onedrive"
	"github.com/ferry-app/ferry/providers/onedrive/fakegraph"
)

// chromium opens URLs in real headless Chromium, one browser per call.
func chromium(t *testing.T) auth.Opener { return testenv.ChromiumOpener(t) }

// authConfig builds the sign-in configuration from the kind's SignIn the
// way main's Env.AuthConfig does.
func authConfig(s providers.Settings) *auth.Config {
	k := onedrive.Kind
	si := k.SignIn(s)
	return &auth.Config{ID: s.Name, AuthURL: si.AuthURL, TokenURL: si.TokenURL, RevokeURL: si.RevokeURL,
		ClientID: s.ClientID, Scopes: si.Scopes, Exchange: auth.ExchangePKCE}
}

func testAppID(t *testing.T) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := "io.ferry.test.onedrive." + hex.EncodeToString(b)
	t.Cleanup(func() { _ = vault.NewKeychain(id, 0).DeleteKey(context.Background()) })
	return id
}

// Sign in with headless Chromium (public client, PKCE, tenant in the
// path), keep the tokens in the vault, and let the vault refresh: the
// fake redeems each refresh token once and rotates it, so a later refresh
// in a "restarted" Ferry only works if the rotated token is what the vault
// stored.
func TestSignInEndToEnd(t *testing.T) {
	testenv.RequireSecretService(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fg := fakegraph.Start(t, fakegraph.Options{Tenant: "contoso.onmicrosoft.com"})
	_, err := fg.Seed(fg.RootID(), []string{"hello.txt"}, []byte("hello from OneDrive"))
	require.NoError(t, err)
	s := providers.Settings{Name: "onedrive", Type: "onedrive", ClientID: fg.ClientID, Tenant: "contoso.onmicrosoft.com",
		AuthBase: fg.AuthBase, APIBase: fg.URL}
	c := authConfig(s)
	var shown string
	res, err := c.SignIn(ctx, auth.Options{Opener: chromium(t), Timeout: 90 * time.Second, OnURL: func(u string) { shown = u }})
	require.NoError(t, err)
	assert.Contains(t, shown, "/contoso.onmicrosoft.com/oauth2/v2.0/authorize?")
	assert.Contains(t, shown, "code_challenge_method=S256")
	require.NotEmpty(t, res.Token.AccessToken)
	require.NotEmpty(t, res.Token.RefreshToken, "offline_access yields a refresh token")
	assert.Equal(t, 1, fg.Stats().CodeExchanges, "the fake checked the PKCE verifier and redeemed the code once")

	k := onedrive.Kind
	p, err := k.New(ctx, s, providers.Deps{Tokens: oauth2.StaticTokenSource(res.Token)})
	require.NoError(t, err)
	acct, err := p.(providers.AccountInfo).AccountInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, fg.UserID(), acct.ID)

	// Into the vault as if its hour had passed; then a "restarted" Ferry.
	path := filepath.Join(t.TempDir(), "tokens.vault")
	appID := testAppID(t)
	v := vault.Open(ctx, vault.Options{Path: path, AppID: appID})
	require.True(t, v.Persistent(), v.Reason())
	stale := *res.Token
	stale.Expiry = time.Now().Add(-time.Minute)
	require.NoError(t, v.Put(ctx, vault.Account{Provider: "onedrive", ID: acct.ID, Status: vault.StatusOK}, &stale))
	refresher := func(ctx context.Context, t *oauth2.Token) (*oauth2.Token, error) {
		return c.Refresh(ctx, t.RefreshToken)
	}
	later := func(d time.Duration) oauth2.TokenSource {
		lv := vault.Open(ctx, vault.Options{Path: path, AppID: appID, Clock: func() time.Time { return time.Now().Add(d) }})
		return lv.TokenSource(ctx, "onedrive", acct.ID, refresher)
	}
	p, err = k.New(ctx, s, providers.Deps{Tokens: later(0)})
	require.NoError(t, err)
	page, err := p.List(ctx, "", "")
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	rc, err := p.Open(ctx, page.Entries[0].ID, 0)
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "hello from OneDrive", string(b))
	st := fg.Stats()
	assert.Equal(t, 1, st.Refreshes)
	require.Len(t, fg.ValidRefreshTokens(), 1, "the first refresh token is spent; one rotated token lives")
	assert.NotEqual(t, res.Token.RefreshToken, fg.ValidRefreshTokens()[0])

	// Two hours on, in yet another process: the refresh uses what the
	// vault stored.
	tok, err := later(2 * time.Hour).Token()
	require.NoError(t, err, "the stored refresh token is the rotated one")
	assert.NotEmpty(t, tok.AccessToken)
	st = fg.Stats()
	assert.Equal(t, 2, st.Refreshes)
	assert.Zero(t, st.RefreshRejected, "nobody redeemed a spent refresh token")
}

func TestSignInDeclined(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	fg.Deny.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := authConfig(providers.Settings{Name: "onedrive", ClientID: fg.ClientID, AuthBase: fg.AuthBase})
	_, err := c.SignIn(ctx, auth.Options{Opener: chromium(t), Timeout: 50 * time.Second})
	assert.ErrorIs(t, err, auth.ErrCancelled)
	assert.Zero(t, fg.Stats().CodeExchanges)
}

// The token endpoint refuses what Microsoft refuses from a public client.
func TestTokenEndpointStrictness(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	_, rt := fg.IssueTokens()
	c := authConfig(providers.Settings{Name: "onedrive", ClientID: fg.ClientID, AuthBase: fg.AuthBase})
	ctx := context.Background()

	withSecret := authConfig(providers.Settings{Name: "onedrive", ClientID: fg.ClientID, AuthBase: fg.AuthBase})
	withSecret.ClientSecret = "a-secret-a-public-client-must-not-send"
	_, err := withSecret.Refresh(ctx, rt)
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_client", oe.Code)

	_, err = c.Refresh(ctx, rt)
	require.NoError(t, err)
	_, err = c.Refresh(ctx, rt)
	assert.ErrorIs(t, err, auth.ErrNeedsSignIn, "a redeemed refresh token is refused (invalid_grant)")

	other := authConfig(providers.Settings{Name: "onedrive", ClientID: fg.ClientID, AuthBase: fg.AuthBase, Tenant: "fabrikam.example"})
	_, err = other.Refresh(ctx, fg.ValidRefreshTokens()[0])
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_request", oe.Code, "unknown tenant")
}
