package auth

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// The audit saw a 307 from the backend at 127.0.0.1 to localhost deliver
// the app's bearer (added inside a RoundTripper, where Go cannot strip it)
// and the refresh token (the re-posted body). The bearer is attached for
// the backend's origin only, and a token or revoke request never follows
// a redirect out of its origin.
func TestTokenRequestsNeverFollowCredentialsToAnotherOrigin(t *testing.T) {
	var mu sync.Mutex
	var leaked []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		leaked = append(leaked, r.Header.Get("Authorization")+" "+string(body))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"x","token_type":"bearer"}`))
	}))
	t.Cleanup(elsewhere.Close)
	port := elsewhere.URL[strings.LastIndex(elsewhere.URL, ":")+1:]
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:"+port+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(backend.Close)

	cfg := &Config{ID: "box", AuthURL: "http://127.0.0.1/authorize", ClientID: "box-web", Exchange: ExchangeBackend,
		Backend:      backend.URL,
		BackendToken: func(context.Context) (string, error) { return "app-bearer", nil }}
	_, err := cfg.Refresh(context.Background(), "the-refresh-token")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redirect")
	err = cfg.Revoke(context.Background(), nil)
	require.NoError(t, err)
	assert.Error(t, cfg.Revoke(context.Background(), &oauth2Token{RefreshToken: "the-refresh-token"}))

	mu.Lock()
	defer mu.Unlock()
	for _, l := range leaked {
		assert.NotContains(t, l, "app-bearer")
		assert.NotContains(t, l, "the-refresh-token")
	}
	assert.Empty(t, leaked, "nothing is sent to another origin")
}

// The bearer transport adds the token for the backend's origin only, even
// when the same client is asked for another URL.
func TestBearerOnlyForBackendOrigin(t *testing.T) {
	var got []string
	var mu sync.Mutex
	rec := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Host+" "+r.Header.Get("Authorization"))
		mu.Unlock()
	})
	backend := httptest.NewServer(rec)
	t.Cleanup(backend.Close)
	other := httptest.NewServer(rec)
	t.Cleanup(other.Close)
	cfg := &Config{ID: "box", ClientID: "x", Exchange: ExchangeBackend, Backend: backend.URL,
		BackendToken: func(context.Context) (string, error) { return "app-bearer", nil }}
	hc := cfg.tokenContext(context.Background()).Value(oauth2HTTPClient).(*http.Client)
	for _, u := range []string{backend.URL + "/oauth/box/token", other.URL + "/token"} {
		resp, err := hc.Get(u)
		require.NoError(t, err)
		resp.Body.Close()
	}
	assert.Equal(t, []string{backend.Listener.Addr().String() + " Bearer app-bearer", other.Listener.Addr().String() + " "}, got)
}

type oauth2Token = oauth2.Token

var oauth2HTTPClient = oauth2.HTTPClient
