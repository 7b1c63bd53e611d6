package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/internal/testenv"
)

// memKeys is an in-memory KeyStore; err, when set, fails every call.
type memKeys struct {
	mu    sync.Mutex
	key   []byte
	err   error
	loads int
}

func (k *memKeys) LoadKey(context.Context) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.loads++
	if k.err != nil {
		return nil, k.err
	}
	if k.key == nil {
		return nil, &KeychainError{Op: "get", Cause: ErrKeyNotFound}
	}
	return bytes.Clone(k.key), nil
}

func (k *memKeys) StoreKey(_ context.Context, key []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return k.err
	}
	k.key = bytes.Clone(key)
	return nil
}

func (k *memKeys) DeleteKey(context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return k.err
	}
	k.key = nil
	return nil
}

func (k *memKeys) current() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return bytes.Clone(k.key)
}

// syncBuffer is testenv.Buffer: output written by several goroutines.
type syncBuffer = testenv.Buffer

func debugLogger(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// tokenServer is an OAuth 2 token endpoint (RFC 6749 §6) that rotates
// refresh tokens and accepts each one only once, as Dropbox, Box and
// OneDrive can; a revocation endpoint (RFC 7009); and a protected API.
type tokenServer struct {
	*httptest.Server
	t        testing.TB
	clientID string
	delay    time.Duration // before answering a refresh, to widen races

	mu        sync.Mutex
	refresh   map[string]bool // valid refresh tokens
	access    map[string]bool // valid access tokens
	refreshes int             // successful refresh grants
	rejected  int             // refresh grants answered invalid_grant
	revoked   []string
	failNext  int // answer the next refreshes with 503
}

func newTokenServer(t testing.TB) *tokenServer {
	s := &tokenServer{t: t, clientID: "ferry-test", refresh: map[string]bool{}, access: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /revoke", s.revoke)
	mux.HandleFunc("GET /api", s.api)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// issue mints a token pair as a sign-in would.
func (s *tokenServer) issue() (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	access, refresh = "at-"+randomHex(16), "rt-"+randomHex(16)
	s.access[access], s.refresh[refresh] = true, true
	return access, refresh
}

func (s *tokenServer) config() *oauth2.Config {
	return &oauth2.Config{ClientID: s.clientID, Endpoint: oauth2.Endpoint{
		TokenURL: s.URL + "/token", AuthStyle: oauth2.AuthStyleInParams,
	}}
}

func (s *tokenServer) oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The description echoes server detail a client must not show or log.
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": "server-secret-detail"})
}

func (s *tokenServer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		s.oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	if r.PostForm.Get("client_id") != s.clientID {
		s.oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	rt := r.PostForm.Get("refresh_token")
	s.mu.Lock()
	if s.failNext > 0 {
		s.failNext--
		s.mu.Unlock()
		s.oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable")
		return
	}
	if !s.refresh[rt] {
		s.rejected++
		s.mu.Unlock()
		s.oauthError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	delete(s.refresh, rt) // single use
	access, refresh := "at-"+randomHex(16), "rt-"+randomHex(16)
	s.access[access], s.refresh[refresh] = true, true
	s.refreshes++
	s.mu.Unlock()
	time.Sleep(s.delay)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": 3600, "refresh_token": refresh,
	})
}

func (s *tokenServer) revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" {
		s.oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	tok := r.PostForm.Get("token")
	s.mu.Lock()
	s.revoked = append(s.revoked, tok)
	if s.refresh[tok] {
		delete(s.refresh, tok)
		clear(s.access) // revoking the grant ends its access tokens too
	}
	delete(s.access, tok)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK) // RFC 7009 §2.2: also for unknown tokens
}

func (s *tokenServer) api(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	valid := ok && s.access[tok]
	s.mu.Unlock()
	if !valid {
		http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
		return
	}
	fmt.Fprint(w, `{"ok":true}`)
}

// callAPI uses ts against the protected API and returns the HTTP status.
func callAPI(ctx context.Context, apiURL string, ts oauth2.TokenSource) (int, error) {
	client := oauth2.NewClient(ctx, ts)
	resp, err := client.Get(apiURL)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (s *tokenServer) counts() (refreshes, rejected, validRefresh int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes, s.rejected, len(s.refresh)
}

// validRefreshTokens lists the refresh tokens the server still accepts.
func (s *tokenServer) validRefreshTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for rt := range s.refresh {
		out = append(out, rt)
	}
	return out
}

// storedRecord reads one entry straight from the vault file with key.
func storedRecord(t *testing.T, path, appID string, key []byte, k string) *record {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	m, err := unseal(key, appID, data)
	require.NoError(t, err)
	return m[k]
}

// scanForSecrets fails the test if any secret occurs in a file under dirs.
func scanForSecrets(t *testing.T, secrets []string, dirs ...string) {
	t.Helper()
	files := 0
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !d.Type().IsRegular() {
				return err
			}
			files++
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, s := range secrets {
				require.NotContains(t, string(data), s, "secret found in %s", p)
			}
			return nil
		})
		require.NoError(t, err)
	}
	t.Logf("scanned %d files for %d secrets", files, len(secrets))
}
