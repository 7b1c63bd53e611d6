package auth

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// signInWithFake runs a complete flow against the fake AS (callback through
// the listener) and returns the token.
func signInWithFake(t *testing.T, as *fakeAS, cfg *Config) *oauth2.Token {
	t.Helper()
	f := begin(t, cfg)
	good := as.authorize(f.URL())
	require.Equal(t, 200, send(t, f, "GET", f.callbackPath, good, "").StatusCode)
	res, err := f.Wait()
	require.NoError(t, err)
	return res.Token
}

func TestRefreshRotatesAndOldGrantNeedsSignIn(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	cfg := as.config("test")
	tok := signInWithFake(t, as, cfg)
	require.NotEmpty(t, tok.RefreshToken)

	fresh, err := cfg.Refresh(context.Background(), tok.RefreshToken)
	require.NoError(t, err)
	assert.NotEqual(t, tok.AccessToken, fresh.AccessToken)
	assert.NotEqual(t, tok.RefreshToken, fresh.RefreshToken, "the fake rotates refresh tokens")

	_, err = cfg.Refresh(context.Background(), tok.RefreshToken)
	require.ErrorIs(t, err, ErrNeedsSignIn, "a rotated-out refresh token is dead")
	_, err = cfg.Refresh(context.Background(), "")
	require.ErrorIs(t, err, ErrNeedsSignIn)
}

func TestTokenSourceReusesThenRefreshes(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	cfg := as.config("test")
	tok := signInWithFake(t, as, cfg)
	before := as.tokenRequests()

	ts := cfg.TokenSource(context.Background(), tok)
	got, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, tok.AccessToken, got.AccessToken, "a valid token is reused")
	assert.Equal(t, before, as.tokenRequests())

	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	ts = cfg.TokenSource(context.Background(), &expired)
	r1, err := ts.Token()
	require.NoError(t, err)
	assert.NotEqual(t, tok.AccessToken, r1.AccessToken)
	assert.Equal(t, before+1, as.tokenRequests())
	r2, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, r1.AccessToken, r2.AccessToken)
	assert.Equal(t, before+1, as.tokenRequests(), "the refreshed token is reused until it expires")
}

func TestRevoke(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	cfg := as.config("test")
	tok := signInWithFake(t, as, cfg)
	require.NoError(t, cfg.Revoke(context.Background(), tok))
	assert.Equal(t, []string{tok.RefreshToken}, as.revoked, "the refresh token (the grant) is revoked")
	_, err := cfg.Refresh(context.Background(), tok.RefreshToken)
	require.ErrorIs(t, err, ErrNeedsSignIn)

	noRevoke := as.config("test")
	noRevoke.RevokeURL = ""
	require.ErrorIs(t, noRevoke.Revoke(context.Background(), tok), ErrRevokeUnsupported)
}

// strictBackend stands in for the Ferry backend's OAuth routes until the
// reference backend implements them: it demands the app's bearer token and
// exactly the contract's form fields, adds the confidential client secret
// and relays to the authorization server, passing its answer through.
func strictBackend(t *testing.T, as *fakeAS, provider, appToken string) *httptest.Server {
	return relayBackend(t, provider, appToken, as.srv.URL+"/token", as.srv.URL+"/revoke", as.clientID, as.secret)
}

// relayBackend is strictBackend for any token/revocation endpoint pair.
func relayBackend(t *testing.T, provider, appToken, tokenURL, revokeURL, clientID, secret string) *httptest.Server {
	t.Helper()
	relay := func(w http.ResponseWriter, form url.Values) {
		resp, err := http.PostForm(tokenURL, form)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/{provider}/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+appToken {
			w.WriteHeader(401)
			json.NewEncoder(w).Encode(map[string]string{"error": "unauthorized", "message": "sign in to the backend first"})
			return
		}
		if r.PathValue("provider") != provider || r.ParseForm() != nil {
			w.WriteHeader(404)
			json.NewEncoder(w).Encode(map[string]string{"error": "unknown_provider", "message": "no such provider"})
			return
		}
		f := r.PostForm
		if f.Has("client_secret") {
			t.Errorf("the app sent a client secret to the backend")
		}
		out := url.Values{"grant_type": {f.Get("grant_type")}, "client_id": {clientID}, "client_secret": {secret}}
		switch f.Get("grant_type") {
		case "authorization_code":
			for _, k := range []string{"code", "code_verifier", "redirect_uri"} {
				if f.Get(k) == "" {
					t.Errorf("backend exchange without %s", k)
				}
				out.Set(k, f.Get(k))
			}
		case "refresh_token":
			out.Set("refresh_token", f.Get("refresh_token"))
		}
		relay(w, out)
	})
	mux.HandleFunc("POST /oauth/{provider}/revoke", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Token string }
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+appToken || json.NewDecoder(r.Body).Decode(&body) != nil || body.Token == "" {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]string{"error": "bad_request", "message": "token missing"})
			return
		}
		resp, err := http.PostForm(revokeURL, url.Values{"token": {body.Token}, "client_id": {clientID}, "client_secret": {secret}})
		if err != nil || resp.StatusCode != 200 {
			w.WriteHeader(502)
			return
		}
		resp.Body.Close()
		w.Write([]byte("{}"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestBackendExchange: with exchange = "backend" the code, verifier and
// redirect URI go to the backend with the app's bearer token; the token
// endpoint requires the secret only the backend holds; refresh and revoke
// go the same way.
func TestBackendExchange(t *testing.T) {
	as := newFakeAS(t, "box-client")
	as.secret = "box-confidential-secret"
	backend := strictBackend(t, as, "box", "app-bearer")
	cfg := as.config("box")
	cfg.TokenURL, cfg.RevokeURL = "", ""
	cfg.Exchange = ExchangeBackend
	cfg.Backend = backend.URL + "/"
	cfg.BackendToken = func(context.Context) (string, error) { return "app-bearer", nil }
	cfg.ClientSecret = "published-installed-app-secret" // never sent to the backend

	// The same public client cannot redeem a code without the secret.
	direct := as.config("box")
	tok := signInWithFake(t, as, cfg)
	assert.NotEmpty(t, tok.AccessToken)
	_, err := direct.Refresh(context.Background(), tok.RefreshToken)
	var oe *OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_client", oe.Code)

	fresh, err := cfg.Refresh(context.Background(), tok.RefreshToken)
	require.NoError(t, err)
	assert.NotEqual(t, tok.AccessToken, fresh.AccessToken)

	require.NoError(t, cfg.Revoke(context.Background(), fresh))
	assert.Equal(t, []string{fresh.RefreshToken}, as.revoked)

	// A wrong bearer token: the backend's error shape becomes an OAuthError.
	cfg.BackendToken = func(context.Context) (string, error) { return "stale", nil }
	_, err = cfg.Refresh(context.Background(), fresh.RefreshToken)
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, 401, oe.Status)
	assert.Equal(t, "unauthorized", oe.Code)
	assert.Equal(t, "sign in to the backend first", oe.Description)
	err = cfg.Revoke(context.Background(), fresh)
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, 400, oe.Status)
}

func TestConfigValidation(t *testing.T) {
	for name, c := range map[string]*Config{
		"bad id":               {ID: "a/b", ClientID: "x", AuthURL: "http://127.0.0.1/a", TokenURL: "http://127.0.0.1/t"},
		"no client":            {ID: "a", AuthURL: "http://127.0.0.1/a", TokenURL: "http://127.0.0.1/t"},
		"no endpoints":         {ID: "a", ClientID: "x"},
		"backend without url":  {ID: "a", ClientID: "x", AuthURL: "http://127.0.0.1/a", Exchange: ExchangeBackend},
		"unknown exchange":     {ID: "a", ClientID: "x", AuthURL: "http://127.0.0.1/a", TokenURL: "http://127.0.0.1/t", Exchange: "implicit"},
		"pkce without tokenep": {ID: "a", ClientID: "x", AuthURL: "http://127.0.0.1/a"},
	} {
		_, err := c.Begin(context.Background(), time.Minute)
		assert.Error(t, err, name)
	}
}

func TestOAuthErrorText(t *testing.T) {
	e := &OAuthError{Code: "invalid_grant", Description: "expired", Status: 400}
	assert.Equal(t, "authorization server error: invalid_grant: expired (HTTP 400)", e.Error())
	assert.ErrorIs(t, e, ErrNeedsSignIn)
	assert.NotErrorIs(t, e, ErrCancelled)
	assert.ErrorIs(t, &OAuthError{Code: "access_denied"}, ErrCancelled)
	assert.False(t, strings.Contains(e.Error(), "\n"))
}
