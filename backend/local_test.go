package backend

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

func TestEmbeddedSinglePutStoresIdenticalBytes(t *testing.T) {
	e, dir, logs := startEmbedded(t)
	require.True(t, strings.HasPrefix(e.URL, "http://127.0.0.1:"), e.URL)
	c := &apiClient{t: t, base: e.URL, token: e.Token}

	var d api.Discovery
	(&apiClient{t: t, base: e.URL}).json(http.MethodGet, api.WellKnownPath, nil, nil, &d)
	assert.Equal(t, api.Version, d.Version)
	assert.Equal(t, api.AuthNone, d.Auth.Type)
	assert.Equal(t, api.ProtocolS3, d.Upload.Protocol)

	body := randomBytes(t, 3<<20+17)
	p := c.params("holiday photo.jpg", "image/jpeg", int64(len(body)))
	assert.Equal(t, http.MethodPut, p.Method)
	assert.Equal(t, "image/jpeg", p.Headers["Content-Type"])
	assert.Greater(t, p.Expires, int64(0))
	assert.LessOrEqual(t, p.Expires, int64(15*60))
	require.Regexp(t, `^local/\d{4}/\d{2}/[0-9a-f-]{36}/holiday photo\.jpg$`, p.Key)
	require.True(t, strings.HasPrefix(p.URL, e.URL+"/storage/"), p.URL)

	resp, data := put(t, p.URL, p.Headers, body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
	sum := md5.Sum(body)
	assert.Equal(t, `"`+hex.EncodeToString(sum[:])+`"`, resp.Header.Get("ETag"))

	stored, err := os.ReadFile(filepath.Join(dir, "files", filepath.FromSlash(p.Key)))
	require.NoError(t, err)
	require.Equal(t, body, stored, "stored bytes differ")

	// Access logs carry the path, never the signature or the bearer.
	sig := mustQuery(t, p.URL).Get("sig")
	require.NotEmpty(t, sig)
	assert.Contains(t, logs.String(), "path=/s3/params")
	assert.NotContains(t, logs.String(), sig)
	assert.NotContains(t, logs.String(), e.Token)
	assert.NotContains(t, logs.String(), "holiday+photo") // the params query string
}

func mustQuery(t *testing.T, raw string) url.Values {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Query()
}

func withQuery(t *testing.T, raw string, f func(q url.Values)) string {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	f(q)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestLocalPutRefusals(t *testing.T) {
	clock := newFakeClock()
	e, dir, _ := startEmbedded(t, WithClock(clock.Now))
	c := &apiClient{t: t, base: e.URL, token: e.Token}
	body := randomBytes(t, 4096)

	tests := []struct {
		name   string
		mutate func(p *api.ParamsResponse, body []byte) (string, map[string]string, []byte)
		code   string
		before func()
	}{
		{"tampered signature", func(p *api.ParamsResponse, b []byte) (string, map[string]string, []byte) {
			return withQuery(t, p.URL, func(q url.Values) {
				s := []byte(q.Get("sig"))
				s[3] ^= 1
				q.Set("sig", string(s))
			}), p.Headers, b
		}, api.CodeSignature, nil},
		{"tampered key", func(p *api.ParamsResponse, b []byte) (string, map[string]string, []byte) {
			return strings.Replace(p.URL, "/storage/local/", "/storage/other/", 1), p.Headers, b
		}, api.CodeSignature, nil},
		{"tampered signed size", func(p *api.ParamsResponse, b []byte) (string, map[string]string, []byte) {
			u := withQuery(t, p.URL, func(q url.Values) { q.Set("size", "4097") })
			return u, p.Headers, append(b, 'x')
		}, api.CodeSignature, nil},
		{"tampered expiry", func(p *api.ParamsResponse, b []byte) (string, map[string]string, []byte) {
			return withQuery(t, p.URL, func(q url.Values) { q.Set("expires", "99999999999") }), p.Headers, b
		}, api.CodeSignature, nil},
		{"expired URL", func(p *api.ParamsResponse, b []byte) (string, map[string]string, []byte) {
			clock.Advance(15*time.Minute + time.Second)
			return p.URL, p.Headers, b
		}, api.CodeExpired, nil},
		{"different content length", func(p *api.ParamsResponse, b []byte) (string, map[string]string, []byte) {
			return p.URL, p.Headers, append(b, 'x')
		}, api.CodeSizeMismatch, nil},
		{"shorter content length", func(p *api.ParamsResponse, b []byte) (string, map[string]string, []byte) {
			return p.URL, p.Headers, b[:len(b)-1]
		}, api.CodeSizeMismatch, nil},
		{"different content type", func(p *api.ParamsResponse, b []byte) (string, map[string]string, []byte) {
			return p.URL, map[string]string{"Content-Type": "text/html"}, b
		}, api.CodeSignature, nil},
		{"no content type", func(p *api.ParamsResponse, b []byte) (string, map[string]string, []byte) {
			return p.URL, nil, b
		}, api.CodeSignature, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.params("report.pdf", "application/pdf", int64(len(body)))
			u, h, b := tt.mutate(&p, append([]byte(nil), body...))
			resp, data := put(t, u, h, b)
			require.Equal(t, http.StatusForbidden, resp.StatusCode, string(data))
			e := decodeAPIError(t, resp, data)
			assert.Equal(t, tt.code, e.Code, e.Message)
			_, err := os.Stat(filepath.Join(dir, "files", filepath.FromSlash(p.Key)))
			assert.True(t, os.IsNotExist(err), "a refused PUT stored a file")
		})
	}

	t.Run("expired URL says so the way S3 does", func(t *testing.T) {
		p := c.params("a.txt", "text/plain", 1)
		clock.Advance(11 * time.Minute)
		resp, data := put(t, p.URL, p.Headers, []byte("a"))
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.Equal(t, "Request has expired", decodeAPIError(t, resp, data).Message)
	})
	t.Run("still valid just before expiry", func(t *testing.T) {
		p := c.params("a.txt", "text/plain", 1)
		clock.Advance(9*time.Minute + 50*time.Second)
		resp, data := put(t, p.URL, p.Headers, []byte("a"))
		require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
	})
}

func TestEmbeddedRequiresBearer(t *testing.T) {
	e, _, _ := startEmbedded(t)
	q := url.Values{"filename": {"a.txt"}, "type": {"text/plain"}, "size": {"1"}}
	for name, token := range map[string]string{"missing": "", "wrong": "not-the-token", "prefix": e.Token[:10]} {
		t.Run(name, func(t *testing.T) {
			c := &apiClient{t: t, base: e.URL, token: token}
			for _, r := range []struct{ method, path string }{
				{http.MethodGet, api.RouteParams},
				{http.MethodPost, api.RouteMultipart},
				{http.MethodGet, api.RouteMultipart + "/x/1"},
				{http.MethodPost, api.RouteOAuth + "box/token"},
			} {
				resp, data := c.do(r.method, r.path, q, nil)
				require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s %s", r.method, r.path)
				assert.Equal(t, api.CodeUnauthorized, decodeAPIError(t, resp, data).Code)
			}
		})
	}
	t.Run("discovery and healthz are open", func(t *testing.T) {
		c := &apiClient{t: t, base: e.URL}
		c.json(http.MethodGet, api.WellKnownPath, nil, nil, nil)
		c.json(http.MethodGet, api.RouteHealth, nil, nil, nil)
	})
	t.Run("the embedded backend listens on loopback only", func(t *testing.T) {
		u, err := url.Parse(e.URL)
		require.NoError(t, err)
		assert.Equal(t, "127.0.0.1", u.Hostname())
	})
}

func TestSanitizeFilename(t *testing.T) {
	long := strings.Repeat("ä", 300) + ".tar.gz"
	tests := map[string]string{
		"report.pdf":                      "report.pdf",
		"../../etc/passwd":                "passwd",
		`..\..\windows\system32\cmd.exe`:  "cmd.exe",
		"..":                              "file",
		".":                               "file",
		"":                                "file",
		".bashrc":                         "bashrc",
		"a\x00b\x01c.txt":                 "abc.txt",
		"invoice\u202Efdp.exe":            "invoicefdp.exe",
		"x\u2066y\u2069z\u200Bw.txt":      "xyzw.txt",
		"what?<>:*|.txt":                  "what______.txt",
		"name.   ":                        "name",
		"line\nbreak\ttab.txt":            "linebreaktab.txt",
		"\xff\xfebad utf8.txt":            "bad utf8.txt",
		"100% #1 {x}.png":                 "100_ _1 _x_.png",
		"/absolute/path/ok.txt":           "ok.txt",
		"dir/":                            "file",
		"\u00a0\u3000spaced\u00a0.txt":    "spaced .txt",
		"C:\\Users\\me\\Desktop\\pic.png": "pic.png",
	}
	for in, want := range tests {
		assert.Equal(t, want, SanitizeFilename(in), "%q", in)
	}
	got := SanitizeFilename(long)
	assert.LessOrEqual(t, len(got), maxFilenameBytes)
	assert.True(t, strings.HasSuffix(got, ".gz"), got)
	assert.True(t, strings.HasPrefix(got, "ää"), got)
}

func TestHostileFilenamesStayInsideTheUserPrefix(t *testing.T) {
	e, dir, _ := startEmbedded(t)
	c := &apiClient{t: t, base: e.URL, token: e.Token}
	for _, name := range []string{"../../../escape.txt", "..", "/etc/passwd", "a/../../b.txt", "\u202Egnp.exe", strings.Repeat("x", 5000)[:4000] + ".txt"} {
		p := c.params(name, "text/plain", 2)
		assert.True(t, strings.HasPrefix(p.Key, "local/"), p.Key)
		assert.NotContains(t, p.Key, "..")
		assert.NotContains(t, p.Key, "\u202E")
		// A relative path is kept (trip/day1/a.jpg), never climbing out.
		assert.LessOrEqual(t, len(strings.Split(p.Key, "/")), 4+maxPathSegments, p.Key)
		resp, data := put(t, p.URL, p.Headers, []byte("hi"))
		require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
		full := filepath.Join(dir, "files", filepath.FromSlash(p.Key))
		rel, err := filepath.Rel(filepath.Join(dir, "files"), full)
		require.NoError(t, err)
		assert.True(t, filepath.IsLocal(rel), rel)
		got, err := os.ReadFile(full)
		require.NoError(t, err)
		assert.Equal(t, "hi", string(got))
	}
	// Nothing escaped into dir itself.
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"files", "state"}, names)
}

func TestUserSegmentIsInjective(t *testing.T) {
	seen := map[string]string{}
	for _, u := range []string{"alice", "a/b", "a_b", "a~2Fb", "..", ".x", "x.", "", "Ä", "a b"} {
		s := userSegment(u)
		assert.NotContains(t, s, "/")
		assert.False(t, strings.HasPrefix(s, "."), s)
		if prev, dup := seen[s]; dup {
			t.Fatalf("users %q and %q share the prefix %q", prev, u, s)
		}
		seen[s] = u
	}
}

// slowBody sends the first bytes of a declared-larger body and then holds
// the connection open, as a slow-loris client does. It returns how the
// server answered (or that it cut the connection).
func slowBody(t *testing.T, method, u string, header map[string]string, declared int64) (int, string) {
	t.Helper()
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	req, err := http.NewRequest(method, u, pr)
	require.NoError(t, err)
	req.ContentLength = declared
	for k, v := range header {
		req.Header.Set(k, v)
	}
	go func() { _, _ = pw.Write([]byte("x")) }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	require.NoError(t, ctx.Err(), "the server still waits for the trickling body")
	if err != nil {
		return -1, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A body that trickles is cut off after body_timeout, on the JSON routes
// and on /storage, so slow clients cannot hold connections and temp files.
func TestTricklingBodiesAreCutOff(t *testing.T) {
	dir := t.TempDir()
	cfg := EmbeddedConfig(dir)
	cfg.Limits.BodyTimeout = Duration(300 * time.Millisecond)
	_, base := serve(t, cfg)
	c := &apiClient{t: t, base: base}
	p := c.params("slow.txt", "text/plain", 1<<20)

	status, body := slowBody(t, http.MethodPut, p.URL, p.Headers, 1<<20)
	assert.NotEqual(t, http.StatusOK, status, body)
	status, body = slowBody(t, http.MethodPost, base+api.RouteMultipart, map[string]string{"Content-Type": "application/json"}, 4096)
	assert.NotEqual(t, http.StatusOK, status, body)

	ents, err := os.ReadDir(filepath.Join(dir, "files", localTmpDir))
	require.NoError(t, err)
	assert.Empty(t, ents, "the cut upload left a temp file")
	assert.False(t, fileExists(filepath.Join(dir, "files", filepath.FromSlash(p.Key))))
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
