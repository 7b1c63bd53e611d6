package box

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/providers"
)

func boxBody(status int, code string) []byte {
	return []byte(`{"type":"error","status":` + itoa(status) + `,"code":"` + code + `","help_url":"http://developers.box.com/docs/#errors","message":"m","request_id":"abc123"}`)
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestMapError(t *testing.T) {
	for _, tc := range []struct {
		status     int
		body       []byte
		retryAfter string
		want       error
		wait       time.Duration
		transient  bool
	}{
		{404, boxBody(404, "not_found"), "", providers.ErrNotFound, 0, false},
		{404, boxBody(404, "trashed"), "", providers.ErrNotFound, 0, false},
		{400, boxBody(400, "item_name_invalid"), "", providers.ErrNotFound, 0, false},
		{403, boxBody(403, "access_denied_insufficient_permissions"), "", providers.ErrPermissionDenied, 0, false},
		{403, boxBody(403, "forbidden"), "", providers.ErrPermissionDenied, 0, false},
		{401, boxBody(401, "unauthorized"), "", providers.ErrNeedsSignIn, 0, false},
		{429, boxBody(429, "rate_limit_exceeded"), "12", providers.ErrRateLimited, 12 * time.Second, true},
		{503, boxBody(503, "unavailable"), "2", providers.ErrRateLimited, 2 * time.Second, true},
		{503, boxBody(503, "unavailable"), "", nil, 0, true},
		{400, boxBody(400, "bad_request"), "", nil, 0, false},
		{401, nil, "", providers.ErrNeedsSignIn, 0, false}, // Box's 401: no body
	} {
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {"application/json"}},
			Request: &http.Request{Method: "GET", URL: &url.URL{Scheme: "https", Host: "api.box.com", Path: "/2.0/files/1", RawQuery: "secret=SECRET"}}}
		if tc.retryAfter != "" {
			resp.Header.Set("Retry-After", tc.retryAfter)
		}
		err := mapError(resp, tc.body)
		if err == nil {
			err = providers.DefaultErrorMapper(resp, tc.body)
		}
		require.Error(t, err)
		if tc.want != nil {
			assert.ErrorIs(t, err, tc.want, string(tc.body))
		}
		var rl *providers.RateLimitError
		if errors.As(err, &rl) {
			assert.Equal(t, tc.wait, rl.RetryAfter)
		}
		assert.Equal(t, tc.transient, providers.IsTransient(err), "%d %s", tc.status, tc.body)
		assert.NotContains(t, err.Error(), "SECRET")
	}
}

func TestParseID(t *testing.T) {
	for _, ok := range []string{"", "d0", "d123", "f9876543210"} {
		_, _, err := parseID(ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{"0", "123", "d", "f-1", "d1/../2", "x12", "d12a", "f%31", "d 1", "../d1"} {
		_, _, err := parseID(bad)
		assert.ErrorIs(t, err, providers.ErrNotFound, bad)
	}
}
