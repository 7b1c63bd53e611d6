package backend

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

func TestMetricsCountRequestsGrantsAndRefusals(t *testing.T) {
	iss := newTestIssuer(t)
	c := oidcConfig(iss, t.TempDir())
	c.Upload.MaxFiles = 1
	_, base := serve(t, c)
	alice := &apiClient{t: t, base: base, token: iss.token(t, "alice")}
	alice.json(http.MethodGet, api.RouteParams, paramsQuery("a.txt", "text/plain", 1), nil, nil)
	alice.apiError(http.StatusTooManyRequests, http.MethodGet, api.RouteParams, paramsQuery("b.txt", "text/plain", 1), nil)
	resp, body := alice.do(http.MethodGet, RouteMetrics, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	m := string(body)
	assert.Contains(t, m, `ferry_http_requests_total{method="GET",route="GET /s3/params",status="200"} 1`)
	assert.Contains(t, m, `ferry_http_requests_total{method="GET",route="GET /s3/params",status="429"} 1`)
	assert.Contains(t, m, `ferry_upload_grants_total 1`)
	assert.Contains(t, m, `ferry_limit_refusals_total{reason="quota"} 1`)
	assert.Contains(t, m, `ferry_http_request_duration_seconds_bucket{route="GET /s3/params"`)
}

func TestLogLinesCarryTheRequestID(t *testing.T) {
	iss := newTestIssuer(t)
	logs := &logBuffer{}
	_, base := serve(t, oidcConfig(iss, t.TempDir()), WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
	alice := &apiClient{t: t, base: base, token: iss.token(t, "alice")}
	req, err := http.NewRequest(http.MethodGet, base+api.RouteHealth, nil)
	require.NoError(t, err)
	req.Header.Set("X-Request-ID", "from-nginx-42")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "from-nginx-42", resp.Header.Get("X-Request-ID"))
	resp, _ = alice.do(http.MethodGet, api.RouteParams, paramsQuery("a.txt", "text/plain", 1), nil)
	generated := resp.Header.Get("X-Request-ID")
	require.Len(t, generated, 16)
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		if rec["msg"] == "http" {
			ids = append(ids, rec["request_id"].(string))
		}
	}
	assert.Equal(t, []string{"from-nginx-42", generated}, ids)
}
