package upload

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An upload URL in clear text to a host on the network would carry the
// file (and its signature) unencrypted: refused, loopback excepted as for
// the backend URL itself.
func TestPlainHTTPUploadURLsRefused(t *testing.T) {
	var answer string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/s3/params":
			w.Write([]byte(`{"method":"PUT","url":"` + answer + `","headers":{},"expires":60}`))
		case r.URL.Path == "/s3/multipart/u1/batch":
			w.Write([]byte(`{"presignedUrls":{"1":"` + answer + `"}}`))
		default:
			w.Write([]byte(`{"url":"` + answer + `","expires":60}`))
		}
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, nil, srv.Client())
	require.NoError(t, err)
	ctx := context.Background()
	for _, bad := range []string{"http://s3.example/bucket/k?X-Amz-Signature=secret", "http://10.0.0.7:9000/k"} {
		answer = bad
		_, err = c.Params(ctx, "a.txt", "text/plain", 3, nil)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "https")
		assert.NotContains(t, err.Error(), "secret")
		_, err = c.SignPart(ctx, MultipartRef{Key: "k", UploadID: "u1"}, 1, "")
		assert.Error(t, err, bad)
		_, err = c.SignParts(ctx, MultipartRef{Key: "k", UploadID: "u1"}, []int{1})
		assert.Error(t, err, bad)
	}
	for _, good := range []string{"https://s3.example/bucket/k", "http://127.0.0.1:9000/k", "http://localhost:9000/k"} {
		answer = good
		_, err = c.Params(ctx, "a.txt", "text/plain", 3, nil)
		assert.NoError(t, err, good)
	}
}
