// Package hostiletest is one fake server that answers as a hostile cloud
// drive or backend would. It stands in front of a well-behaved fake (the
// documented fakes of Drive, Dropbox, Graph and Box, x/net/webdav, the
// reference backend) and passes requests through to it until a test sets
// an Answer; from then on every request gets that answer, until the test
// clears it and checks that the client still works.
//
// The answers are what a compromised or broken server can send: gigantic
// and endless bodies, deeply nested JSON, stalled bodies, redirect loops,
// wrong content types, HTML login pages instead of JSON, hostile names and
// image bombs.
package hostiletest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// An Answer replaces the upstream's answer to every request.
type Answer func(w http.ResponseWriter, r *http.Request)

// Server is the hostile fake. Its URL is what the client under test talks to.
type Server struct {
	*httptest.Server
	mu     sync.Mutex
	answer Answer
	hits   int
	active int // answers still running
}

// Start runs a Server in front of upstream (an absolute URL) until the test
// ends.
func Start(t testing.TB, upstream string) *Server {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	// SetURL addresses the upstream by its own host, as a real reverse proxy
	// would: a loopback backend refuses requests for any other Host.
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }}
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		a := s.answer
		if a != nil {
			s.hits++
		}
		s.mu.Unlock()
		if a == nil {
			proxy.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		s.active++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.active--
			s.mu.Unlock()
		}()
		a(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// Set makes every following request get a; nil passes requests through
// to the upstream again.
func (s *Server) Set(a Answer) {
	s.mu.Lock()
	s.answer, s.hits = a, 0
	s.mu.Unlock()
}

// Active is the number of hostile answers still being sent: one that never
// ends means the client left a connection open.
func (s *Server) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// Hits is the number of requests the current answer served.
func (s *Server) Hits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

// filler yields n bytes of b (n < 0: forever), allocating nothing per read.
type filler struct {
	b byte
	n int64
}

func (f *filler) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, io.EOF
	}
	k := len(p)
	if f.n > 0 && int64(k) > f.n {
		k = int(f.n)
	}
	for i := range p[:k] {
		p[i] = f.b
	}
	if f.n > 0 {
		f.n -= int64(k)
	}
	return k, nil
}

// stream writes head, then fill repeated n times (n < 0: until the client
// goes away), then tail, as a 200 (or status) of content type ct.
func stream(status int, ct, head string, fill byte, n int64, tail string) Answer {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = io.Copy(w, io.MultiReader(strings.NewReader(head), &filler{fill, n}, strings.NewReader(tail)))
	}
}

// GiganticJSON is a 200 JSON answer of about 1 GiB: a string that never
// seems to end. Its Content-Length is unset: it is sent chunked.
func GiganticJSON() Answer {
	return stream(200, "application/json", `{"value":"`, 'a', 1<<30, `"}`)
}

// EndlessJSON streams JSON whitespace until the client gives up.
func EndlessJSON() Answer {
	return stream(200, "application/json", `{"value":[`, ' ', -1, ``)
}

// DeepJSON nests arrays a million levels deep.
func DeepJSON() Answer {
	return stream(200, "application/json", `{"value":`, '[', 1_000_000, ``)
}

// GiganticXML is a 207 Multi-Status with one 1 GiB href.
func GiganticXML() Answer {
	return stream(207, "application/xml; charset=utf-8", `<d:multistatus xmlns:d="DAV:"><d:response><d:href>`, 'a', 1<<30, `</d:href></d:response></d:multistatus>`)
}

// EndlessXML streams an XML comment that never ends.
func EndlessXML() Answer {
	return stream(207, "application/xml; charset=utf-8", `<d:multistatus xmlns:d="DAV:"><!--`, '-', -1, ``)
}

// DeepXML nests elements far past any real answer.
func DeepXML() Answer {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(207)
		_, _ = io.WriteString(w, `<d:multistatus xmlns:d="DAV:">`+strings.Repeat("<d:x>", 100_000))
	}
}

// Stall sends the headers and the first bytes of an answer, then
// nothing until the client goes away (a slowloris server); release, when
// closed, ends it too (so the test's server can shut down).
func Stall(status int, ct, start string, release <-chan struct{}) Answer {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, start)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
}

// RedirectLoop redirects every request to itself with another query.
func RedirectLoop() Answer {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		q.Set("loop", q.Get("loop")+"x")
		u := *r.URL
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusFound)
	}
}

// HTMLLogin is a captive portal or login page where JSON was expected.
func HTMLLogin() Answer {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, "<!doctype html><html><head><title>Sign in</title></head><body><form action=/login method=post><input name=password type=password></form></body></html>")
	}
}

// WrongType is the upstream's kind of answer, valid JSON, but labelled as
// something else.
func WrongType(body string) Answer {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, body)
	}
}

// Raw answers body with content type ct and status.
func Raw(status int, ct, body string) Answer {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// HostileNames are names a server can hand out that a client must survive:
// invalid UTF-8, a path climbing out, NUL, right-to-left override (shows
// "exe.txt" for "txt.exe"), 300 bytes, a slash.
var HostileNames = []string{
	"bad\xff\xfeutf8.txt",
	"../../../etc/passwd",
	"nul\x00byte.txt",
	"\u202Etxt.exe",
	strings.Repeat("é", 150),
	"a/b",
}

// PNGBomb is a valid PNG header declaring w×h pixels with no pixel data.
func PNGBomb(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 16, 6 // 16-bit RGBA: 8 bytes a pixel
	chunk := binary.BigEndian.AppendUint32(nil, 13)
	chunk = append(chunk, "IHDR"...)
	chunk = append(chunk, ihdr...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append(b, chunk...)
}

// Image answers every request with data as an image.
func Image(ct string, data []byte) Answer {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(200)
		_, _ = io.Copy(w, bytes.NewReader(data))
	}
}
