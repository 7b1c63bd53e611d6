package webdav

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	xwebdav "golang.org/x/net/webdav"

	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/providertest"
)

// posixRejects is what webdav.Dir's backing file system cannot store.
func posixRejects(name string) bool {
	return name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || len(name) > 255
}

// memRejects is what x/net/webdav's in-memory file system cannot store:
// names are path segments, so "/", "." and ".." are out; NUL and 300-byte
// names are fine.
func memRejects(name string) bool {
	return name == "" || name == "." || name == ".." || strings.Contains(name, "/")
}

func fastClient() *providers.Client {
	return &providers.Client{MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}
}

// davServer runs x/net/webdav on 127.0.0.1 under /dav/, behind basic auth
// and fault injection.
func davServer(t *testing.T, fs xwebdav.FileSystem) (*httptest.Server, *providertest.FaultInjector) {
	h := &xwebdav.Handler{Prefix: "/dav", FileSystem: fs, LockSystem: xwebdav.NewMemLS()}
	auth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, pw, ok := r.BasicAuth()
		if !ok || u != "ana" || subtle.ConstantTimeCompare([]byte(pw), []byte("app-pass")) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
	fi := providertest.NewFaultInjector(auth)
	srv := httptest.NewServer(fi)
	t.Cleanup(srv.Close)
	return srv, fi
}

func newProvider(t *testing.T, url string, nextcloud bool, pageSize int) *Provider {
	p, err := New(Options{URL: url, User: "ana", Password: "app-pass", Nextcloud: nextcloud, PageSize: pageSize, Client: fastClient()})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

func dirHarness(nextcloud bool) providertest.Harness {
	return providertest.Harness{New: func(t *testing.T) *providertest.Fixture {
		base := t.TempDir()
		root := filepath.Join(base, "served")
		require.NoError(t, os.Mkdir(root, 0o755))
		srv, fi := davServer(t, xwebdav.Dir(root))
		return &providertest.Fixture{
			Provider:  newProvider(t, srv.URL+"/dav/", nextcloud, 5),
			RootID:    "/",
			PageSize:  5,
			Rejects:   posixRejects,
			MissingID: "/no-such-file",
			Faults:    fi,
			Seed: func(path []string, data []byte) error {
				for _, n := range path {
					if posixRejects(n) {
						return fmt.Errorf("name %q cannot be stored on this file system", n)
					}
				}
				dir := filepath.Join(append([]string{root}, path[:len(path)-1]...)...)
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dir, path[len(path)-1]), data, 0o644)
			},
			SeedOutside: func(name string, data []byte) error {
				return os.WriteFile(filepath.Join(base, name), data, 0o644)
			},
		}
	}}
}

func TestConformanceDir(t *testing.T) { providertest.Run(t, dirHarness(false)) }

// Nextcloud mode asks x/net/webdav for oc:/nc: properties it lacks, so
// every response carries a 200 and a 404 propstat block.
func TestConformanceDirNextcloudProps(t *testing.T) { providertest.Run(t, dirHarness(true)) }

func TestConformanceMemFS(t *testing.T) {
	providertest.Run(t, providertest.Harness{New: func(t *testing.T) *providertest.Fixture {
		fs := xwebdav.NewMemFS()
		srv, fi := davServer(t, fs)
		ctx := context.Background()
		return &providertest.Fixture{
			Provider:  newProvider(t, srv.URL+"/dav/", false, 4),
			RootID:    "/",
			PageSize:  4,
			Rejects:   memRejects,
			MissingID: "/missing/",
			Faults:    fi,
			Seed: func(path []string, data []byte) error {
				for _, n := range path {
					if memRejects(n) {
						return fmt.Errorf("name %q is not a path segment", n)
					}
				}
				dir := "/"
				for _, n := range path[:len(path)-1] {
					dir += n + "/"
					if err := fs.Mkdir(ctx, dir, 0o755); err != nil && !os.IsExist(err) {
						return err
					}
				}
				f, err := fs.OpenFile(ctx, dir+path[len(path)-1], os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
				if err != nil {
					return err
				}
				if _, err := f.Write(data); err != nil {
					return err
				}
				return f.Close()
			},
		}
	}})
}

// cannedServer answers PROPFIND with a testdata file ({{ORIGIN}} replaced)
// and records what it received.
type cannedServer struct {
	*httptest.Server
	file     string
	gotDepth atomic.Value
	gotBody  atomic.Value
}

func newCanned(t *testing.T, file string) *cannedServer {
	c := &cannedServer{file: file}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "PROPFIND" {
			http.Error(w, "no", http.StatusMethodNotAllowed)
			return
		}
		b, _ := io.ReadAll(r.Body)
		c.gotBody.Store(string(b))
		c.gotDepth.Store(r.Header.Get("Depth"))
		data, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		data = bytes.ReplaceAll(data, []byte("{{ORIGIN}}"), []byte("http://"+r.Host))
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		w.Write(data)
	}))
	t.Cleanup(c.Close)
	return c
}

func listAll(t *testing.T, p *Provider, id string) map[string]providers.Entry {
	t.Helper()
	out := map[string]providers.Entry{}
	tok := ""
	for {
		page, err := p.List(context.Background(), id, tok)
		require.NoError(t, err)
		for _, e := range page.Entries {
			out[e.Name] = e
		}
		if tok = page.NextPageToken; tok == "" {
			return out
		}
	}
}

func TestNextcloudShapedAnswer(t *testing.T) {
	srv := newCanned(t, "nextcloud.xml")
	p := newProvider(t, srv.URL+"/remote.php/dav/files/ana/", false, 2)
	got := listAll(t, p, "/Photos/")
	assert.Equal(t, "1", srv.gotDepth.Load())
	assert.Contains(t, srv.gotBody.Load(), "has-preview", "Nextcloud URLs ask for Nextcloud properties")
	require.Len(t, got, 3)

	jpg := got["Café & Friends.jpg"]
	assert.Equal(t, "/Photos/Café & Friends.jpg", jpg.ID)
	assert.False(t, jpg.IsDir)
	assert.EqualValues(t, 3421, jpg.Size)
	assert.Equal(t, "image/jpeg", jpg.MIMEType)
	assert.Equal(t, `"8e3b3e3e8a5f0"`, jpg.Revision)
	assert.Equal(t, time.Date(2015, 10, 14, 8, 0, 0, 0, time.UTC), jpg.ModTime.UTC())
	assert.Equal(t, providers.Hash{Algorithm: "sha1", Value: "da39a3ee5e6b4b0d3255bfef95601890afd80709"}, jpg.Hash)
	assert.True(t, jpg.HasThumbnail)

	dir := got["2024"]
	assert.True(t, dir.IsDir)
	assert.Equal(t, "/Photos/2024/", dir.ID)
	assert.EqualValues(t, 0, dir.Size, "oc:size of a folder")
	assert.Empty(t, dir.MIMEType)

	rlo := got["\u202Egpj.exe"]
	assert.Equal(t, "/Photos/\u202Egpj.exe", rlo.ID, "names are decoded byte-exact, bidi override kept")
	assert.False(t, rlo.HasThumbnail)
	assert.True(t, rlo.Hash.IsZero())
}

func TestOwnCloudShapedAnswerNamespacesNotPrefixes(t *testing.T) {
	srv := newCanned(t, "owncloud.xml")
	p := newProvider(t, srv.URL+"/remote.php/webdav/", false, 0)
	got := listAll(t, p, "/Documents/")
	// Only real children under the base survive: not a sibling folder's
	// file, not a name hiding "/" as %2f. An absolute href naming another
	// host counts by its path (a reverse proxy's internal name); Ferry still
	// reads the entry from the configured server only.
	require.Len(t, got, 3, "%v", got)
	assert.Equal(t, "/Documents/elsewhere.txt", got["elsewhere.txt"].ID)
	pdf := got["report 2024.pdf"]
	assert.EqualValues(t, 42, pdf.Size, "d: bound to another namespace is not DAV:")
	assert.False(t, pdf.IsDir)
	assert.Equal(t, "application/pdf", pdf.MIMEType)
	assert.Equal(t, providers.Hash{Algorithm: "md5", Value: "0cc175b9c0f1b6a831c399e269772661"}, pdf.Hash)
	assert.True(t, got["Notes"].IsDir)
	assert.EqualValues(t, -1, got["Notes"].Size)
}

func TestDefaultNamespaceRelativeHrefsAndErrorEntries(t *testing.T) {
	srv := newCanned(t, "default-ns.xml")
	p := newProvider(t, srv.URL+"/dav/", false, 0)
	got := listAll(t, p, "/shared/")
	require.Len(t, got, 3, "%v", got)
	assert.EqualValues(t, 5, got["plain.txt"].Size)
	assert.Equal(t, "/shared/plain.txt", got["plain.txt"].ID)
	assert.True(t, strings.HasPrefix(got["plain.txt"].MIMEType, "text/plain"), "type from the extension when the server names none")
	assert.True(t, got["with space"].IsDir)
	assert.Equal(t, "/shared/with space/", got["with space"].ID)
	assert.EqualValues(t, 3, got["日本.txt"].Size)
	assert.NotContains(t, got, "forbidden.txt", "a response with a 403 status is not an entry")
}

func TestStatAndQuota(t *testing.T) {
	srv := newCanned(t, "nextcloud.xml")
	p := newProvider(t, srv.URL+"/remote.php/dav/files/ana/", false, 0)
	e, err := p.Stat(context.Background(), "/Photos/Café & Friends.jpg")
	require.NoError(t, err)
	assert.Equal(t, "0", srv.gotDepth.Load())
	assert.Equal(t, "Café & Friends.jpg", e.Name)
	assert.EqualValues(t, 3421, e.Size)

	q := newCanned(t, "quota.xml")
	p = newProvider(t, q.URL+"/remote.php/dav/files/ana/", false, 0)
	quota, err := p.Quota(context.Background())
	require.NoError(t, err)
	assert.Equal(t, providers.Quota{Used: 3000, Free: 7000, Total: 10000}, quota)
	acct, err := p.AccountInfo(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "ana", acct.Name)
	assert.Contains(t, acct.ID, "ana@127.0.0.1")

	// x/net/webdav has no quota properties.
	srvDir, _ := davServer(t, xwebdav.NewMemFS())
	_, err = newProvider(t, srvDir.URL+"/dav/", false, 0).Quota(context.Background())
	require.ErrorIs(t, err, providers.ErrNotSupported)
}

func TestThumbnailsThroughNextcloudPreview(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\nfake")
	var gotQuery atomic.Value
	mux := http.NewServeMux()
	data, err := os.ReadFile("testdata/nextcloud.xml")
	require.NoError(t, err)
	mux.HandleFunc("/nc/remote.php/dav/files/ana/", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusMultiStatus)
		w.Write(bytes.ReplaceAll(data, []byte("/remote.php/"), []byte("/nc/remote.php/")))
	})
	mux.HandleFunc("/nc/index.php/core/preview", func(w http.ResponseWriter, r *http.Request) {
		if u, pw, _ := r.BasicAuth(); u != "ana" || pw != "app-pass" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		gotQuery.Store(r.URL.RawQuery)
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	p := newProvider(t, srv.URL+"/nc/remote.php/dav/files/ana/", false, 0)
	require.NotNil(t, providers.FeaturesOf(p).Thumbnailer)
	got := listAll(t, p, "/Photos/")
	rc, ct, err := p.Thumbnail(context.Background(), got["Café & Friends.jpg"].ID, 256)
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, png, b)
	assert.Equal(t, "image/png", ct)
	assert.Equal(t, "a=1&fileId=131&x=256&y=256", gotQuery.Load())

	_, _, err = p.Thumbnail(context.Background(), got["2024"].ID, 64)
	require.ErrorIs(t, err, providers.ErrNotFound)

	plain, err := New(Options{URL: "https://dav.example/files/"})
	require.NoError(t, err)
	assert.Nil(t, providers.FeaturesOf(plain).Thumbnailer, "no previews without Nextcloud")
}

func TestRangeWhenServerIgnoresRangeOrLies(t *testing.T) {
	content := []byte("0123456789abcdef")
	mode := "ignore"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "PROPFIND" {
			w.WriteHeader(http.StatusMultiStatus)
			io.WriteString(w, `<multistatus xmlns="DAV:"><response><href>/folder/</href><propstat><prop><resourcetype><collection/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>`)
			return
		}
		switch mode {
		case "ignore":
			w.Write(content)
		case "lie":
			w.Header().Set("Content-Range", "bytes 0-15/16")
			w.WriteHeader(http.StatusPartialContent)
			w.Write(content)
		case "dir": // GET on a collection
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	}))
	defer srv.Close()
	p, err := New(Options{URL: srv.URL + "/", Client: fastClient()})
	require.NoError(t, err)
	rc, err := p.Open(context.Background(), "/f", 10)
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "abcdef", string(b))
	rc, err = p.Open(context.Background(), "/f", 100)
	require.NoError(t, err)
	b, _ = io.ReadAll(rc)
	assert.Empty(t, b)

	mode = "lie"
	_, err = p.Open(context.Background(), "/f", 10)
	require.ErrorContains(t, err, "server sent range")
	_, err = p.Open(context.Background(), "/folder/", 0)
	require.ErrorIs(t, err, providers.ErrIsFolder)
	mode = "dir"
	_, err = p.Open(context.Background(), "/folder", 0)
	require.ErrorIs(t, err, providers.ErrIsFolder, "an ID without the folder slash still finds out")
}

func TestBasicAuthAndURLRules(t *testing.T) {
	srv, _ := davServer(t, xwebdav.NewMemFS())
	p, err := New(Options{URL: srv.URL + "/dav/", User: "ana", Password: "wrong", Client: fastClient()})
	require.NoError(t, err)
	_, err = p.List(context.Background(), "/", "")
	require.ErrorIs(t, err, providers.ErrNeedsSignIn)
	assert.NotContains(t, err.Error(), "wrong")

	for _, u := range []string{"http://cloud.example.com/dav/", "ftp://x/", "https://u:p@x/", "https://x/?a=b", "not a url"} {
		_, err := New(Options{URL: u})
		assert.Error(t, err, u)
	}
	_, err = New(Options{URL: "http://localhost:8080/dav"})
	require.NoError(t, err)
	_, err = New(Options{URL: "http://[::1]:8080/dav"})
	require.NoError(t, err)
}

func TestTLSAlwaysVerifiedWithOptionalCABundle(t *testing.T) {
	h := &xwebdav.Handler{FileSystem: xwebdav.NewMemFS(), LockSystem: xwebdav.NewMemLS()}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	p, err := New(Options{URL: srv.URL + "/", Client: &providers.Client{MaxAttempts: 1}})
	require.NoError(t, err)
	_, err = p.List(context.Background(), "/", "")
	require.Error(t, err, "a certificate from an unknown CA is refused")

	bundle := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	p, err = New(Options{URL: srv.URL + "/", CABundle: bundle})
	require.NoError(t, err)
	_, err = p.List(context.Background(), "/", "")
	require.NoError(t, err)
}

func TestListingReopensAfterEvictionAndSkips(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for i := range 230 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d.txt", i)), nil, 0o644))
	}
	srv, fi := davServer(t, xwebdav.Dir(dir))
	p := newProvider(t, srv.URL+"/dav/", false, 50)
	page, err := p.List(ctx, "/", "")
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, e := range page.Entries {
		seen[e.Name] = true
	}
	before := fi.Requests()
	tok := page.NextPageToken
	for pages := 1; tok != ""; pages++ {
		if pages == 2 {
			p.Close() // drops the open answer, as the idle timer would
		}
		page, err = p.List(ctx, "/", tok)
		require.NoError(t, err)
		for _, e := range page.Entries {
			require.False(t, seen[e.Name], "duplicate %s", e.Name)
			seen[e.Name] = true
		}
		tok = page.NextPageToken
	}
	assert.Len(t, seen, 230)
	assert.Equal(t, 1, fi.Requests()-before, "one re-sent PROPFIND after the eviction, none otherwise")
	p.mu.Lock()
	assert.Empty(t, p.cursors)
	p.mu.Unlock()

	// Abandoned listings are bounded.
	for range 3 * maxCursors {
		_, err := p.List(ctx, "/", "")
		require.NoError(t, err)
	}
	p.mu.Lock()
	assert.LessOrEqual(t, len(p.cursors), maxCursors)
	p.mu.Unlock()
}

func TestNoPasswordInLogs(t *testing.T) {
	var logs bytes.Buffer
	srv, fi := davServer(t, xwebdav.NewMemFS())
	c := fastClient()
	c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := New(Options{URL: srv.URL + "/dav/", User: "ana", Password: "app-pass", Client: c})
	require.NoError(t, err)
	fi.RateLimit(1, time.Second)
	_, err = p.List(context.Background(), "/", "")
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "http retry")
	assert.NotContains(t, logs.String(), "app-pass")
	assert.NotContains(t, logs.String(), "YW5hOmFwcC1wYXNz") // base64 of ana:app-pass
}

// x/net/webdav's MemFS answers in map order, different each time: a
// reopened listing must notice and expire the token instead of repeating
// or losing entries.
func TestReopenedListingInAnotherOrderExpires(t *testing.T) {
	fs := xwebdav.NewMemFS()
	ctx := context.Background()
	for i := range 60 {
		f, err := fs.OpenFile(ctx, fmt.Sprintf("/f%04d.txt", i), os.O_CREATE|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		f.Close()
	}
	srv, _ := davServer(t, fs)
	p := newProvider(t, srv.URL+"/dav/", false, 10)
	seen := map[string]bool{}
	expired := 0
	for range 20 {
		clear(seen)
		page, err := p.List(ctx, "/", "")
		require.NoError(t, err)
		for _, e := range page.Entries {
			seen[e.Name] = true
		}
		p.Close()
		for tok := page.NextPageToken; tok != ""; tok = page.NextPageToken {
			page, err = p.List(ctx, "/", tok)
			if err != nil {
				require.ErrorIs(t, err, providers.ErrPageExpired)
				expired++
				break
			}
			for _, e := range page.Entries {
				require.False(t, seen[e.Name], "duplicate %s", e.Name)
				seen[e.Name] = true
			}
			p.Close()
		}
		if err == nil {
			require.Len(t, seen, 60)
		}
	}
	assert.Positive(t, expired, "map order differs between answers")
}

// With one connection slot no answer is parked (it would block every other
// call); each page re-sends the PROPFIND and skips.
func TestListingWithOneSlotNeverParks(t *testing.T) {
	dir := t.TempDir()
	for i := range 25 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d", i)), nil, 0o644))
	}
	srv, fi := davServer(t, xwebdav.Dir(dir))
	p, err := New(Options{URL: srv.URL + "/dav/", User: "ana", Password: "app-pass", PageSize: 10,
		Client: &providers.Client{Concurrency: 1}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	page, err := p.List(ctx, "/", "")
	require.NoError(t, err)
	// Another call gets the slot while the listing is between pages.
	_, err = p.Stat(ctx, "/f00")
	require.NoError(t, err)
	n := len(page.Entries)
	for tok := page.NextPageToken; tok != ""; tok = page.NextPageToken {
		page, err = p.List(ctx, "/", tok)
		require.NoError(t, err)
		n += len(page.Entries)
	}
	assert.Equal(t, 25, n)
	assert.Equal(t, 4, fi.Requests(), "three PROPFINDs for three pages, one for Stat")
}
