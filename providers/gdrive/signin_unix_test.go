//go:build unix

package gdrive

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/testenv"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/gdrive/fakedrive"
)

// chromium opens URLs in real headless Chromium, one browser per call.
func chromium(t *testing.T) auth.Opener { return testenv.ChromiumOpener(t) }

// startBackend runs the reference backend (auth "none" on 127.0.0.1) with
// gdrive set up for server-side code exchange against the fake.
func startBackend(t *testing.T, fd *fakedrive.Server, clientID, secret string) (url, bearer string) {
	cfg := backend.EmbeddedConfig(t.TempDir())
	cfg.Providers = map[string]backend.ProviderConfig{
		"gdrive": {ClientID: clientID, ClientSecretEnv: "FERRY_TEST_GDRIVE_SECRET", Exchange: api.ExchangeBackend,
			TokenURL: fd.URL + "/token", RevokeURL: fd.URL + "/revoke", RevokeAuth: "form"},
	}
	bearer = "backend-bearer-for-test"
	srv, err := backend.New(cfg, backend.WithBearerToken(bearer),
		backend.WithGetenv(func(k string) string {
			if k == "FERRY_TEST_GDRIVE_SECRET" {
				return secret
			}
			return ""
		}))
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

// authConfig builds the sign-in configuration from the kind's SignIn the
// way main does.
func authConfig(s providers.Settings) *auth.Config {
	si := Kind.SignIn(s)
	c := &auth.Config{ID: s.Name, AuthURL: si.AuthURL, TokenURL: si.TokenURL, RevokeURL: si.RevokeURL,
		ClientID: s.ClientID, ClientSecret: s.ClientSecret, Scopes: si.Scopes, AuthParams: map[string]string{},
		AuthParamsNoRefresh: si.AuthParamsNoRefresh, Exchange: s.Exchange, Ports: s.Ports}
	for k, v := range si.AuthParams {
		c.AuthParams[k] = v
	}
	return c
}

// TestSignInEndToEnd signs in with headless Chromium against the fake's
// consent page, in both exchange modes Google supports: through the
// reference backend's /oauth/gdrive/token (the secret stays there), and
// PKCE with the desktop client's published, non-confidential secret.
func TestSignInEndToEnd(t *testing.T) {
	open := chromium(t)
	for _, mode := range []string{api.ExchangeBackend, api.ExchangePKCE} {
		t.Run(mode, func(t *testing.T) {
			fd := startFake(t, 10)
			fd.AutoApprove = true
			fd.RegisterClient("gdrive-desktop", "published-desktop-secret")
			fd.AddFile("root", "hello.txt", []byte("hello from Drive"))
			s := providers.Settings{Name: "gdrive", Type: "gdrive", ClientID: "gdrive-desktop", Exchange: mode,
				AuthBase: fd.URL, APIBase: fd.URL}
			if mode == api.ExchangePKCE {
				s.ClientSecret = "published-desktop-secret"
			}
			c := authConfig(s)
			if mode == api.ExchangeBackend {
				url, bearer := startBackend(t, fd, "gdrive-desktop", "published-desktop-secret")
				c.Backend = url
				c.BackendToken = func(context.Context) (string, error) { return bearer, nil }
			}
			sctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			res, err := c.SignIn(sctx, auth.Options{Opener: open, Timeout: 80 * time.Second})
			require.NoError(t, err)
			require.NotEmpty(t, res.Token.AccessToken)
			require.NotEmpty(t, res.Token.RefreshToken, "access_type=offline + prompt=consent yield a refresh token")

			p, err := Kind.New(sctx, s, providers.Deps{Tokens: c.TokenSource(sctx, res.Token)})
			require.NoError(t, err)
			acct, err := p.(providers.AccountInfo).AccountInfo(sctx)
			require.NoError(t, err)
			assert.Equal(t, "04291837465102938475", acct.ID)
			page, err := p.List(sctx, "", "")
			require.NoError(t, err)
			require.Len(t, page.Entries, 1)
			assert.Equal(t, "hello.txt", page.Entries[0].Name)

			// Google issues a refresh token only on a consent it shows:
			// the same person signing in again gets none at first, so the
			// sign-in asks once more with prompt=consent.
			again := authConfig(s)
			again.Backend, again.BackendToken = c.Backend, c.BackendToken
			res2, err := again.SignIn(sctx, auth.Options{Opener: open, Timeout: 80 * time.Second})
			require.NoError(t, err)
			assert.NotEmpty(t, res2.Token.RefreshToken, "a second sign-in of a person who consented before")

			// Sign-out revokes the grant (via the backend in backend mode).
			require.NoError(t, c.Revoke(sctx, res.Token))
			assert.True(t, fd.Revoked(res.Token.RefreshToken))
			_, err = p.List(sctx, "", "")
			assert.ErrorIs(t, err, providers.ErrNeedsSignIn)
		})
	}
}

// A second account whose person consented to Ferry before (on another
// machine): Google shows them no consent page and hands out no refresh
// token; the sign-in asks again with consent, so the account is not stored
// with a grant that dies within the hour.
func TestSecondAccountThatConsentedBeforeGetsARefreshToken(t *testing.T) {
	open := chromium(t)
	fd := startFake(t, 10)
	fd.AutoApprove = true
	fd.RegisterClient("gdrive-desktop", "published-desktop-secret")
	s := providers.Settings{Name: "gdrive", Type: "gdrive", ClientID: "gdrive-desktop", ClientSecret: "published-desktop-secret",
		Exchange: api.ExchangePKCE, AuthBase: fd.URL, APIBase: fd.URL}
	sctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	signIn := func() *auth.Result {
		res, err := authConfig(s).SignIn(sctx, auth.Options{Opener: open, Timeout: 80 * time.Second})
		require.NoError(t, err)
		return res
	}
	require.NotEmpty(t, signIn().Token.RefreshToken, "the first account")

	fd.SetUser(fakedrive.User{DisplayName: "Bo Second", EmailAddress: "bo@example.com", PermissionID: "11112222333344445555"})
	signIn() // Bo's consent, given elsewhere long ago
	bo := signIn()
	assert.NotEmpty(t, bo.Token.RefreshToken, "the second account keeps working after an hour")
}
