package dropbox

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/providers"
)

// Signing out after the access token expired (the usual case: the vault
// keeps the last one) still ends the grant: Dropbox revokes only with a live
// access token, so one is fetched with the refresh token first.
func TestSignOutWithExpiredAccessTokenRevokesTheGrant(t *testing.T) {
	fd := startFake(t, 10)
	at, rt := fd.IssueToken()
	fd.ExpireAccessTokens()
	s := providers.Settings{Name: "dropbox", Type: "dropbox", ClientID: "ferry-dropbox-app", APIBase: fd.URL, AuthBase: fd.URL}
	err := Kind.Revoke(ctx(t), s, &oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(-time.Minute)})
	require.NoError(t, err)
	assert.True(t, fd.Revoked(rt), "the grant is gone at Dropbox")
}

// In backend-exchange mode sign-out goes through the reference backend,
// which calls Dropbox's revoke with the token as the bearer: Ferry sends a
// live access token there, never the refresh token.
func TestSignOutThroughBackendRevokesTheGrant(t *testing.T) {
	fd := startFake(t, 10)
	at, rt := fd.IssueToken()
	fd.ExpireAccessTokens()

	cfg := backend.EmbeddedConfig(t.TempDir())
	cfg.Providers = map[string]backend.ProviderConfig{
		"dropbox": {ClientID: "ferry-dropbox-app", ClientSecretEnv: "FERRY_TEST_DROPBOX_SECRET", Exchange: api.ExchangeBackend,
			TokenURL: fd.URL + "/oauth2/token", RevokeURL: fd.URL + "/2/auth/token/revoke", RevokeAuth: "bearer"},
	}
	srv, err := backend.New(cfg, backend.WithBearerToken("bearer-for-test"), backend.WithGetenv(func(k string) string {
		if k == "FERRY_TEST_DROPBOX_SECRET" {
			return "ferry-dropbox-secret"
		}
		return ""
	}))
	require.NoError(t, err)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(c)
	})

	s := providers.Settings{Name: "dropbox", Type: "dropbox", ClientID: "ferry-dropbox-app", Exchange: api.ExchangeBackend, APIBase: fd.URL, AuthBase: fd.URL}
	si := Kind.SignIn(s)
	c := &auth.Config{ID: "dropbox", AuthURL: si.AuthURL, TokenURL: si.TokenURL, ClientID: s.ClientID, Scopes: si.Scopes,
		Exchange: api.ExchangeBackend, Backend: "http://" + l.Addr().String(), RevokeAccessToken: si.RevokeAccessToken,
		BackendToken: func(context.Context) (string, error) { return "bearer-for-test", nil }}
	require.NoError(t, c.Revoke(ctx(t), &oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(-time.Minute)}))
	assert.True(t, fd.Revoked(rt), "the grant is gone at Dropbox")
}
