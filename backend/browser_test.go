package backend

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

func rawRequest(t *testing.T, method, u string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	require.NoError(t, err)
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// A backend with auth "none" trusts whoever reaches its port. A web page in
// the person's browser must not be that someone: neither through a
// rebound DNS name (Host is the attacker's name) nor cross-origin.
func TestLoopbackBackendRefusesRebindingAndOtherOrigins(t *testing.T) {
	e, _, _ := startEmbedded(t)
	q := "?" + url.Values{"filename": {"a.txt"}, "type": {"text/plain"}, "size": {"1"}}.Encode()
	auth := "Bearer " + e.Token
	host := strings.TrimPrefix(e.URL, "http://")

	resp, body := rawRequest(t, http.MethodGet, e.URL+api.RouteParams+q, map[string]string{"Authorization": auth})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)

	for _, h := range []string{"rebind.evil.example:" + strings.Split(host, ":")[1], "localhost:" + strings.Split(host, ":")[1], "127.0.0.1:1"} {
		resp, body = rawRequest(t, http.MethodGet, e.URL+api.RouteParams+q, map[string]string{"Authorization": auth, "Host": h})
		assert.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode, "Host %s: %s", h, body)
		resp, body = rawRequest(t, http.MethodGet, e.URL+api.WellKnownPath, map[string]string{"Host": h})
		assert.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode, "discovery, Host %s: %s", h, body)
	}
	resp, body = rawRequest(t, http.MethodGet, e.URL+api.RouteParams+q, map[string]string{"Authorization": auth, "Origin": "https://evil.example"})
	require.Equal(t, http.StatusForbidden, resp.StatusCode, body)
	assert.Contains(t, body, "https://evil.example")
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	// The backend's own origin is no cross-origin request.
	resp, body = rawRequest(t, http.MethodGet, e.URL+api.RouteParams+q, map[string]string{"Authorization": auth, "Origin": e.URL})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
}

func TestCORSAllowsListedOriginsOnContractRoutes(t *testing.T) {
	iss := newTestIssuer(t)
	cfg := oidcConfig(iss, t.TempDir())
	cfg.CORS.AllowedOrigins = []string{"https://app.acme.example", "http://127.0.0.1:3000"}
	_, base := serve(t, cfg)
	preflight := func(path, origin string) *http.Response {
		resp, _ := rawRequest(t, http.MethodOptions, base+path, map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization",
		})
		return resp
	}
	for _, path := range []string{api.RouteParams, api.RouteMultipart, api.RouteMultipart + "/abc/1", api.RouteMultipart + "/abc/complete", api.WellKnownPath, "/storage/a/b.txt"} {
		resp := preflight(path, "https://app.acme.example")
		assert.Less(t, resp.StatusCode, 300, path)
		assert.Equal(t, "https://app.acme.example", resp.Header.Get("Access-Control-Allow-Origin"), path)
		assert.Contains(t, strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "authorization", path)
		assert.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"), path)
	}
	assert.Empty(t, preflight(api.RouteParams, "https://evil.example").Header.Get("Access-Control-Allow-Origin"))
	assert.Empty(t, preflight(api.RouteParams, "https://app.acme.example.evil.example").Header.Get("Access-Control-Allow-Origin"))
	assert.Empty(t, preflight(api.RouteHealth, "https://app.acme.example").Header.Get("Access-Control-Allow-Origin"), "not a contract route")

	tok := iss.token(t, "alice")
	resp, body := rawRequest(t, http.MethodGet, base+api.RouteParams+"?"+url.Values{"filename": {"a.txt"}, "type": {"text/plain"}, "size": {"1"}}.Encode(),
		map[string]string{"Authorization": "Bearer " + tok, "Origin": "http://127.0.0.1:3000"})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "http://127.0.0.1:3000", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Expose-Headers"), "Etag")
}

func TestCORSOffWhenUnset(t *testing.T) {
	iss := newTestIssuer(t)
	_, base := serve(t, oidcConfig(iss, t.TempDir()))
	resp, _ := rawRequest(t, http.MethodOptions, base+api.RouteParams, map[string]string{"Origin": "https://app.acme.example", "Access-Control-Request-Method": "GET"})
	assert.GreaterOrEqual(t, resp.StatusCode, 400)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
}

func TestCORSOriginsAreExact(t *testing.T) {
	for _, o := range []string{"*", "https://*.acme.example", "https://app.acme.example/", "https://app.acme.example/path", "http://app.acme.example", "app.acme.example"} {
		_, err := ParseConfig([]byte("[auth]\ntype = \"none\"\n[storage]\ndir = \"/tmp/x\"\n[cors]\nallowed_origins = [\""+o+"\"]\n"), "backend.toml")
		require.Error(t, err, o)
		assert.Contains(t, err.Error(), "cors.allowed_origins", o)
	}
	c, err := ParseConfig([]byte("[auth]\ntype = \"none\"\n[storage]\ndir = \"/tmp/x\"\n[cors]\nallowed_origins = [\"https://app.acme.example\", \"http://127.0.0.1:3000\"]\n"), "backend.toml")
	require.NoError(t, err)
	assert.Equal(t, []string{"https://app.acme.example", "http://127.0.0.1:3000"}, c.CORS.AllowedOrigins)
}

// A refused user learns what the limit is and when it resets, in the
// message a person reads and in Retry-After a program (or a page) obeys.
func TestLimitAnswersSayLimitAndReset(t *testing.T) {
	iss := newTestIssuer(t)
	clock := newFakeClock()
	clock.Advance(-clock.Now().Sub(clock.Now().Truncate(time.Hour))) // on the hour, for a predictable reset time
	cfg := oidcConfig(iss, t.TempDir())
	cfg.Upload.MaxFiles = 2
	cfg.Upload.FilesWindow = Duration(time.Hour)
	cfg.Limits.RequestsPerSecond = 2
	cfg.Limits.Burst = 4
	_, base := serve(t, cfg, WithClock(clock.Now))
	alice := &apiClient{t: t, base: base, token: iss.token(t, "alice")}
	q := url.Values{"filename": {"a.txt"}, "type": {"text/plain"}, "size": {"1"}}
	alice.json(http.MethodGet, api.RouteParams, q, nil, nil)
	clock.Advance(5 * time.Minute)
	alice.json(http.MethodGet, api.RouteParams, q, nil, nil)
	resp, data := alice.do(http.MethodGet, api.RouteParams, q, nil)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, string(data))
	e := decodeAPIError(t, resp, data)
	assert.Equal(t, api.CodeTooManyFiles, e.Code)
	m := regexp.MustCompile(`^the limit is 2 files per hour; the next file can start at (\d{4}-\d\d-\d\d \d\d:\d\d) UTC \(in (\S+)\)$`).FindStringSubmatch(e.Message)
	require.NotNil(t, m, "the message names the limit, its window and the reset: %q", e.Message)
	wait, err := time.ParseDuration(m[2])
	require.NoError(t, err)
	assert.Equal(t, clock.Now().Add(wait).UTC().Format("2006-01-02 15:04"), m[1])
	assert.Equal(t, strconv.Itoa(int(wait.Seconds())), resp.Header.Get("Retry-After"), "Retry-After agrees with the message")
	assert.Greater(t, wait, time.Duration(0))

	// Within the same second the request rate runs out after the burst.
	for range cfg.Limits.Burst {
		resp, data = alice.do(http.MethodGet, api.RouteParams, q, nil)
		if e = decodeAPIError(t, resp, data); e.Code == api.CodeRateLimited {
			break
		}
	}
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, string(data))
	assert.Equal(t, api.CodeRateLimited, e.Code)
	assert.Equal(t, "at most 2 requests per second per user (bursts of 4); more in 1s", e.Message)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
}
