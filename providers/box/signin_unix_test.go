//go:build unix

package box_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/testenv"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/box"
	"github.com/ferry-app/ferry/providers/box/fakebox"
)

// chromium opens URLs in real headless Chromium, one browser per call.
func chromium(t *testing.T) auth.Opener { return testenv.ChromiumOpener(t) }

const secretEnv = "FERRY_TEST_BOX_CLIENT_SECRET"

// startBackend runs the reference backend (auth "none" on 127.0.0.1, a
// per-test bearer) with Box set up for server-side exchange against the
// fake; the client secret comes from the environment, as in production.
func startBackend(t *testing.T, fb *fakebox.Server) (baseURL, bearer string) {
	t.Setenv(secretEnv, fb.ClientSecret)
	cfg := backend.EmbeddedConfig(t.TempDir())
	cfg.Providers = map[string]backend.ProviderConfig{
		"box": {ClientID: fb.ClientID, ClientSecretEnv: secretEnv, Exchange: api.ExchangeBackend,
			TokenURL: fb.URL + "/oauth2/token", RevokeURL: fb.URL + "/oauth2/revoke", RevokeAuth: "form"},
	}
	bearer = hex.EncodeToString(randomBytes(16))
	srv, err := backend.New(cfg, backend.WithBearerToken(bearer))
	require.NoError(t, err)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return "http://" + l.Addr().String(), bearer
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// authConfig builds the sign-in configuration from the kind's SignIn the
// way main's Env.AuthConfig does, in backend exchange mode.
func authConfig(s providers.Settings, backendURL, bearer string) *auth.Config {
	k := box.Kind
	si := k.SignIn(s)
	return &auth.Config{ID: s.Name, AuthURL: si.AuthURL, TokenURL: si.TokenURL, RevokeURL: si.RevokeURL,
		ClientID: s.ClientID, Scopes: si.Scopes, Exchange: auth.ExchangeBackend, Backend: backendURL,
		BackendToken: func(context.Context) (string, error) { return bearer, nil }}
}

func testAppID(t *testing.T) string {
	id := "io.ferry.test.box." + hex.EncodeToString(randomBytes(6))
	t.Cleanup(func() { _ = vault.NewKeychain(id, 0).DeleteKey(context.Background()) })
	return id
}

// Sign in with headless Chromium, the code redeemed through the reference
// backend (which adds the secret Box requires); then refresh through the
// backend with the vault against single-use refresh tokens, and sign out
// (revocation through the backend).
func TestSignInThroughBackendAndSingleUseRefresh(t *testing.T) {
	testenv.RequireSecretService(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fb := fakebox.Start(t, fakebox.Options{})
	_, err := fb.Seed("0", []string{"hello.txt"}, []byte("hello from Box"))
	require.NoError(t, err)
	backendURL, bearer := startBackend(t, fb)
	s := providers.Settings{Name: "box", Type: "box", ClientID: fb.ClientID, Exchange: api.ExchangeBackend,
		AuthBase: fb.AuthBase, APIBase: fb.URL}
	c := authConfig(s, backendURL, bearer)

	res, err := c.SignIn(ctx, auth.Options{Opener: chromium(t), Timeout: 90 * time.Second})
	require.NoError(t, err)
	require.NotEmpty(t, res.Token.AccessToken)
	require.NotEmpty(t, res.Token.RefreshToken)
	st := fb.Stats()
	assert.Equal(t, 1, st.CodeExchanges)
	assert.Zero(t, st.SecretRejected, "the backend added the client secret")

	k := box.Kind
	p, err := k.New(ctx, s, providers.Deps{Tokens: oauth2.StaticTokenSource(res.Token)})
	require.NoError(t, err)
	acct, err := p.(providers.AccountInfo).AccountInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, fb.UserID(), acct.ID)

	// The vault holds the sign-in; its access token has run out.
	path := filepath.Join(t.TempDir(), "tokens.vault")
	appID := testAppID(t)
	v := vault.Open(ctx, vault.Options{Path: path, AppID: appID})
	require.True(t, v.Persistent(), v.Reason())
	stale := *res.Token
	stale.Expiry = time.Now().Add(-time.Minute)
	require.NoError(t, v.Put(ctx, vault.Account{Provider: "box", ID: acct.ID, Status: vault.StatusOK}, &stale))
	refresher := func(ctx context.Context, t *oauth2.Token) (*oauth2.Token, error) {
		return c.Refresh(ctx, t.RefreshToken)
	}
	open := func(d time.Duration) *vault.Vault {
		return vault.Open(ctx, vault.Options{Path: path, AppID: appID, Clock: func() time.Time { return time.Now().Add(d) }})
	}

	p, err = k.New(ctx, s, providers.Deps{Tokens: open(0).TokenSource(ctx, "box", acct.ID, refresher)})
	require.NoError(t, err)
	page, err := p.List(ctx, "", "")
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	rc, err := p.Open(ctx, page.Entries[0].ID, 0)
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "hello from Box", string(b))
	st = fb.Stats()
	assert.Equal(t, 1, st.Refreshes, "one refresh, through the backend")
	require.Len(t, fb.ValidRefreshTokens(), 1)
	assert.NotEqual(t, res.Token.RefreshToken, fb.ValidRefreshTokens()[0], "the used refresh token is dead")

	// A "restarted" Ferry two hours later refreshes with what the vault
	// stored: that works only if the rotated token was persisted (the
	// spent one would be refused with invalid_grant).
	tok, err := open(2*time.Hour).TokenSource(ctx, "box", acct.ID, refresher).Token()
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	st = fb.Stats()
	assert.Equal(t, 2, st.Refreshes)
	assert.Zero(t, st.RefreshRejected, "no spent refresh token was ever sent")

	// Replaying the original (spent) refresh token fails: single use.
	_, err = c.Refresh(ctx, res.Token.RefreshToken)
	assert.ErrorIs(t, err, auth.ErrNeedsSignIn)

	// Sign-out revokes through the backend; the grant is gone at Box.
	require.NoError(t, open(2*time.Hour).SignOut(ctx, "box", acct.ID, func(ctx context.Context, t *oauth2.Token) error {
		return c.Revoke(ctx, t)
	}))
	assert.Equal(t, 1, fb.Stats().Revocations)
	assert.Empty(t, fb.ValidRefreshTokens())
	_, err = p.List(ctx, "", "")
	assert.Error(t, err)
}

// Box's token endpoint requires the client secret: a direct (PKCE-style)
// exchange without it is refused, which is why Box always goes through
// the backend.
func TestTokenEndpointRequiresSecret(t *testing.T) {
	fb := fakebox.Start(t, fakebox.Options{})
	_, rt := fb.IssueTokens()
	resp, err := http.PostForm(fb.URL+"/oauth2/token", url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {rt}, "client_id": {fb.ClientID}})
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, string(body), `"invalid_client"`)
	assert.Equal(t, 1, fb.Stats().SecretRejected)
	assert.Equal(t, []string{rt}, fb.ValidRefreshTokens(), "a refused call does not spend the token")
}

func TestSignInDenied(t *testing.T) {
	fb := fakebox.Start(t, fakebox.Options{})
	fb.Deny.Store(true)
	backendURL, bearer := startBackend(t, fb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := authConfig(providers.Settings{Name: "box", ClientID: fb.ClientID, AuthBase: fb.AuthBase, APIBase: fb.URL}, backendURL, bearer)
	var shown string
	_, err := c.SignIn(ctx, auth.Options{Opener: chromium(t), Timeout: 50 * time.Second, OnURL: func(u string) { shown = u }})
	assert.ErrorIs(t, err, auth.ErrCancelled)
	assert.True(t, strings.HasPrefix(shown, fb.AuthBase+"/api/oauth2/authorize?"), shown)
	assert.Zero(t, fb.Stats().CodeExchanges)
}
