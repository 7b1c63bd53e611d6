package hostiletest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	xwebdav "golang.org/x/net/webdav"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/internal/thumbs"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/box"
	"github.com/ferry-app/ferry/providers/box/fakebox"
	"github.com/ferry-app/ferry/providers/dropbox"
	"github.com/ferry-app/ferry/providers/dropbox/fakedropbox"
	"github.com/ferry-app/ferry/providers/gdrive"
	"github.com/ferry-app/ferry/providers/gdrive/fakedrive"
	"github.com/ferry-app/ferry/providers/onedrive"
	"github.com/ferry-app/ferry/providers/onedrive/fakegraph"
	"github.com/ferry-app/ferry/providers/webdav"
	"github.com/ferry-app/ferry/upload"
)

// Bounds the suite asserts for every hostile answer. Heap: bytes allocated
// during the call (runtime.MemStats.TotalAlloc before and after), an upper
// bound of its peak heap growth. The JSON decoders stop at 16 MiB
// (providers.DefaultMaxResponseBytes), the backend client at 4 MiB and the
// PROPFIND decoder at 256 KiB a token; 64 MiB leaves room for the doubling
// of the JSON decoder's buffer on the way to its 16 MiB.
const maxAllocated = 160 << 20

func fast() *providers.Client {
	return &providers.Client{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxAttempts: 2}
}

// client is one client under test, connected to the hostile server.
type client struct {
	xml  bool                            // the server speaks XML (WebDAV)
	call func(ctx context.Context) error // one ordinary request: list a folder, discover
}

// target is one kind of server: how to start its well-behaved fake and
// connect a client through the hostile server in front of it.
type target struct {
	name    string
	connect func(t *testing.T) (*Server, client)
}

func lister(t *testing.T, p providers.Provider) func(ctx context.Context) error {
	roots, err := p.Roots(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, roots)
	root := roots[0].ID
	return func(ctx context.Context) error {
		page, err := p.List(ctx, root, "")
		for _, e := range page.Entries {
			if !utf8.ValidString(e.Name) {
				return fmt.Errorf("listed a name that is not UTF-8: %q", e.Name)
			}
		}
		return err
	}
}

func targets() []target {
	return []target{
		{"Drive", func(t *testing.T) (*Server, client) {
			fd := fakedrive.New(fakedrive.Options{})
			t.Cleanup(fd.Close)
			fd.AddFile("root", "a.txt", []byte("abc"))
			s := Start(t, fd.URL)
			at, _ := fd.IssueToken()
			p, err := gdrive.New(gdrive.Options{APIBase: s.URL, Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at}), Client: fast()})
			require.NoError(t, err)
			return s, client{call: lister(t, p)}
		}},
		{"Dropbox", func(t *testing.T) (*Server, client) {
			fd := fakedropbox.New(fakedropbox.Options{})
			t.Cleanup(fd.Close)
			_, err := fd.AddFile("", "a.txt", []byte("abc"))
			require.NoError(t, err)
			s := Start(t, fd.URL)
			at, _ := fd.IssueToken()
			p, err := dropbox.New(dropbox.Options{APIBase: s.URL, ContentBase: s.URL, Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at}), Client: fast()})
			require.NoError(t, err)
			return s, client{call: lister(t, p)}
		}},
		{"Graph", func(t *testing.T) (*Server, client) {
			fg := fakegraph.Start(t, fakegraph.Options{})
			s := Start(t, fg.URL)
			at, _ := fg.IssueTokens()
			p, err := onedrive.New(onedrive.Options{APIBase: s.URL, Client: fast(), Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at})})
			require.NoError(t, err)
			return s, client{call: lister(t, p)}
		}},
		{"Box", func(t *testing.T) (*Server, client) {
			fb := fakebox.Start(t, fakebox.Options{})
			s := Start(t, fb.URL)
			at, _ := fb.IssueTokens()
			p, err := box.New(box.Options{APIBase: s.URL, Client: fast(), PendingWait: time.Second, Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at})})
			require.NoError(t, err)
			return s, client{call: lister(t, p)}
		}},
		{"WebDAV", func(t *testing.T) (*Server, client) {
			fs := xwebdav.NewMemFS()
			dav := httptest.NewServer(&xwebdav.Handler{Prefix: "/dav", FileSystem: fs, LockSystem: xwebdav.NewMemLS()})
			t.Cleanup(dav.Close)
			s := Start(t, dav.URL)
			p, err := webdav.New(webdav.Options{URL: s.URL + "/dav/", User: "ana", Password: "app-pass", Client: fast()})
			require.NoError(t, err)
			t.Cleanup(func() { p.Close() })
			return s, client{xml: true, call: lister(t, p)}
		}},
		{"Backend", func(t *testing.T) (*Server, client) {
			e, err := backend.StartEmbedded(context.Background(), t.TempDir(), slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			t.Cleanup(func() { e.Close(context.Background()) })
			s := Start(t, e.URL)
			c, err := upload.NewClient(s.URL, func(context.Context) (string, error) { return e.Token, nil }, nil)
			require.NoError(t, err)
			return s, client{call: func(ctx context.Context) error {
				_, err := c.Discover(ctx)
				if err != nil {
					return err
				}
				_, err = c.Params(ctx, "a.txt", "text/plain", 3, nil)
				return err
			}}
		}},
	}
}

// hostile is one kind of hostile answer and what the client must say.
type hostile struct {
	name   string
	answer func(c client, release <-chan struct{}) Answer
	// stall: the answer never ends; the person cancels.
	stall bool
}

func hostiles() []hostile {
	pick := func(json, xml Answer) func(client, <-chan struct{}) Answer {
		return func(c client, _ <-chan struct{}) Answer {
			if c.xml {
				return xml
			}
			return json
		}
	}
	return []hostile{
		{name: "gigantic body", answer: pick(GiganticJSON(), GiganticXML())},
		{name: "endless chunked stream", answer: pick(EndlessJSON(), EndlessXML())},
		{name: "deep nesting", answer: pick(DeepJSON(), DeepXML())},
		{name: "redirect loop", answer: pick(RedirectLoop(), RedirectLoop())},
		{name: "HTML instead of JSON", answer: pick(HTMLLogin(), HTMLLogin())},
		{name: "wrong content type", answer: pick(Raw(200, "application/json", string(PNGBomb(1, 1))), Raw(207, "application/xml", string(PNGBomb(1, 1))))},
		{name: "error status with a gigantic body", answer: pick(
			stream(500, "application/json", `{"error":"`, 'x', 1<<30, `"}`),
			stream(500, "application/xml", `<error>`, 'x', 1<<30, `</error>`))},
		{name: "slowloris", stall: true, answer: func(c client, release <-chan struct{}) Answer {
			if c.xml {
				return Stall(207, "application/xml; charset=utf-8", `<d:multistatus xmlns:d="DAV:"><d:resp`, release)
			}
			return Stall(200, "application/json", `{"val`, release)
		}},
	}
}

// TestHostileServers runs every hostile answer against every client: each
// ends in a clear error, allocates at most maxAllocated, leaves no answer
// running and no goroutine behind, and the client works again once the
// server behaves.
func TestHostileServers(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			s, c := tg.connect(t)
			require.NoError(t, c.call(context.Background()), "the well-behaved fake works")
			for _, h := range hostiles() {
				t.Run(h.name, func(t *testing.T) {
					require.NoError(t, c.call(context.Background()))
					goroutines := runtime.NumGoroutine()
					release := make(chan struct{})
					defer close(release)
					s.Set(h.answer(c, release))

					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					if h.stall {
						// The person gives up once the server has started
						// to stall; nothing may keep waiting afterwards.
						go func() {
							for s.Hits() == 0 && ctx.Err() == nil {
								runtime.Gosched()
							}
							cancel()
						}()
					}
					var err error
					n := allocated(func() { err = c.call(ctx) })
					require.Error(t, err, "a hostile answer must be an error")
					assert.NotContains(t, err.Error(), strings.Repeat("a", 64), "the error does not echo the body")
					assert.Less(t, len(err.Error()), 2048, "a short, clear error: %.300s", err)
					assert.Less(t, n, uint64(maxAllocated), "bytes allocated for %s (%s)", h.name, err)
					t.Logf("%s: %d requests, %d KiB allocated: %.200s", h.name, s.Hits(), n>>10, err)
					if h.stall {
						assert.ErrorIs(t, err, context.Canceled)
					}

					s.Set(nil)
					assert.Eventually(t, func() bool { return s.Active() == 0 }, 10*time.Second, time.Millisecond,
						"a hostile answer is still being sent: the client left its connection open")
					require.NoError(t, c.call(context.Background()), "the client works again")
					assert.Eventually(t, func() bool { return runtime.NumGoroutine() <= goroutines+3 }, 10*time.Second, time.Millisecond,
						"goroutines: %d before, %d after", goroutines, runtime.NumGoroutine())
				})
			}
		})
	}
}

func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestImageBombsFromServer: a server's "thumbnail" that declares a huge
// picture costs the thumbnail loader a header read, not the picture.
func TestImageBombsFromServer(t *testing.T) {
	s := Start(t, "http://127.0.0.1:9") // no upstream: every request gets the answer
	l := thumbs.NewLoader(thumbs.Options{})
	fetch := func(ctx context.Context) (io.ReadCloser, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/thumbnail", nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		return resp.Body, nil
	}
	for name, bomb := range map[string][]byte{
		"16-bit PNG 60000×60000":                     PNGBomb(60000, 60000),
		"PNG 10000×10000 (100 MP, 1.2 GB to decode)": PNGBomb(10000, 10000),
	} {
		s.Set(Image("image/png", bomb))
		var err error
		n := allocated(func() { _, err = l.Get(context.Background(), thumbs.Request{Key: name, Size: 256, Fetch: fetch}) })
		require.ErrorIs(t, err, thumbs.ErrTooLarge, name)
		assert.Less(t, n, uint64(4<<20), "%s: bytes allocated", name)
	}
	assert.True(t, errors.Is(thumbs.ErrTooLarge, thumbs.ErrTooLarge))
}

// TestHostileNames: names a server hands out (invalid UTF-8, "../", NUL,
// right-to-left override, 300 bytes, a slash) are listed as valid UTF-8
// text or refused with an error, and never crash or stop the listing.
func TestHostileNames(t *testing.T) {
	for name, seed := range map[string]func(t *testing.T) (providers.Provider, int){
		"Drive": func(t *testing.T) (providers.Provider, int) {
			fd := fakedrive.New(fakedrive.Options{})
			t.Cleanup(fd.Close)
			for _, n := range HostileNames {
				fd.AddFile("root", n, []byte("x"))
			}
			at, _ := fd.IssueToken()
			p, err := gdrive.New(gdrive.Options{APIBase: fd.URL, Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at}), Client: fast()})
			require.NoError(t, err)
			return p, len(HostileNames)
		},
		"WebDAV": func(t *testing.T) (providers.Provider, int) {
			fs := xwebdav.NewMemFS()
			added := 0
			for _, n := range HostileNames {
				f, err := fs.OpenFile(context.Background(), "/"+n, os.O_CREATE|os.O_WRONLY, 0o600)
				if err == nil {
					f.Close()
					added++
				}
			}
			dav := httptest.NewServer(&xwebdav.Handler{Prefix: "/dav", FileSystem: fs, LockSystem: xwebdav.NewMemLS()})
			t.Cleanup(dav.Close)
			p, err := webdav.New(webdav.Options{URL: dav.URL + "/dav/", Client: fast()})
			require.NoError(t, err)
			t.Cleanup(func() { p.Close() })
			return p, added
		},
	} {
		t.Run(name, func(t *testing.T) {
			p, n := seed(t)
			require.NoError(t, lister(t, p)(context.Background()))
			roots, err := p.Roots(context.Background())
			require.NoError(t, err)
			var got []string
			for tok := ""; ; {
				page, err := p.List(context.Background(), roots[0].ID, tok)
				require.NoError(t, err)
				for _, e := range page.Entries {
					assert.True(t, utf8.ValidString(e.Name), "%q", e.Name)
					got = append(got, e.Name)
				}
				if tok = page.NextPageToken; tok == "" {
					break
				}
			}
			t.Logf("%d names listed of %d seeded: %q", len(got), n, got)
		})
	}
}
