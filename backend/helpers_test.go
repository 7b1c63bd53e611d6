package backend

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/testenv"
)

// fakeClock is an adjustable clock for expiry tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// logBuffer is testenv.Buffer: output written by several goroutines.
type logBuffer = testenv.Buffer

// startEmbedded runs an embedded backend for the test and stops it after.
func startEmbedded(t testing.TB, opts ...Option) (*Embedded, string, *logBuffer) {
	t.Helper()
	dir := t.TempDir()
	logs := &logBuffer{}
	e, err := StartEmbedded(context.Background(), dir, logs.Logger(), opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, e.Close(ctx))
	})
	return e, dir, logs
}

// apiClient is a minimal contract client for tests.
type apiClient struct {
	t     testing.TB
	base  string
	token string
}

func (c *apiClient) do(method, path string, q url.Values, body any) (*http.Response, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(b)
	}
	u := c.base + path
	if q != nil {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(c.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp, data
}

// json does a request that must succeed and decodes its answer into out.
func (c *apiClient) json(method, path string, q url.Values, body, out any) {
	c.t.Helper()
	resp, data := c.do(method, path, q, body)
	require.Equal(c.t, http.StatusOK, resp.StatusCode, "%s %s: %s", method, path, data)
	require.Equal(c.t, "application/json", resp.Header.Get("Content-Type"))
	if out != nil {
		require.NoError(c.t, json.Unmarshal(data, out), string(data))
	}
}

// apiError does a request that must fail with status and returns the error body.
func (c *apiClient) apiError(status int, method, path string, q url.Values, body any) api.Error {
	c.t.Helper()
	resp, data := c.do(method, path, q, body)
	require.Equal(c.t, status, resp.StatusCode, "%s %s: %s", method, path, data)
	return decodeAPIError(c.t, resp, data)
}

func decodeAPIError(t testing.TB, resp *http.Response, data []byte) api.Error {
	t.Helper()
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"), string(data))
	var e api.Error
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&e), string(data))
	require.NotEmpty(t, e.Code, string(data))
	require.NotEmpty(t, e.Message, string(data))
	return e
}

func (c *apiClient) params(name, typ string, size int64) api.ParamsResponse {
	c.t.Helper()
	var p api.ParamsResponse
	c.json(http.MethodGet, api.RouteParams, url.Values{"filename": {name}, "type": {typ}, "size": {itoa(size)}}, nil, &p)
	return p
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// put sends body to a presigned URL with the given headers.
func put(t testing.TB, rawURL string, headers map[string]string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, rawURL, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}
