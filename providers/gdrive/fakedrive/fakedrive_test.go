package fakedrive

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

func get(t *testing.T, s *Server, token, path string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func firstReason(m map[string]any) (reason, location string) {
	e, _ := m["error"].(map[string]any)
	errs, _ := e["errors"].([]any)
	if len(errs) == 0 {
		return "", ""
	}
	x := errs[0].(map[string]any)
	r, _ := x["reason"].(string)
	l, _ := x["location"].(string)
	return r, l
}

func TestStrictRequests(t *testing.T) {
	s := New(Options{PageSize: 2})
	defer s.Close()
	at, _ := s.IssueToken()
	sd := s.AddSharedDrive("Team")
	inSD := s.AddFile(sd, "t.txt", []byte("t"))

	code, m := get(t, s, at, "/drive/v3/files?fields=files(id,bogusField)")
	assert.Equal(t, 400, code)
	r, l := firstReason(m)
	assert.Equal(t, "invalidParameter", r)
	assert.Equal(t, "fields", l)
	assert.Equal(t, "Invalid field selection bogusField", m["error"].(map[string]any)["message"])

	code, _ = get(t, s, at, "/drive/v3/files?fields=nextPageToken,files(id,shortcutDetails/targetId)")
	assert.Equal(t, 200, code, "slash paths are valid selections")

	code, m = get(t, s, at, "/drive/v3/files?includeDeleted=true")
	assert.Equal(t, 400, code, "unknown query parameters are rejected")
	assert.Contains(t, m["error"].(map[string]any)["message"], `Unknown name "includeDeleted"`)

	code, m = get(t, s, "", "/drive/v3/files")
	assert.Equal(t, 401, code)
	r, _ = firstReason(m)
	assert.Equal(t, "required", r)
	code, m = get(t, s, "ya29.forged", "/drive/v3/files")
	assert.Equal(t, 401, code)
	r, _ = firstReason(m)
	assert.Equal(t, "authError", r)

	code, _ = get(t, s, at, "/drive/v3/files/"+inSD+"?fields=id")
	assert.Equal(t, 404, code, "shared drive items need supportsAllDrives=true")
	code, _ = get(t, s, at, "/drive/v3/files/"+inSD+"?fields=id&supportsAllDrives=true")
	assert.Equal(t, 200, code)

	code, _ = get(t, s, at, "/drive/v3/about")
	assert.Equal(t, 400, code, "about.get requires fields")
	code, _ = get(t, s, at, "/drive/v3/files?q="+url.QueryEscape("name contains 'x' or trashed = false"))
	assert.Equal(t, 400, code, "queries the fake does not understand are refused, not ignored")
	code, m = get(t, s, at, "/drive/v3/files?pageToken=forged")
	assert.Equal(t, 400, code)
	_, l = firstReason(m)
	assert.Equal(t, "pageToken", l)
}

func TestNamePrefixMatch(t *testing.T) {
	assert.True(t, namePrefixMatch("HelloWorld", "hello"))
	assert.False(t, namePrefixMatch("HelloWorld", "World"), "Drive matches prefixes, not substrings")
	assert.True(t, namePrefixMatch("my holiday.jpg", "holiday"))
	assert.True(t, namePrefixMatch("a-b", "b"))
}

func TestTokenEndpoint(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.AutoApprove = true
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	redirect := "http://127.0.0.1:5555/oauth/cb/gdrive"
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authorize := func(extra url.Values) string {
		form := url.Values{"client_id": {"ferry-test-client"}, "redirect_uri": {redirect}, "response_type": {"code"},
			"scope": {ScopeDriveReadonly}, "state": {"st"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
			"access_type": {"offline"}, "decision": {"allow"}}
		for k, v := range extra {
			form[k] = v
		}
		resp, err := client.PostForm(s.URL+"/o/oauth2/v2/auth", form)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusFound, resp.StatusCode)
		u, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		assert.Equal(t, "st", u.Query().Get("state"))
		return u.Query().Get("code")
	}
	exchange := func(form url.Values) (int, map[string]any) {
		resp, err := http.PostForm(s.URL+"/token", form)
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
		return resp.StatusCode, m
	}
	base := url.Values{"grant_type": {"authorization_code"}, "client_id": {"ferry-test-client"},
		"client_secret": {"ferry-test-secret"}, "redirect_uri": {redirect}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range base {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}

	code := authorize(nil)
	st, m := exchange(with("code", code))
	assert.Equal(t, 400, st)
	assert.Equal(t, "invalid_grant", m["error"], "missing verifier")
	st, _ = exchange(with("code", code))
	assert.Equal(t, 400, st, "a code is single-use, even after a failed exchange")

	code = authorize(nil)
	f := with("code", code)
	f.Set("code_verifier", strings.Repeat("w", 50))
	st, m = exchange(f)
	assert.Equal(t, 400, st)
	assert.Equal(t, "invalid_grant", m["error"], "wrong verifier")

	code = authorize(nil)
	f = with("code", code)
	f.Set("code_verifier", verifier)
	f.Set("client_secret", "wrong")
	st, m = exchange(f)
	assert.Equal(t, 401, st)
	assert.Equal(t, "invalid_client", m["error"])

	code = authorize(nil)
	f = with("code", code)
	f.Set("code_verifier", verifier)
	st, m = exchange(f)
	require.Equal(t, 200, st, "%v", m)
	assert.Equal(t, "Bearer", m["token_type"])
	assert.Nil(t, m["refresh_token"], "no refresh token after the first consent without prompt=consent")

	code = authorize(url.Values{"prompt": {"consent"}})
	f = with("code", code)
	f.Set("code_verifier", verifier)
	st, m = exchange(f)
	require.Equal(t, 200, st)
	rt, _ := m["refresh_token"].(string)
	require.NotEmpty(t, rt)
	st, m = exchange(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"ferry-test-client"}, "client_secret": {"ferry-test-secret"}})
	require.Equal(t, 200, st)
	at, _ := m["access_token"].(string)
	code2, _ := get(t, s, at, "/drive/v3/files")
	assert.Equal(t, 200, code2, "a refreshed access token works")
}

func TestConsentPageErrors(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	for name, q := range map[string]url.Values{
		"unknown client":   {"client_id": {"nope"}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "response_type": {"code"}, "scope": {ScopeDriveReadonly}},
		"non-loopback uri": {"client_id": {"ferry-test-client"}, "redirect_uri": {"http://evil.example/cb"}, "response_type": {"code"}, "scope": {ScopeDriveReadonly}},
		"unknown scope":    {"client_id": {"ferry-test-client"}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "response_type": {"code"}, "scope": {"https://www.googleapis.com/auth/gmail"}},
	} {
		resp, err := http.Get(s.URL + "/o/oauth2/v2/auth?" + q.Encode())
		require.NoError(t, err, name)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, name)
	}
}
