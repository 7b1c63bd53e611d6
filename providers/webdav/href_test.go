package webdav

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	xwebdav "golang.org/x/net/webdav"
)

// behindProxy sends every request to srv and rewrites the DAV:hrefs of the
// answers to start with prefix: a server behind a reverse proxy that names
// entries by absolute URLs on its own idea of the host.
type behindProxy struct {
	srv    *url.URL
	prefix string
}

func (b behindProxy) RoundTrip(r *http.Request) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host, out.Host = b.srv.Scheme, b.srv.Host, ""
	out.RequestURI = ""
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil || resp.StatusCode != http.StatusMultiStatus {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	body = bytes.ReplaceAll(body, []byte("<D:href>/dav/"), []byte("<D:href>"+b.prefix+"/dav/"))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// RFC 4918 §8.3 lets a server answer with absolute hrefs. Behind a proxy
// they may spell the default port out (https://cloud.example:443/…) or
// name an internal host (http://nextcloud-internal:8080/…): the entries are
// still the ones under the folder's path, and the folder lists them all.
func TestAbsoluteHrefsWithAnotherHostSpelling(t *testing.T) {
	for _, prefix := range []string{"https://cloud.example:443", "http://nextcloud-internal:8080", "https://CLOUD.example"} {
		t.Run(prefix, func(t *testing.T) {
			fs := xwebdav.NewMemFS()
			ctx := context.Background()
			require.NoError(t, fs.Mkdir(ctx, "/sub", 0o755))
			f, err := fs.OpenFile(ctx, "/a.txt", 0o102, 0o644) // O_RDWR|O_CREATE
			require.NoError(t, err)
			_, _ = f.Write([]byte("alpha"))
			f.Close()
			srv, _ := davServer(t, fs)
			su, _ := url.Parse(srv.URL)
			p, err := New(Options{URL: "https://cloud.example/dav/", User: "ana", Password: "app-pass", Client: fastClient(),
				HTTPClient: &http.Client{Transport: behindProxy{srv: su, prefix: prefix}}})
			require.NoError(t, err)
			t.Cleanup(func() { p.Close() })

			page, err := p.List(ctx, "", "")
			require.NoError(t, err)
			var names []string
			for _, e := range page.Entries {
				names = append(names, e.Name)
			}
			sort.Strings(names)
			assert.Equal(t, []string{"a.txt", "sub"}, names)
			e, err := p.Stat(ctx, "/a.txt")
			require.NoError(t, err)
			assert.EqualValues(t, 5, e.Size)
			assert.False(t, strings.Contains(e.ID, "cloud"), "IDs are paths under the folder")
		})
	}
}
