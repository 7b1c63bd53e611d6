package webdav

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// multistatus returns a Depth: 1 answer for n files shaped like
// x/net/webdav's (one 200 propstat of the five properties Ferry asks for).
func multistatus(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><D:multistatus xmlns:D="DAV:">`)
	b.WriteString(`<D:response><D:href>/big/</D:href><D:propstat><D:prop><D:resourcetype><D:collection xmlns:D="DAV:"/></D:resourcetype><D:getlastmodified>Sat, 22 Nov 2026 07:13:18 GMT</D:getlastmodified></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`)
	for i := range n {
		fmt.Fprintf(&b, `<D:response><D:href>/big/photo-%06d.jpg</D:href><D:propstat><D:prop><D:resourcetype></D:resourcetype><D:getcontentlength>%d</D:getcontentlength><D:getlastmodified>Sat, 22 Nov 2026 07:13:18 GMT</D:getlastmodified><D:getcontenttype>image/jpeg</D:getcontenttype><D:getetag>"18ea4c93a75348e70"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`, i, i*10)
	}
	b.WriteString(`</D:multistatus>`)
	return b.Bytes()
}

func BenchmarkPropfindDecode(b *testing.B) {
	doc := multistatus(20000)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		d := newPropDecoder(bytes.NewReader(doc))
		n := 0
		for {
			_, err := d.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 20001 {
			b.Fatalf("decoded %d responses", n)
		}
	}
}

// BenchmarkList20000 lists a 20 000-entry folder end to end over loopback
// HTTP from a server replaying a canned answer.
func BenchmarkList20000(b *testing.B) {
	doc := multistatus(20000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusMultiStatus)
		w.Write(doc)
	}))
	defer srv.Close()
	p, err := New(Options{URL: srv.URL + "/big/"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		tok, n := "", 0
		for {
			page, err := p.List(context.Background(), "/", tok)
			if err != nil {
				b.Fatal(err)
			}
			n += len(page.Entries)
			if tok = page.NextPageToken; tok == "" {
				break
			}
		}
		if n != 20000 {
			b.Fatalf("listed %d", n)
		}
	}
}
