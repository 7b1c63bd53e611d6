package fakedropbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func post(t *testing.T, s *Server, token, endpoint, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/2/"+endpoint, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestStrictRPC(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	at, _ := s.IssueToken()
	_, err := s.AddFile("", "a.txt", []byte("a"))
	require.NoError(t, err)

	code, body := post(t, s, "", "files/list_folder", "application/json", `{"path":""}`)
	assert.Equal(t, 400, code)
	assert.Contains(t, body, `Must provide HTTP header "Authorization"`)
	code, body = post(t, s, "sl.forged", "files/list_folder", "application/json", `{"path":""}`)
	assert.Equal(t, 401, code)
	assert.Contains(t, body, `"invalid_access_token"`)
	code, body = post(t, s, at, "files/list_folder", "text/plain", `{"path":""}`)
	assert.Equal(t, 400, code)
	assert.Contains(t, body, `Bad HTTP "Content-Type" header`)
	code, body = post(t, s, at, "files/list_folder", "application/json", `{"path":"", "limit": 0}`)
	assert.Equal(t, 400, code)
	assert.Contains(t, body, "limit")
	code, body = post(t, s, at, "files/list_folder", "application/json", `{}`)
	assert.Equal(t, 400, code)
	assert.Contains(t, body, "missing required field 'path'")
	code, body = post(t, s, at, "files/get_metadata", "application/json", `{"path":"a.txt"}`)
	assert.Equal(t, 400, code, "a path must start with / or id:")
	assert.Contains(t, body, "did not match pattern")
	code, body = post(t, s, at, "files/get_metadata", "application/json", `{"path":"/A.TXT"}`)
	assert.Equal(t, 200, code, "paths are case-insensitive: %s", body)
	code, body = post(t, s, at, "files/get_metadata", "application/json", `{"path":"/x/../a.txt"}`)
	assert.Equal(t, 409, code)
	assert.Contains(t, body, "malformed_path")
	code, body = post(t, s, at, "files/list_folder", "application/json", `{"path":"/a.txt"}`)
	assert.Equal(t, 409, code)
	var e map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &e))
	assert.Equal(t, map[string]any{".tag": "path", "path": map[string]any{".tag": "not_folder"}}, e["error"])
	code, _ = post(t, s, at, "users/get_current_account", "", "")
	assert.Equal(t, 200, code, "argument-less endpoints take no body")
	code, _ = post(t, s, at, "users/get_current_account", "application/json", "{}")
	assert.Equal(t, 400, code)
}

func TestOAuthPKCEAndRedirects(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	redirect := "http://127.0.0.1:53682/oauth/cb/dropbox"
	s.RegisterApp(App{Key: "k", Secret: "sec", RedirectURIs: []string{redirect}})
	verifier := strings.Repeat("q", 60)
	sum := sha256.Sum256([]byte(verifier))
	form := url.Values{"client_id": {"k"}, "response_type": {"code"}, "redirect_uri": {redirect}, "state": {"s1"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"token_access_type": {"offline"}, "decision": {"allow"}}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	other := url.Values{}
	for k, v := range form {
		other[k] = v
	}
	other.Set("redirect_uri", "http://127.0.0.1:53683/oauth/cb/dropbox")
	resp, err := client.PostForm(s.URL+"/oauth2/authorize", other)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 400, resp.StatusCode, "an unregistered port is refused, not redirected to")

	code := func() string {
		resp, err := client.PostForm(s.URL+"/oauth2/authorize", form)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 302, resp.StatusCode)
		u, _ := url.Parse(resp.Header.Get("Location"))
		assert.Equal(t, "s1", u.Query().Get("state"))
		return u.Query().Get("code")
	}
	exchange := func(v url.Values) (int, map[string]any) {
		resp, err := http.PostForm(s.URL+"/oauth2/token", v)
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	st, m := exchange(url.Values{"grant_type": {"authorization_code"}, "code": {code()}, "client_id": {"k"}, "redirect_uri": {redirect}, "code_verifier": {strings.Repeat("x", 60)}})
	assert.Equal(t, 400, st)
	assert.Equal(t, "invalid_grant", m["error"])
	st, m = exchange(url.Values{"grant_type": {"authorization_code"}, "code": {code()}, "client_id": {"k"}, "redirect_uri": {redirect}, "code_verifier": {verifier}})
	require.Equal(t, 200, st, "%v", m)
	assert.NotEmpty(t, m["refresh_token"])
	assert.Equal(t, "bearer", m["token_type"])
}
