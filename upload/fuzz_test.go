package upload

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeError feeds arbitrary error bodies (contract JSON, S3 XML, tusd
// text, garbage) and headers through the error decoder: it must never panic,
// always yield a code, and never copy a presigned query string into Reason.
func FuzzDecodeError(f *testing.F) {
	f.Add(403, `<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired.</Message></Error>`, "")
	f.Add(429, `{"error":"rate_limited","message":"slow down"}`, "2")
	f.Add(503, "ERR_INTERNAL_SERVER_ERROR", "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(409, "", "-1")
	f.Fuzz(func(t *testing.T, status int, body, retryAfter string) {
		if status < 100 || status > 999 {
			status = 500
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {retryAfter}}, Body: io.NopCloser(bytes.NewReader(nil))}
		e := decodeError(resp, []byte(body))
		if e.Code == "" {
			t.Fatal("no code")
		}
		if e.RetryAfter < 0 {
			t.Fatal("negative Retry-After")
		}
		r := Reason(e)
		if r == "" || strings.Contains(r, "X-Amz-Signature") && !strings.Contains(body, "X-Amz-Signature") {
			t.Fatalf("bad reason %q", r)
		}
		classify(e)
	})
}

// FuzzURLExpiry parses presigned URLs' expiry fields.
func FuzzURLExpiry(f *testing.F) {
	f.Add("http://s3/b/k?X-Amz-Date=20260102T030000Z&X-Amz-Expires=600&X-Amz-Signature=abc", int64(0))
	f.Add("http://127.0.0.1/storage/k?exp=1&sig=x", int64(60))
	f.Add("%zz", int64(-5))
	f.Fuzz(func(t *testing.T, raw string, expires int64) {
		now := time.Unix(1_700_000_000, 0)
		exp, life := urlExpiry(raw, expires, now)
		if exp.IsZero() != (life == 0) {
			t.Fatalf("expiry %v with lifetime %v", exp, life)
		}
		_ = signedURL{expires: exp, life: life}.fresh(now)
	})
}
