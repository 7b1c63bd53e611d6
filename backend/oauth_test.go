package backend

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

const (
	boxSecret    = "box-client-SECRET-7f3a9c"
	testCode     = "auth-code-1234567890"
	testVerifier = "pkce-verifier-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	accessTok    = "provider-access-token-zzz"
	refreshTok   = "provider-refresh-token-yyy"
)

// fakeProvider is an OAuth token and revocation endpoint that checks what it
// receives the way Box does: client credentials in the form body.
type fakeProvider struct {
	URL string
	mu  sync.Mutex
	got []url.Values
	hdr []http.Header
}

func newFakeProvider(t *testing.T) *fakeProvider {
	fp := &fakeProvider{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		fp.record(r)
		w.Header().Set("Content-Type", "application/json")
		f := r.PostForm
		if f.Get("client_id") != "box-client" || f.Get("client_secret") != boxSecret {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"The client credentials are invalid"}`)
			return
		}
		switch {
		case f.Get("grant_type") == "authorization_code" && f.Get("code") == testCode && f.Get("code_verifier") == testVerifier && f.Get("redirect_uri") == "http://127.0.0.1:53682/oauth/cb/box":
		case f.Get("grant_type") == "refresh_token" && f.Get("refresh_token") == refreshTok:
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"Auth code doesn't exist or is invalid for the client"}`)
			return
		}
		_, _ = io.WriteString(w, `{"access_token":"`+accessTok+`","expires_in":3600,"restricted_to":[],"refresh_token":"`+refreshTok+`","token_type":"bearer"}`)
	})
	mux.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		fp.record(r)
		if r.PostForm.Get("client_secret") != boxSecret || r.PostForm.Get("token") == "" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_request"}`)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("POST /bearer-revoke", func(w http.ResponseWriter, r *http.Request) {
		fp.record(r)
		if r.Header.Get("Authorization") != "Bearer "+accessTok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "null")
	})
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	srv.Start()
	t.Cleanup(srv.Close)
	fp.URL = srv.URL
	return fp
}

func (fp *fakeProvider) record(r *http.Request) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	fp.got = append(fp.got, r.PostForm)
	fp.hdr = append(fp.hdr, r.Header.Clone())
}

func (fp *fakeProvider) calls() int {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	return len(fp.got)
}

func (fp *fakeProvider) last() (url.Values, http.Header) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	return fp.got[len(fp.got)-1], fp.hdr[len(fp.hdr)-1]
}

func postForm(t *testing.T, c *apiClient, path string, form url.Values) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}

func TestOAuthCodeExchange(t *testing.T) {
	fp := newFakeProvider(t)
	iss := newTestIssuer(t)
	logs := &logBuffer{}
	cfg := oidcConfig(iss, t.TempDir())
	cfg.Providers = map[string]ProviderConfig{
		// No exchange named: the backend holds the secret, so it redeems.
		"box":     {ClientID: "box-client", ClientSecretEnv: "FERRY_TEST_BOX_SECRET", TokenURL: fp.URL + "/token", RevokeURL: fp.URL + "/revoke", Ports: []int{53682}},
		"dropbox": {ClientID: "dbx-client", ClientSecretEnv: "FERRY_TEST_DBX_SECRET", Exchange: "backend", TokenURL: fp.URL + "/token", RevokeURL: fp.URL + "/bearer-revoke", RevokeAuth: "bearer"},
		"gdrive":  {ClientID: "g-client", Exchange: "pkce"},
		"nosec":   {ClientID: "n-client", ClientSecretEnv: "FERRY_TEST_UNSET", Exchange: "backend", TokenURL: fp.URL + "/token"},
	}
	env := map[string]string{"FERRY_TEST_BOX_SECRET": boxSecret, "FERRY_TEST_DBX_SECRET": "dbx-secret"}
	_, base := serve(t, cfg, WithLogger(logs.Logger()), WithGetenv(func(k string) string { return env[k] }))
	c := &apiClient{t: t, base: base, token: iss.token(t, "alice")}

	var d api.Discovery
	c.json(http.MethodGet, api.WellKnownPath, nil, nil, &d)
	assert.Equal(t, api.ProviderInfo{ClientID: "box-client", Exchange: "backend", Ports: []int{53682}}, d.Providers["box"])
	assert.Equal(t, api.ProviderInfo{ClientID: "g-client", Exchange: "pkce"}, d.Providers["gdrive"])

	t.Run("authorization code", func(t *testing.T) {
		resp, data := postForm(t, c, "/oauth/box/token", url.Values{
			"grant_type": {"authorization_code"}, "code": {testCode}, "code_verifier": {testVerifier},
			"redirect_uri": {"http://127.0.0.1:53682/oauth/cb/box"},
			"client_id":    {"app-says-something-else"}, "client_secret": {"app-supplied"},
		})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
		assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
		var tok map[string]any
		require.NoError(t, json.Unmarshal(data, &tok))
		assert.Equal(t, accessTok, tok["access_token"])
		assert.Equal(t, refreshTok, tok["refresh_token"])
		assert.Equal(t, []any{}, tok["restricted_to"], "the provider's JSON is passed through as is")
		form, _ := fp.last()
		assert.Equal(t, boxSecret, form.Get("client_secret"))
		assert.Equal(t, "box-client", form.Get("client_id"))
		assert.Equal(t, testVerifier, form.Get("code_verifier"))
	})
	t.Run("refresh token as JSON", func(t *testing.T) {
		var tok map[string]any
		c.json(http.MethodPost, "/oauth/box/token", nil, map[string]string{"grant_type": "refresh_token", "refresh_token": refreshTok}, &tok)
		assert.Equal(t, accessTok, tok["access_token"])
	})
	t.Run("provider error passes through", func(t *testing.T) {
		resp, data := postForm(t, c, "/oauth/box/token", url.Values{"grant_type": {"authorization_code"}, "code": {"stale"}, "code_verifier": {testVerifier}, "redirect_uri": {"http://127.0.0.1:53682/oauth/cb/box"}})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.JSONEq(t, `{"error":"invalid_grant","error_description":"Auth code doesn't exist or is invalid for the client"}`, string(data))
	})
	t.Run("bad requests", func(t *testing.T) {
		for _, f := range []url.Values{
			{"grant_type": {"password"}, "username": {"a"}, "password": {"b"}},
			{"grant_type": {"authorization_code"}},
			{"grant_type": {"refresh_token"}},
			{"grant_type": {"refresh_token"}, "refresh_token": {"a", "b"}},
		} {
			resp, data := postForm(t, c, "/oauth/box/token", f)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(data))
			assert.Equal(t, api.CodeBadRequest, decodeAPIError(t, resp, data).Code)
		}
	})
	t.Run("unknown or pkce providers", func(t *testing.T) {
		for _, p := range []string{"nope", "gdrive"} {
			resp, data := postForm(t, c, "/oauth/"+p+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}})
			require.Equal(t, http.StatusNotFound, resp.StatusCode)
			assert.Equal(t, api.CodeUnknownProvider, decodeAPIError(t, resp, data).Code)
			resp, data = postForm(t, c, "/oauth/"+p+"/revoke", url.Values{"token": {"x"}})
			require.Equal(t, http.StatusNotFound, resp.StatusCode)
			assert.Equal(t, api.CodeUnknownProvider, decodeAPIError(t, resp, data).Code)
		}
	})
	t.Run("missing secret", func(t *testing.T) {
		resp, data := postForm(t, c, "/oauth/nosec/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}})
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, string(data))
		decodeAPIError(t, resp, data)
		assert.Contains(t, logs.String(), "env=FERRY_TEST_UNSET")
	})
	t.Run("revoke with the secret in the form", func(t *testing.T) {
		var out map[string]any
		c.json(http.MethodPost, "/oauth/box/revoke", nil, map[string]string{"token": refreshTok}, &out)
		assert.Empty(t, out)
		form, _ := fp.last()
		assert.Equal(t, refreshTok, form.Get("token"))
		assert.Equal(t, boxSecret, form.Get("client_secret"))
	})
	t.Run("revoke with the token as bearer", func(t *testing.T) {
		var out map[string]any
		c.json(http.MethodPost, "/oauth/dropbox/revoke", nil, map[string]string{"token": accessTok}, &out)
		assert.Empty(t, out)
		_, h := fp.last()
		assert.Equal(t, "Bearer "+accessTok, h.Get("Authorization"))
	})
	t.Run("the backend's own auth applies", func(t *testing.T) {
		resp, data := postForm(t, &apiClient{t: t, base: base, token: "bogus"}, "/oauth/box/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshTok}})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		decodeAPIError(t, resp, data)
	})

	for _, secret := range []string{boxSecret, "dbx-secret", testCode, testVerifier, accessTok, refreshTok} {
		assert.NotContains(t, logs.String(), secret)
	}
	assert.Contains(t, logs.String(), "path=/oauth/box/token")
}

func TestTokenURLDefaults(t *testing.T) {
	assert.Equal(t, "https://api.box.com/oauth2/token", tokenURL("box", ProviderConfig{}))
	assert.Equal(t, "https://oauth2.googleapis.com/token", tokenURL("gdrive", ProviderConfig{}))
	assert.Equal(t, "https://login.microsoftonline.com/common/oauth2/v2.0/token", tokenURL("onedrive", ProviderConfig{}))
	assert.Equal(t, "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token", tokenURL("onedrive", ProviderConfig{Tenant: "contoso.example"}))
	assert.Equal(t, "https://x.example/t", tokenURL("box", ProviderConfig{TokenURL: "https://x.example/t"}))
	assert.Equal(t, "", tokenURL("acme", ProviderConfig{}))
}

// The code route redeems only codes issued to Ferry's own loopback sign-in
// with a PKCE verifier: a stolen code for another site's redirect URI, or
// one without its verifier, never reaches the provider with the secret.
func TestOAuthTokenIsNoOpenRedeemer(t *testing.T) {
	fp := newFakeProvider(t)
	iss := newTestIssuer(t)
	cfg := oidcConfig(iss, t.TempDir())
	cfg.Providers = map[string]ProviderConfig{
		"box":    {ClientID: "box-client", ClientSecretEnv: "FERRY_TEST_BOX_SECRET", TokenURL: fp.URL + "/token", Ports: []int{53682}},
		"google": {ClientID: "g-client", ClientSecretEnv: "FERRY_TEST_BOX_SECRET", TokenURL: fp.URL + "/token"},
	}
	_, base := serve(t, cfg, WithGetenv(func(string) string { return boxSecret }))
	c := &apiClient{t: t, base: base, token: iss.token(t, "alice")}
	code := func(provider, redirect, verifier string) url.Values {
		f := url.Values{"grant_type": {"authorization_code"}, "code": {testCode}, "redirect_uri": {redirect}}
		if verifier != "" {
			f.Set("code_verifier", verifier)
		}
		return f
	}
	for name, f := range map[string]struct {
		provider string
		form     url.Values
		why      string
	}{
		"no verifier":         {"box", code("box", "http://127.0.0.1:53682/oauth/cb/box", ""), "code_verifier"},
		"short verifier":      {"box", code("box", "http://127.0.0.1:53682/oauth/cb/box", "abc"), "code_verifier"},
		"web redirect":        {"box", code("box", "https://evil.example/oauth/cb/box", testVerifier), "loopback"},
		"https loopback":      {"box", code("box", "https://127.0.0.1:53682/oauth/cb/box", testVerifier), "loopback"},
		"other path":          {"box", code("box", "http://127.0.0.1:53682/callback", testVerifier), "loopback"},
		"other provider path": {"box", code("box", "http://127.0.0.1:53682/oauth/cb/google", testVerifier), "loopback"},
		"unannounced port":    {"box", code("box", "http://127.0.0.1:5555/oauth/cb/box", testVerifier), "port 5555"},
		"query smuggled":      {"google", code("google", "http://127.0.0.1:5555/oauth/cb/google?next=evil", testVerifier), "loopback"},
		"no port":             {"google", code("google", "http://127.0.0.1/oauth/cb/google", testVerifier), "loopback"},
		"lan address":         {"google", code("google", "http://192.168.1.2:5555/oauth/cb/google", testVerifier), "loopback"},
	} {
		t.Run(name, func(t *testing.T) {
			before := fp.calls()
			resp, data := postForm(t, c, "/oauth/"+f.provider+"/token", f.form)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(data))
			e := decodeAPIError(t, resp, data)
			assert.Contains(t, e.Message, f.why)
			assert.Equal(t, before, fp.calls(), "the provider was called")
		})
	}
	// Ferry's own forms reach the provider: localhost as Dropbox and Box
	// document it, any port for a provider without registered ports.
	for _, f := range []struct {
		provider string
		form     url.Values
	}{
		{"box", code("box", "http://127.0.0.1:53682/oauth/cb/box", testVerifier)},
		{"box", code("box", "http://localhost:53682/oauth/cb/box", testVerifier)},
		{"google", code("google", "http://[::1]:40123/oauth/cb/google", testVerifier)},
	} {
		before := fp.calls()
		_, data := postForm(t, c, "/oauth/"+f.provider+"/token", f.form)
		assert.NotContains(t, string(data), api.CodeBadRequest)
		assert.Equal(t, before+1, fp.calls(), "%s was not forwarded", f.form.Get("redirect_uri"))
	}
}
