package dropbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"unicode/utf8"

	"github.com/ferry-app/ferry/providers"
)

// FuzzDecodeAPIError: no error body makes the union walker panic or loop,
// and the mapped error matches at most one sentinel.
func FuzzDecodeAPIError(f *testing.F) {
	f.Add(409, []byte(`{"error_summary": "path/not_found/..", "error": {".tag": "path", "path": {".tag": "not_found"}}}`))
	f.Add(429, []byte(`{"error_summary": "too_many_requests/..", "error": {"reason": {".tag": "too_many_requests"}, "retry_after": 300}}`))
	f.Add(401, []byte(`{"error_summary": "missing_scope/..", "error": {".tag": "missing_scope", "required_scope": "files.content.read"}}`))
	f.Add(400, []byte(`Error in call to API function "files/download": HTTP header "Dropbox-API-Arg": could not decode input as JSON`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		DecodeAPIError(body)
		if status < 400 || status > 599 {
			return
		}
		req, _ := http.NewRequest(http.MethodPost, "https://api.dropboxapi.com/2/files/list_folder", nil)
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Request: req}
		err := MapError(resp, body)
		if err == nil {
			err = providers.DefaultErrorMapper(resp, body)
		}
		n := 0
		for _, s := range []error{providers.ErrNotFound, providers.ErrNeedsSignIn, providers.ErrPermissionDenied,
			providers.ErrRateLimited, providers.ErrPageExpired, providers.ErrNotFolder, providers.ErrIsFolder} {
			if errors.Is(err, s) {
				n++
			}
		}
		if err == nil || n > 1 {
			t.Fatalf("status %d: %v (%d sentinels)", status, err, n)
		}
		var rl *providers.RateLimitError
		if errors.As(err, &rl) && (rl.RetryAfter < 0 || rl.RetryAfter.Hours() > 24) {
			t.Fatalf("retry after %v", rl.RetryAfter)
		}
	})
}

// FuzzDecodeMetadata: a Dropbox-API-Result header or get_metadata answer
// never yields an entry breaking the UI's invariants.
func FuzzDecodeMetadata(f *testing.F) {
	f.Add([]byte(`{".tag": "file", "name": "caf\u00e9.txt", "id": "id:a4ayc_80_OEAAAAAAAAAXw", "client_modified": "2015-05-12T15:50:38Z", "server_modified": "2015-05-12T15:50:38Z", "rev": "a1c10ce0dd78", "size": 7212, "path_display": "/caf\u00e9.txt", "content_hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "is_downloadable": false}`))
	f.Add([]byte(`{".tag": "folder", "name": "math", "id": "id:a4ayc_80_OEAAAAAAAAAXz", "size": 5}`))
	f.Add([]byte(`{".tag": "deleted", "name": "x", "size": -9}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMetadata(b)
		if err != nil {
			return
		}
		e := m.Entry()
		if e.Size < -1 || (e.IsDir && e.Size != -1) {
			t.Fatalf("size %d (dir %v)", e.Size, e.IsDir)
		}
		if !e.Hash.IsZero() && len(e.Hash.Value) != 64 {
			t.Fatalf("hash %q", e.Hash.Value)
		}
	})
}

// FuzzEncodeAPIArg: the header form is printable ASCII and decodes back to
// the same string.
func FuzzEncodeAPIArg(f *testing.F) {
	f.Add("/Fotos/café 🚢.jpg")
	f.Add("\x7f\u202e\u0000")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		enc, err := EncodeAPIArg(map[string]string{"path": s})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(enc); i++ {
			if enc[i] < 0x20 || enc[i] >= 0x7f {
				t.Fatalf("byte %#x in %q", enc[i], enc)
			}
		}
		var back map[string]string
		if err := json.Unmarshal([]byte(enc), &back); err != nil || back["path"] != s {
			t.Fatalf("round trip of %q: %q, %v", s, back["path"], err)
		}
	})
}
