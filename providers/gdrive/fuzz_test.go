package gdrive

import (
	"bytes"
	"errors"
	"net/http"
	"testing"

	"github.com/ferry-app/ferry/providers"
)

// FuzzDecodeFileList: no files.list answer makes the decoder or the entry
// conversion panic, and every entry keeps the invariants the UI relies on.
func FuzzDecodeFileList(f *testing.F) {
	f.Add([]byte(`{"nextPageToken":"t","files":[{"id":"1a","name":"a.txt","mimeType":"text/plain","size":"5","modifiedTime":"2024-01-02T03:04:05.000Z","md5Checksum":"5d41402abc4b2a76b9719d911017c592","headRevisionId":"r1"}]}`))
	f.Add([]byte(`{"files":[{"id":"1b","name":"Doc","mimeType":"application/vnd.google-apps.document","hasThumbnail":true,"thumbnailLink":"https://lh3.googleusercontent.com/x=s220"}]}`))
	f.Add([]byte(`{"files":[{"id":"1c","name":"s","mimeType":"application/vnd.google-apps.shortcut","shortcutDetails":{"targetId":"1a","targetMimeType":"text/plain"}}]}`))
	f.Add([]byte(`{"files":[{"id":"1d","size":"-7"},{"size":"99999999999999999999999"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := DecodeFileList(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, f := range l.Files {
			e := f.Entry()
			if e.Size < -1 {
				t.Fatalf("size %d", e.Size)
			}
			if e.IsDir && e.MIMEType != "" {
				t.Fatalf("folder with MIME type %q", e.MIMEType)
			}
			if !e.Hash.IsZero() && len(e.Hash.Value) != 32 {
				t.Fatalf("md5 %q", e.Hash.Value)
			}
		}
	})
}

// FuzzMapError: any error body maps to an error that matches at most one
// of the sentinels a UI acts on differently, and never panics.
func FuzzMapError(f *testing.F) {
	f.Add(403, []byte(`{"error":{"code":403,"message":"User Rate Limit Exceeded","errors":[{"domain":"usageLimits","reason":"userRateLimitExceeded","message":"User Rate Limit Exceeded"}]}}`))
	f.Add(400, []byte(`{"error":{"code":400,"message":"Invalid Value","errors":[{"domain":"global","reason":"invalid","location":"pageToken","locationType":"parameter"}]}}`))
	f.Add(404, []byte(`{"error":{"code":404,"message":"File not found: x.","errors":[{"domain":"global","reason":"notFound","location":"fileId"}]}}`))
	f.Add(401, []byte(`not json`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 400 || status > 599 {
			return
		}
		req, _ := http.NewRequest(http.MethodGet, "https://www.googleapis.com/drive/v3/files", nil)
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Request: req}
		err := MapError(resp, body)
		if err == nil {
			err = providers.DefaultErrorMapper(resp, body)
		}
		if err == nil {
			t.Fatal("no error for a failure status")
		}
		n := 0
		for _, s := range []error{providers.ErrNotFound, providers.ErrNeedsSignIn, providers.ErrPermissionDenied, providers.ErrRateLimited, providers.ErrPageExpired} {
			if errors.Is(err, s) {
				n++
			}
		}
		if n > 1 {
			t.Fatalf("%d sentinels match %v", n, err)
		}
	})
}

// FuzzDecodePage: forged page tokens are refused with ErrPageExpired or
// decode to a folder ID that can go into a query.
func FuzzDecodePage(f *testing.F) {
	f.Add(encodePage(pageState{From: "", Folder: "1abc", Token: "t"}))
	f.Add("not-base64!")
	f.Add("eyJmIjoiIiwiZCI6Ii4uLyIsInQiOiJ4In0")
	f.Fuzz(func(t *testing.T, tok string) {
		s, err := decodePage(tok)
		if err != nil {
			if !errors.Is(err, providers.ErrPageExpired) {
				t.Fatalf("error %v is not ErrPageExpired", err)
			}
			return
		}
		if !validID.MatchString(s.Folder) {
			t.Fatalf("folder %q accepted", s.Folder)
		}
	})
}
