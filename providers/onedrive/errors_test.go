package onedrive

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/providers"
)

func graphBody(code string) []byte {
	return []byte(`{"error":{"code":"` + code + `","message":"m","innerError":{"request-id":"r","date":"2024-01-01T00:00:00"}}}`)
}

func TestMapError(t *testing.T) {
	for _, tc := range []struct {
		status     int
		body       []byte
		retryAfter string
		want       error
		wait       time.Duration
		transient  bool
	}{
		{404, graphBody("itemNotFound"), "", providers.ErrNotFound, 0, false},
		{401, graphBody("InvalidAuthenticationToken"), "", providers.ErrNeedsSignIn, 0, false},
		{401, graphBody("unauthenticated"), "", providers.ErrNeedsSignIn, 0, false},
		{403, graphBody("accessDenied"), "", providers.ErrPermissionDenied, 0, false},
		{429, graphBody("activityLimitReached"), "7", providers.ErrRateLimited, 7 * time.Second, true},
		{429, graphBody("TooManyRequests"), "", providers.ErrRateLimited, 0, true},
		{503, graphBody("serviceNotAvailable"), "3", providers.ErrRateLimited, 3 * time.Second, true},
		{503, graphBody("serviceNotAvailable"), "", nil, 0, true},
		{400, graphBody("invalidRequest"), "", nil, 0, false},
		{409, graphBody("nameAlreadyExists"), "", nil, 0, false},
		{410, graphBody("somethingNew"), "", providers.ErrNotFound, 0, false},
	} {
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{},
			Request: &http.Request{Method: "GET", URL: &url.URL{Scheme: "https", Host: "graph.microsoft.com", Path: "/v1.0/me/drive", RawQuery: "tempauth=SECRET"}}}
		if tc.retryAfter != "" {
			resp.Header.Set("Retry-After", tc.retryAfter)
		}
		err := mapError(resp, tc.body)
		require.Error(t, err, string(tc.body))
		if tc.want != nil {
			assert.ErrorIs(t, err, tc.want, string(tc.body))
		}
		var rl *providers.RateLimitError
		if errors.As(err, &rl) {
			assert.Equal(t, tc.wait, rl.RetryAfter)
		}
		assert.Equal(t, tc.transient, providers.IsTransient(err), "%d %s", tc.status, tc.body)
		assert.NotContains(t, err.Error(), "SECRET", "no query string in errors")
	}
	// Not Graph's shape: the default mapper decides.
	assert.Nil(t, mapError(&http.Response{StatusCode: 500}, []byte("<html>")))
}

func TestParseID(t *testing.T) {
	for _, ok := range []string{"", SharedID, "D4648F06C91D9D3D!54927", "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K",
		"b!t18F8ybsHUq1z3LT-_x:01BYE5RZ", "d4648f06c91d9d3d:root"} {
		_, err := parseID(ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{"..", ".", "a/b", "../x", "%2e%2e", "a:..", "a:b:c", ":x", "x:", "a b", "a\\b", "a?b", "a#b"} {
		_, err := parseID(bad)
		assert.ErrorIs(t, err, providers.ErrNotFound, bad)
	}
}

type httpResponse struct{ status int }

func (h *httpResponse) build() *http.Response {
	return &http.Response{StatusCode: h.status, Header: http.Header{"Content-Type": {"application/json"}}}
}
