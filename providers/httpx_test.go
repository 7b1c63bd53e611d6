package providers

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fastClient(srv *httptest.Server) *Client {
	return &Client{HTTP: srv.Client(), Name: "test", MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond}
}

func get(c *Client, url string) (*http.Response, error) {
	return c.Send(context.Background(), func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	})
}

func TestCallRetriesTransientThenSucceeds(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusBadGateway)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	resp, err := get(fastClient(srv), srv.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "ok", string(body))
	assert.EqualValues(t, 3, n.Load())
}

func TestCallBoundsAttempts(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	c := fastClient(srv)
	c.MaxAttempts = 3
	_, err := get(c, srv.URL)
	require.Error(t, err)
	assert.True(t, IsTransient(err))
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 500, he.StatusCode)
	assert.EqualValues(t, 3, n.Load())
}

func TestCallMapsPermanentErrorsWithoutRetry(t *testing.T) {
	cases := map[int]error{404: ErrNotFound, 410: ErrNotFound, 403: ErrPermissionDenied, 401: ErrNeedsSignIn}
	for status, want := range cases {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			w.WriteHeader(status)
		}))
		_, err := get(fastClient(srv), srv.URL)
		srv.Close()
		require.ErrorIs(t, err, want, "status %d", status)
		assert.True(t, IsPermanent(err), "status %d", status)
		assert.EqualValues(t, 1, n.Load(), "status %d", status)
	}
}

func TestCallHonoursRetryAfterAndSharesThePause(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := fastClient(srv)
	start := time.Now()
	resp, err := get(c, srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	// The retry waited at least the second the server asked for.
	assert.GreaterOrEqual(t, times[1].Sub(times[0]), time.Second)
	// Another call of the same client made during the pause waits too.
	c.pause(time.Second)
	resp, err = get(c, srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.GreaterOrEqual(t, time.Since(start), 2*time.Second)
}

func TestCallReturnsLongRetryAfterToCaller(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	_, err := get(fastClient(srv), srv.URL)
	var rl *RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, time.Hour, rl.RetryAfter)
	assert.ErrorIs(t, err, ErrRateLimited)
	assert.True(t, IsTransient(err))
	assert.EqualValues(t, 1, n.Load())
}

func TestCallRefreshesOnceOn401(t *testing.T) {
	token := "old"
	var refreshes atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer new" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := fastClient(srv)
	c.Authorize = func(r *http.Request) error { r.Header.Set("Authorization", "Bearer "+token); return nil }
	c.Refresh = func(context.Context) error { refreshes.Add(1); token = "new"; return nil }
	resp, err := get(c, srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.EqualValues(t, 1, refreshes.Load())

	// A refresh that does not help ends in ErrNeedsSignIn after one refresh.
	token = "old"
	refreshes.Store(0)
	c.Refresh = func(context.Context) error { refreshes.Add(1); return nil }
	_, err = get(c, srv.URL)
	require.ErrorIs(t, err, ErrNeedsSignIn)
	assert.EqualValues(t, 1, refreshes.Load())

	// A failing refresh is ErrNeedsSignIn wrapping the refresh error.
	errGrant := errors.New("invalid_grant")
	c.Refresh = func(context.Context) error { return errGrant }
	_, err = get(c, srv.URL)
	require.ErrorIs(t, err, ErrNeedsSignIn)
	require.ErrorIs(t, err, errGrant)
}

func TestCallLimitsConcurrencyUntilBodiesClose(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := inFlight.Add(1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		io.WriteString(w, "x")
		inFlight.Add(-1)
	}))
	defer srv.Close()
	c := fastClient(srv)
	c.Concurrency = 2
	r1, err := get(c, srv.URL)
	require.NoError(t, err)
	r2, err := get(c, srv.URL)
	require.NoError(t, err)
	// Both slots are held by unclosed bodies: a third call waits.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Send(ctx, func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		})
		done <- err
	}()
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	r1.Body.Close()
	r1.Body.Close() // a second Close must not free a second slot
	r3, err := get(c, srv.URL)
	require.NoError(t, err)
	r2.Body.Close()
	r3.Body.Close()
	assert.LessOrEqual(t, peak.Load(), int32(2))
	assert.Len(t, c.sem, 0)
}

func TestCallCancelledDuringBackoff(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	c := &Client{HTTP: srv.Client(), MinBackoff: time.Hour, MaxBackoff: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Send(ctx, func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		})
		errc <- err
	}()
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
}

func TestLimitReader(t *testing.T) {
	b, err := io.ReadAll(LimitReader(strings.NewReader("12345"), 5))
	require.NoError(t, err)
	assert.Equal(t, "12345", string(b))
	b, err = io.ReadAll(LimitReader(strings.NewReader("123456"), 5))
	require.ErrorIs(t, err, ErrResponseTooLarge)
	assert.Equal(t, "12345", string(b))

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"a":%q}`, strings.Repeat("x", 1000))
	}))
	defer srv.Close()
	c := fastClient(srv)
	c.MaxResponseBytes = 100
	resp, err := get(c, srv.URL)
	require.NoError(t, err)
	var v map[string]string
	require.ErrorIs(t, c.DecodeJSON(resp, &v), ErrResponseTooLarge)
}

func TestUserAgentAndRedirectPolicy(t *testing.T) {
	Version = "9.9.9"
	defer func() { Version = "dev" }()
	var ua string
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua = r.Header.Get("User-Agent")
	}))
	defer plain.Close()
	hc, err := NewHTTPClient(TransportOptions{})
	require.NoError(t, err)
	c := &Client{HTTP: hc}
	resp, err := get(c, plain.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "Ferry/9.9.9", ua)

	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/downgraded", http.StatusFound)
	}))
	defer tlsSrv.Close()
	hc, err = NewHTTPClient(TransportOptions{RootCAs: tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs})
	require.NoError(t, err)
	_, err = get(&Client{HTTP: hc}, tlsSrv.URL)
	require.ErrorContains(t, err, "refusing redirect from https to http")
}

func TestTLSVerifiedAndCABundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	hc, err := NewHTTPClient(TransportOptions{})
	require.NoError(t, err)
	_, err = get(&Client{HTTP: hc, MaxAttempts: 1}, srv.URL)
	require.Error(t, err, "an unknown CA must be refused")

	bundle := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	hc, err = NewHTTPClient(TransportOptions{CABundle: bundle})
	require.NoError(t, err)
	resp, err := get(&Client{HTTP: hc}, srv.URL)
	require.NoError(t, err)
	resp.Body.Close()

	_, err = NewHTTPClient(TransportOptions{CABundle: filepath.Join(t.TempDir(), "missing.pem")})
	require.Error(t, err)
}

func TestNoSecretsInLogsOrErrors(t *testing.T) {
	const secret = "s3cr3tTOKEN"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	var logs bytes.Buffer
	c := fastClient(srv)
	c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c.MaxAttempts = 3
	c.Authorize = func(r *http.Request) error { r.Header.Set("Authorization", "Bearer "+secret); return nil }
	_, err := get(c, srv.URL+"/path?access_token="+secret+"&X-Amz-Signature="+secret)
	require.Error(t, err)
	assert.Contains(t, logs.String(), "http retry")
	assert.Contains(t, logs.String(), "/path")
	assert.NotContains(t, logs.String(), secret)
	assert.NotContains(t, err.Error(), secret)

	// A transport error (nothing listening) names the URL without its query.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	c = &Client{HTTP: http.DefaultClient, MaxAttempts: 2, MinBackoff: time.Millisecond, Logger: c.Logger}
	_, err = get(c, "http://"+addr+"/x?sig="+secret)
	require.Error(t, err)
	assert.True(t, IsTransient(err), "connection refused is transient: %v", err)
	assert.NotContains(t, err.Error(), secret)
	assert.NotContains(t, logs.String(), secret)
}

func TestClassification(t *testing.T) {
	transient := []error{
		&RateLimitError{RetryAfter: time.Second},
		&HTTPError{StatusCode: 503}, &HTTPError{StatusCode: 500},
		fmt.Errorf("read: %w", io.ErrUnexpectedEOF),
		fmt.Errorf("x: %w", syscall.ECONNRESET),
		Transient(errors.New("backendError")),
	}
	for _, err := range transient {
		assert.True(t, IsTransient(err), "%v", err)
		assert.False(t, IsPermanent(err), "%v", err)
	}
	permanent := []error{
		ErrNotFound, ErrNeedsSignIn, ErrPermissionDenied, ErrNotFolder,
		&HTTPError{StatusCode: 400}, context.Canceled,
		fmt.Errorf("%w", context.DeadlineExceeded), errors.New("whatever"),
	}
	for _, err := range permanent {
		assert.True(t, IsPermanent(err), "%v", err)
	}
	assert.False(t, IsPermanent(nil))
	assert.False(t, IsTransient(nil))
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	h := http.Header{}
	assert.Zero(t, ParseRetryAfter(h, now))
	h.Set("Retry-After", "7")
	assert.Equal(t, 7*time.Second, ParseRetryAfter(h, now))
	h.Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
	assert.Equal(t, 90*time.Second, ParseRetryAfter(h, now))
	h.Set("Retry-After", "-3")
	assert.Zero(t, ParseRetryAfter(h, now))
	h.Set("Retry-After", "soon")
	assert.Zero(t, ParseRetryAfter(h, now))
}

type fakeProvider struct {
	tree map[string][]Entry // folder ID → children
}

func (f fakeProvider) Roots(context.Context) ([]Entry, error) {
	return []Entry{{ID: "root", IsDir: true}}, nil
}
func (f fakeProvider) Stat(_ context.Context, id string) (Entry, error) {
	if id == "" {
		return Entry{ID: "root", IsDir: true, Path: "/"}, nil
	}
	return Entry{}, ErrNotFound
}
func (f fakeProvider) List(_ context.Context, id, token string) (Page, error) {
	kids := f.tree[id]
	if token == "" && len(kids) > 1 {
		return Page{Entries: kids[:1], NextPageToken: "2"}, nil
	}
	if token == "2" {
		return Page{Entries: kids[1:]}, nil
	}
	return Page{Entries: kids}, nil
}
func (f fakeProvider) Open(context.Context, string, int64) (io.ReadCloser, error) {
	return nil, ErrNotSupported
}

func TestResolvePathWalksListings(t *testing.T) {
	p := fakeProvider{tree: map[string][]Entry{
		"root": {{ID: "a", Name: "x"}, {ID: "b", Name: "Photos", IsDir: true}},
		"b":    {{ID: "c", Name: "a b.jpg"}},
	}}
	e, err := ResolvePath(context.Background(), p, "/Photos/a b.jpg")
	require.NoError(t, err)
	assert.Equal(t, "c", e.ID)
	_, err = ResolvePath(context.Background(), p, "/Photos/nope")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = ResolvePath(context.Background(), p, "/x/y")
	require.ErrorIs(t, err, ErrNotFolder)
	e, err = ResolvePath(context.Background(), p, "/")
	require.NoError(t, err)
	assert.Equal(t, "root", e.ID)
	assert.Equal(t, Features{}, FeaturesOf(p))
}
