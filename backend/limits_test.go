package backend

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

func paramsQuery(name, typ string, size int64) url.Values {
	return url.Values{"filename": {name}, "type": {typ}, "size": {itoa(size)}}
}

// replicas starts n servers sharing cfgFn's config, as replicas behind a
// load balancer would, and returns a client of user for each.
func replicas(t *testing.T, n int, iss *testIssuer, user string, cfgFn func() *Config, opts ...Option) []*apiClient {
	t.Helper()
	var out []*apiClient
	for range n {
		_, base := serve(t, cfgFn(), opts...)
		out = append(out, &apiClient{t: t, base: base, token: iss.token(t, user)})
	}
	return out
}

func TestSharedLimitsHoldAcrossReplicas(t *testing.T) {
	rds := startRedis(t)
	iss := newTestIssuer(t)
	dir := t.TempDir()
	cfg := func() *Config {
		c := oidcConfig(iss, dir)
		c.Upload.MaxFiles = 3
		c.State.RedisURL = rds.URL
		return c
	}
	a := replicas(t, 2, iss, "alice", cfg)
	a[0].json(http.MethodGet, api.RouteParams, paramsQuery("1.txt", "text/plain", 1), nil, nil)
	a[1].json(http.MethodGet, api.RouteParams, paramsQuery("2.txt", "text/plain", 1), nil, nil)
	a[0].json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "3.bin", Type: "application/octet-stream"}, nil)
	for _, c := range a {
		ae := c.apiError(http.StatusTooManyRequests, http.MethodGet, api.RouteParams, paramsQuery("4.txt", "text/plain", 1), nil)
		assert.Equal(t, api.CodeTooManyFiles, ae.Code)
		assert.Contains(t, ae.Message, "the limit is 3 files per day")
		assert.Contains(t, ae.Message, "the next file can start at")
	}
	// Bob's quota is his own.
	b := &apiClient{t: t, base: a[1].base, token: iss.token(t, "bob")}
	b.json(http.MethodGet, api.RouteParams, paramsQuery("b.txt", "text/plain", 1), nil, nil)
}

func TestWithoutRedisLimitsArePerReplicaAndSaySo(t *testing.T) {
	iss := newTestIssuer(t)
	logs := &logBuffer{}
	c := oidcConfig(iss, t.TempDir())
	c.Upload.MaxFiles = 1
	a := replicas(t, 1, iss, "alice", func() *Config { return c }, WithLogger(logs.Logger()))[0]
	assert.Contains(t, logs.String(), "limits are per replica")
	a.json(http.MethodGet, api.RouteParams, paramsQuery("1.txt", "text/plain", 1), nil, nil)
	a.apiError(http.StatusTooManyRequests, http.MethodGet, api.RouteParams, paramsQuery("2.txt", "text/plain", 1), nil)
}

func TestRedisDownRefusesNewFilesAndKeepsUploadsGoing(t *testing.T) {
	rds := startRedis(t)
	iss := newTestIssuer(t)
	dir := t.TempDir()
	c := oidcConfig(iss, dir)
	c.State.RedisURL = rds.URL
	_, base := serve(t, c)
	alice := &apiClient{t: t, base: base, token: iss.token(t, "alice")}
	var cr api.CreateMultipartResponse
	alice.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "a.bin", Type: "application/octet-stream", Size: 11}, &cr)
	kq := url.Values{"key": {cr.Key}, "token": {cr.Token}}

	rds.kill()
	for _, r := range []struct {
		method, path string
		q            url.Values
		body         any
	}{
		{http.MethodGet, api.RouteParams, paramsQuery("b.txt", "text/plain", 1), nil},
		{http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "c.bin", Type: "application/octet-stream"}},
	} {
		ae := alice.apiError(http.StatusServiceUnavailable, r.method, r.path, r.q, r.body)
		assert.Equal(t, api.CodeUnavailable, ae.Code)
		assert.Contains(t, ae.Message, "the upload service is unavailable")
	}
	// The upload already admitted goes on: parts are signed, stored and
	// assembled with the request rate of this replica.
	var sp api.SignPartResponse
	alice.json(http.MethodGet, partPath(cr.UploadID, "/1"), kq, nil, &sp)
	etag := uploadPart(t, sp.URL, sp.Headers, []byte("eleven byte"))
	var done api.CompleteResponse
	alice.json(http.MethodPost, partPath(cr.UploadID, "/complete"), kq, api.CompleteRequest{Parts: []api.Part{{PartNumber: 1, ETag: etag}}}, &done)
	assert.Equal(t, cr.Key, done.Key)
	// Health is served; readiness says what is missing.
	resp, _ := alice.do(http.MethodGet, api.RouteHealth, nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, body := alice.do(http.MethodGet, RouteReady, nil, nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.JSONEq(t, `{"ready":false,"checks":{"storage":"ok","limits":"unreachable"}}`, string(body))

	rds.start()
	alice.json(http.MethodGet, api.RouteParams, paramsQuery("b.txt", "text/plain", 1), nil, nil)
	resp, _ = alice.do(http.MethodGet, RouteReady, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
