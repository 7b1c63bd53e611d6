package backend

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"
)

// testIssuer is a minimal OpenID Provider for tests: discovery and a JWKS
// served over loopback HTTP, and RS256 access tokens signed with go-jose.
// (zitadel/oidc's op package needs a full storage implementation to mint a
// token; the backend only consumes discovery, JWKS and JWTs, which this
// serves exactly as a real issuer does.)
type testIssuer struct {
	URL string
	key *rsa.PrivateKey
	kid string
	srv *httptest.Server
}

const testClientID = "ferry-desktop"

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	iss := &testIssuer{key: key, kid: "k1"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss.URL,
			"authorization_endpoint":                iss.URL + "/authorize",
			"token_endpoint":                        iss.URL + "/token",
			"jwks_uri":                              iss.URL + "/jwks",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &key.PublicKey, KeyID: iss.kid, Algorithm: "RS256", Use: "sig"},
		}})
	})
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	iss.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	iss.srv.Start()
	iss.URL = iss.srv.URL
	t.Cleanup(iss.srv.Close)
	return iss
}

// claims returns valid access-token claims for sub.
func (i *testIssuer) claims(sub string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": i.URL,
		"sub": sub,
		"aud": []string{testClientID},
		"exp": now.Add(5 * time.Minute).Unix(),
		"iat": now.Unix(),
	}
}

// sign signs claims with key (the issuer's own unless another is given).
func (i *testIssuer) sign(t *testing.T, claims map[string]any, key *rsa.PrivateKey) string {
	t.Helper()
	if key == nil {
		key = i.key
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("at+jwt").WithHeader(jose.HeaderKey("kid"), i.kid))
	require.NoError(t, err)
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	require.NoError(t, err)
	return tok
}

// token is a valid access token for sub.
func (i *testIssuer) token(t *testing.T, sub string) string {
	return i.sign(t, i.claims(sub), nil)
}

// unsigned builds an alg "none" JWT with the given claims.
func unsignedJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": "k1"})
	require.NoError(t, err)
	c, err := json.Marshal(claims)
	require.NoError(t, err)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "."
}

// oidcConfig is a backend config verifying tokens from iss.
func oidcConfig(iss *testIssuer, dataDir string) *Config {
	c := DefaultConfig()
	c.Filename = "(test)"
	c.Listen = "127.0.0.1:0"
	c.Auth = AuthConfig{Type: "oidc", Issuer: iss.URL, ClientID: testClientID, Scopes: []string{"openid"}}
	c.Storage = StorageConfig{Driver: "local", Dir: dataDir}
	return c
}

// serve validates cfg, starts a Server on a loopback port and returns it
// with its base URL.
func serve(t testing.TB, cfg *Config, opts ...Option) (*Server, string) {
	t.Helper()
	require.NoError(t, cfg.validate(nil))
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + l.Addr().String()
	cfg.PublicURL = base
	srv, err := New(cfg, append([]Option{WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		require.NoError(t, <-done)
	})
	return srv, strings.TrimRight(base, "/")
}
