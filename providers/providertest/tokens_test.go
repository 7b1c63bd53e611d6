package providertest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// post sends form to the endpoint and returns the status and either the
// failure it wrote or the token answer.
func post(t *testing.T, tk *Tokens, form url.Values) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	tk.ServeHTTP(w, r)
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

func testTokens(rotate bool) *Tokens {
	return NewTokens(Policy{
		Client: func(id, secret string, _ bool) (Failure, bool) {
			if id != "app" {
				return UnknownClient, false
			}
			return 0, true
		},
		RotateRefresh: rotate,
		Fail: func(w http.ResponseWriter, f Failure) {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"failure": int(f)})
		},
	})
}

func failure(out map[string]any) Failure { f, _ := out["failure"].(float64); return Failure(f) }

// The rules every provider's token endpoint shares (RFC 6749 §4.1.3,
// RFC 7636 §4.6): a code is redeemed once, by its client, with its redirect
// URI and the verifier of its challenge.
func TestCodesAreSingleUseAndBound(t *testing.T) {
	tk := testTokens(false)
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	sum := sha256.Sum256([]byte(verifier))
	g := Grant{ClientID: "app", RedirectURI: "http://127.0.0.1:5/cb", Challenge: base64.RawURLEncoding.EncodeToString(sum[:]), Method: "S256", Offline: true}
	form := func(code string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "client_id": {"app"}, "code": {code},
			"redirect_uri": {g.RedirectURI}, "code_verifier": {verifier}}
	}

	code := tk.NewCode(g)
	bad := form(code)
	bad.Set("code_verifier", "another-verifier-of-the-right-length-0123456789")
	st, out := post(t, tk, bad)
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, BadVerifier, failure(out))
	_, out = post(t, tk, form(code))
	assert.Equal(t, BadCode, failure(out), "a refused attempt used the code up")

	code = tk.NewCode(g)
	wrong := form(code)
	wrong.Set("redirect_uri", "http://127.0.0.1:6/cb")
	_, out = post(t, tk, wrong)
	assert.Equal(t, RedirectMismatch, failure(out))

	code = tk.NewCode(g)
	st, out = post(t, tk, form(code))
	require.Equal(t, http.StatusOK, st, "%v", out)
	assert.NotEmpty(t, out["access_token"])
	assert.NotEmpty(t, out["refresh_token"])
	_, out = post(t, tk, form(code))
	assert.Equal(t, BadCode, failure(out), "redeemed once")

	expired := g
	expired.Expires = time.Now().Add(-time.Second)
	_, out = post(t, tk, form(tk.NewCode(expired)))
	assert.Equal(t, BadCode, failure(out))
}

// Rotating refresh tokens are redeemed once; revoking any token of a grant
// ends all of it.
func TestRefreshRotationAndRevocation(t *testing.T) {
	tk := testTokens(true)
	at, rt := tk.Issue(Grant{ClientID: "app", Offline: true})
	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {"app"}, "refresh_token": {rt}}
	st, out := post(t, tk, refresh)
	require.Equal(t, http.StatusOK, st)
	next, _ := out["refresh_token"].(string)
	require.NotEmpty(t, next)
	_, out = post(t, tk, refresh)
	assert.Equal(t, SpentRefreshToken, failure(out))

	_, state := tk.Check(at)
	assert.Equal(t, AccessValid, state)
	assert.True(t, tk.Revoke(at))
	_, state = tk.Check(at)
	assert.Equal(t, AccessRevoked, state)
	_, out = post(t, tk, url.Values{"grant_type": {"refresh_token"}, "client_id": {"app"}, "refresh_token": {next}})
	assert.Equal(t, BadRefreshToken, failure(out), "the rotated refresh token belongs to the revoked grant")
}
