package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeAS is a strict OAuth 2.0 token/revocation endpoint for unit tests. It
// validates what RFC 6749/7636/7009 require of a public client's requests —
// grant type, single-use code, S256(code_verifier) = code_challenge, the
// identical redirect_uri, client_id, no secret where none is registered —
// and answers in the RFC shapes, errors included. The end-to-end tests use
// a real OP (internal/testop); this one keeps the listener tests fast.
type fakeAS struct {
	t        *testing.T
	srv      *httptest.Server
	clientID string
	secret   string // required at the token endpoint when set

	mu       sync.Mutex
	codes    map[string]grant // unused codes
	refresh  map[string]bool  // valid refresh tokens
	revoked  []string
	exchange int // token requests seen
	n        int
}

type grant struct{ challenge, redirectURI string }

func newFakeAS(t *testing.T, clientID string) *fakeAS {
	as := &fakeAS{t: t, clientID: clientID, codes: map[string]grant{}, refresh: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", as.token)
	mux.HandleFunc("POST /revoke", as.revoke)
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "the unit tests do not drive the authorize page", http.StatusTeapot)
	})
	as.srv = httptest.NewServer(mux)
	t.Cleanup(as.srv.Close)
	return as
}

func (as *fakeAS) config(id string) *Config {
	return &Config{
		ID: id, ClientID: as.clientID,
		AuthURL: as.srv.URL + "/authorize", TokenURL: as.srv.URL + "/token", RevokeURL: as.srv.URL + "/revoke",
		Scopes: []string{"files.read"},
	}
}

// authorize plays the authorization server's front channel: it reads the
// authorization URL the way the server would and returns the callback query
// it would redirect the browser with.
func (as *fakeAS) authorize(authURL string) url.Values {
	as.t.Helper()
	u, err := url.Parse(authURL)
	require.NoError(as.t, err)
	q := u.Query()
	require.Equal(as.t, "code", q.Get("response_type"))
	require.Equal(as.t, as.clientID, q.Get("client_id"))
	require.Equal(as.t, "S256", q.Get("code_challenge_method"))
	require.Len(as.t, q.Get("code_challenge"), 43)
	as.mu.Lock()
	defer as.mu.Unlock()
	as.n++
	code := "code-" + randomString()
	as.codes[code] = grant{challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri")}
	return url.Values{"code": {code}, "state": {q.Get("state")}}
}

func oauthErr(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (as *fakeAS) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthErr(w, 400, "invalid_request", "bad form")
		return
	}
	f := r.PostForm
	as.mu.Lock()
	defer as.mu.Unlock()
	as.exchange++
	if _, _, basic := r.BasicAuth(); basic {
		oauthErr(w, 401, "invalid_client", "public clients send client_id in the body")
		return
	}
	if f.Get("client_id") != as.clientID {
		oauthErr(w, 401, "invalid_client", "unknown client")
		return
	}
	if f.Get("client_secret") != as.secret {
		oauthErr(w, 401, "invalid_client", "client authentication failed")
		return
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		g, ok := as.codes[f.Get("code")]
		if !ok {
			oauthErr(w, 400, "invalid_grant", "code unknown or already used")
			return
		}
		delete(as.codes, f.Get("code")) // single use, even on failure
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			oauthErr(w, 400, "invalid_grant", "PKCE verification failed")
			return
		}
		if f.Get("redirect_uri") != g.redirectURI {
			oauthErr(w, 400, "invalid_grant", "redirect_uri does not match")
			return
		}
	case "refresh_token":
		if !as.refresh[f.Get("refresh_token")] {
			oauthErr(w, 400, "invalid_grant", "refresh token invalid")
			return
		}
		delete(as.refresh, f.Get("refresh_token")) // rotation
	default:
		oauthErr(w, 400, "unsupported_grant_type", "")
		return
	}
	as.n++
	rt := "rt-secret-" + randomString()
	as.refresh[rt] = true
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token": "at-secret-" + randomString(),
		"token_type":   "Bearer", "expires_in": 3600, "refresh_token": rt,
	})
}

func (as *fakeAS) revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") != as.clientID || r.PostForm.Get("token") == "" {
		oauthErr(w, 400, "invalid_request", "")
		return
	}
	as.mu.Lock()
	as.revoked = append(as.revoked, r.PostForm.Get("token"))
	delete(as.refresh, r.PostForm.Get("token"))
	as.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (as *fakeAS) tokenRequests() int {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.exchange
}
