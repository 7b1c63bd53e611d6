package backend

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

func TestOIDCBearerVerification(t *testing.T) {
	iss := newTestIssuer(t)
	logs := &logBuffer{}
	_, base := serve(t, oidcConfig(iss, t.TempDir()), WithLogger(logs.Logger()))
	q := url.Values{"filename": {"a.txt"}, "type": {"text/plain"}, "size": {"1"}}

	var d api.Discovery
	(&apiClient{t: t, base: base}).json(http.MethodGet, api.WellKnownPath, nil, nil, &d)
	assert.Equal(t, api.AuthInfo{Type: "oidc", Issuer: iss.URL, ClientID: testClientID, Scopes: []string{"openid"}}, d.Auth)

	good := iss.token(t, "alice@example")
	var p api.ParamsResponse
	(&apiClient{t: t, base: base, token: good}).json(http.MethodGet, api.RouteParams, q, nil, &p)
	assert.True(t, strings.HasPrefix(p.Key, "alice@example/"), p.Key)

	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	with := func(f func(c map[string]any)) map[string]any {
		c := iss.claims("mallory")
		f(c)
		return c
	}
	refused := map[string]struct{ tok, why string }{
		"expired":        {iss.sign(t, with(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }), nil), "expired"},
		"wrong audience": {iss.sign(t, with(func(c map[string]any) { c["aud"] = []string{"someone-else"} }), nil), "audience"},
		"wrong issuer":   {iss.sign(t, with(func(c map[string]any) { c["iss"] = "https://evil.example" }), nil), "different provider"},
		"unsigned":       {unsignedJWT(t, iss.claims("mallory")), `algorithm "none"`},
		"foreign key":    {iss.sign(t, iss.claims("mallory"), otherKey), "signature"},
		"no subject":     {iss.sign(t, with(func(c map[string]any) { delete(c, "sub") }), nil), "no subject"},
		"garbage":        {"not.a.jwt", "malformed"},
		"truncated":      {good[:len(good)-10], "signature"},
		"missing":        {"", "required"},
	}
	for name, tt := range refused {
		t.Run(name, func(t *testing.T) {
			e := (&apiClient{t: t, base: base, token: tt.tok}).apiError(http.StatusUnauthorized, http.MethodGet, api.RouteParams, q, nil)
			assert.Equal(t, api.CodeUnauthorized, e.Code)
			assert.Contains(t, e.Message, tt.why)
			if tt.tok != "" {
				assert.NotContains(t, e.Message, tt.tok)
			}
		})
	}
	// No token reaches the logs, whether accepted or refused.
	for _, tt := range refused {
		if tt.tok != "" {
			assert.NotContains(t, logs.String(), tt.tok)
		}
	}
	assert.NotContains(t, logs.String(), good)
	assert.Contains(t, logs.String(), "user=alice@example")
}

func TestOIDCIssuerDownIsNotAnAuthFailure(t *testing.T) {
	iss := newTestIssuer(t)
	cfg := oidcConfig(iss, t.TempDir())
	tok := iss.token(t, "alice")
	iss.srv.Close()
	_, base := serve(t, cfg)
	e := (&apiClient{t: t, base: base, token: tok}).apiError(http.StatusServiceUnavailable, http.MethodGet, api.RouteParams,
		url.Values{"filename": {"a"}, "size": {"1"}}, nil)
	assert.Equal(t, api.CodeUpstream, e.Code)
}
