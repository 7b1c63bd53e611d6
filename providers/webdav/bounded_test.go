package webdav

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repeatReader yields n bytes of b, allocating nothing per read.
type repeatReader struct {
	b byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return int(k), nil
}

// hostileDAV answers every PROPFIND with head, then n copies of fill,
// then tail, streamed.
func hostileDAV(t *testing.T, head string, fill byte, n int64, tail string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		_, _ = io.Copy(w, io.MultiReader(strings.NewReader(head), &repeatReader{fill, n}, strings.NewReader(tail)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func heapAllocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The audit's case: one 64 MB <d:href> (256 MB in the report) made
// encoding/xml hold the whole text node, twice, before the 64 KiB check
// ran. Every token is now bounded as it is read.
func TestHugeXMLTokenCostsLittleMemory(t *testing.T) {
	for name, c := range map[string]struct {
		head, tail string
		fill       byte
	}{
		"text":      {`<d:multistatus xmlns:d="DAV:"><d:response><d:href>`, `</d:href></d:response></d:multistatus>`, 'a'},
		"tag name":  {`<d:multistatus xmlns:d="DAV:"><d:response><d:`, ` /></d:response></d:multistatus>`, 'a'},
		"attribute": {`<d:multistatus xmlns:d="DAV:"><d:response x="`, `"></d:response></d:multistatus>`, 'a'},
		"comment":   {`<d:multistatus xmlns:d="DAV:"><!--`, `--></d:multistatus>`, '<'},
		"CDATA":     {`<d:multistatus xmlns:d="DAV:"><d:response><d:href><![CDATA[`, `]]></d:href></d:response></d:multistatus>`, '<'},
	} {
		t.Run(name, func(t *testing.T) {
			srv := hostileDAV(t, c.head, c.fill, 64<<20, c.tail)
			p := newProvider(t, srv.URL+"/dav/", false, 50)
			var err error
			n := heapAllocated(func() { _, err = p.List(context.Background(), "/", "") })
			require.Error(t, err)
			assert.Regexp(t, "too (large|long)", err.Error())
			assert.Less(t, n, uint64(8<<20), "bytes allocated for a 64 MB token")
		})
	}
}

// The whole answer is bounded too: a server that never stops sending
// well-formed responses ends with a clear error, not an endless listing.
func TestEndlessMultistatusIsCutOff(t *testing.T) {
	old := maxBodyBytes
	maxBodyBytes = 1 << 20
	t.Cleanup(func() { maxBodyBytes = old })

	one := `<d:response><d:href>/dav/f</d:href><d:propstat><d:prop><d:getcontentlength>1</d:getcontentlength></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`
	var body bytes.Buffer
	for i := 0; body.Len() < 2<<20; i++ {
		fmt.Fprint(&body, strings.Replace(one, "/dav/f", fmt.Sprintf("/dav/f%d", i), 1))
	}
	srv := hostileDAV(t, `<d:multistatus xmlns:d="DAV:"><d:response><d:href>/dav/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`+body.String(), ' ', 0, `</d:multistatus>`)
	p := newProvider(t, srv.URL+"/dav/", false, 100_000)
	_, err := p.List(context.Background(), "/", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "answer larger than 1 MiB")
}
