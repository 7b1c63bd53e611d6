package providers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/ferry-app/ferry/internal/retry"
)

// Defaults of Client; a zero field takes these.
const (
	DefaultMaxAttempts      = 5
	DefaultMinBackoff       = 250 * time.Millisecond
	DefaultMaxBackoff       = 30 * time.Second
	DefaultMaxRetryAfter    = 2 * time.Minute
	DefaultConcurrency      = 8
	DefaultMaxResponseBytes = 16 << 20
	// errorBodyLimit bounds how much of an error answer is read for the
	// mapper: error bodies are small, and a hostile one must not cost memory.
	errorBodyLimit = 64 << 10
)

// ErrorMapper turns a non-success answer (status >= 400) into an error. body
// holds up to 64 KiB of the response body; resp.Body is already closed.
// Return nil to fall back to DefaultErrorMapper. Each provider package writes
// one (Drive's 403 rateLimitExceeded, Dropbox's 409 unions, Box's error
// objects) so that every error leaving it matches this package's sentinels.
type ErrorMapper func(resp *http.Response, body []byte) error

// Client is the one HTTP layer every provider uses: retries with exponential
// backoff and jitter, Retry-After honoured (and shared: one 429 pauses every
// call of this Client), a bound on calls in flight, one credential refresh on
// 401, and errors mapped into this package's sentinels. Build one per
// provider instance with a struct literal; zero fields take the defaults. It
// is safe for concurrent use; do not copy it after first use.
type Client struct {
	// HTTP does the requests; nil means a client from NewHTTPClient with
	// default options.
	HTTP *http.Client
	// Name names the provider in logs.
	Name string
	// MaxAttempts bounds attempts per call, the first included.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the exponential backoff.
	MinBackoff, MaxBackoff time.Duration
	// MaxRetryAfter: a Retry-After longer than this is not waited for; the
	// *RateLimitError goes to the caller (the UI shows "try again in …").
	MaxRetryAfter time.Duration
	// Concurrency bounds calls in flight, response bodies not yet closed
	// included.
	Concurrency int
	// MaxResponseBytes bounds bodies read by DecodeJSON.
	MaxResponseBytes int64
	// Authorize, if set, is called on every request Send builds, before
	// each attempt (adds the current bearer token).
	Authorize func(req *http.Request) error
	// Refresh, if set, forces a credential refresh. Call invokes it at most
	// once per call, after a 401, and then tries again; a second 401, or a
	// failing Refresh, ends the call with ErrNeedsSignIn.
	Refresh func(ctx context.Context) error
	// MapError classifies error answers; nil means DefaultErrorMapper.
	MapError ErrorMapper
	// Logger receives one debug line per retry; nil means slog.Default().
	// Lines carry RedactURL'ed URLs only.
	Logger *slog.Logger

	once       sync.Once
	sem        chan struct{}
	mu         sync.Mutex
	pauseUntil time.Time
}

func (c *Client) init() {
	c.once.Do(func() {
		n := c.Concurrency
		if n <= 0 {
			n = DefaultConcurrency
		}
		c.sem = make(chan struct{}, n)
		if c.HTTP == nil {
			c.HTTP, _ = NewHTTPClient(TransportOptions{})
		}
	})
}

// Send is Call for the common case: newRequest builds a fresh request for
// each attempt (so a body can be sent again), Authorize decorates it, and
// c.HTTP does it.
func (c *Client) Send(ctx context.Context, newRequest func(ctx context.Context) (*http.Request, error)) (*http.Response, error) {
	c.init()
	return c.Call(ctx, func(ctx context.Context) (*http.Response, error) {
		req, err := newRequest(ctx)
		if err != nil {
			return nil, err
		}
		if c.Authorize != nil {
			if err := c.Authorize(req); err != nil {
				return nil, err
			}
		}
		return c.HTTP.Do(req)
	})
}

// Call runs fn, the pacer way: fn does one HTTP exchange and may be called
// several times, so it must be idempotent and build its request (and body)
// afresh each time. A response with status < 400 is returned as is, with
// its Body wrapped so that closing it frees the concurrency slot: the caller
// must close it. Any other outcome is mapped (MapError, then
// DefaultErrorMapper), retried while IsTransient says so and attempts
// remain, and finally returned. Transport errors come back with the URL's
// query string removed.
func (c *Client) Call(ctx context.Context, fn func(ctx context.Context) (*http.Response, error)) (*http.Response, error) {
	c.init()
	var resp *http.Response
	refreshed, refreshFailed := false, false
	err := c.policy().Do(ctx, func() error {
		r, err := c.attempt(ctx, fn)
		if err != nil && errors.Is(err, ErrNeedsSignIn) && c.Refresh != nil && !refreshed {
			refreshed = true
			if rerr := c.Refresh(ctx); rerr != nil {
				refreshFailed = true
				return fmt.Errorf("%w: refreshing credentials: %w", ErrNeedsSignIn, rerr)
			}
			return refreshedError{err}
		}
		resp = r
		return err
	}, func(err error) retry.Verdict {
		return c.classify(err, refreshFailed)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// refreshedError is a 401 after which the credentials were refreshed: the
// call goes again at once.
type refreshedError struct{ error }

func (e refreshedError) Unwrap() error { return e.error }

// policy is the retry core's policy from c's fields and the defaults.
func (c *Client) policy() retry.Policy {
	p := retry.Policy{Backoff: retry.Backoff{Min: c.MinBackoff, Max: c.MaxBackoff}, MaxAttempts: c.MaxAttempts}
	if p.Min <= 0 {
		p.Min = DefaultMinBackoff
	}
	if p.Max <= 0 {
		p.Max = DefaultMaxBackoff
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	p.OnRetry = c.onRetry
	return p
}

// classify is the Client's retry decision: again at once after a refresh,
// with backoff while IsTransient says so, and not when the service asks to
// wait longer than MaxRetryAfter (the caller shows "try again in …").
func (c *Client) classify(err error, refreshFailed bool) retry.Verdict {
	var re refreshedError
	switch {
	case errors.As(err, &re):
		return retry.Verdict{Retry: true, Now: true}
	case refreshFailed || !IsTransient(err):
		return retry.Verdict{}
	}
	var rl *RateLimitError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		limit := c.MaxRetryAfter
		if limit <= 0 {
			limit = DefaultMaxRetryAfter
		}
		if rl.RetryAfter > limit {
			return retry.Verdict{}
		}
		return retry.Verdict{Retry: true, After: rl.RetryAfter}
	}
	return retry.Verdict{Retry: true}
}

// onRetry logs a retry and, for a Retry-After, pauses every call of c.
func (c *Client) onRetry(err error, attempt int, wait time.Duration) {
	method, where, status := "", "", 0
	var he *HTTPError
	var ue *url.Error
	if errors.As(err, &he) {
		method, where, status = he.Method, he.URL, he.StatusCode
	} else if errors.As(err, &ue) {
		method, where = ue.Op, ue.URL
	}
	var re refreshedError
	if errors.As(err, &re) {
		c.logger().Debug("http retry after credential refresh", "provider", c.Name, "method", method, "url", where)
		return
	}
	var rl *RateLimitError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		c.pause(rl.RetryAfter)
	}
	c.logger().Debug("http retry", "provider", c.Name, "method", method, "url", where,
		"status", status, "attempt", attempt, "wait", wait, "err", err)
}

// attempt does one exchange: it waits out a shared pause, takes a
// concurrency slot, and maps a failure. A response it returns holds the
// slot until its body is closed.
func (c *Client) attempt(ctx context.Context, fn func(ctx context.Context) (*http.Response, error)) (*http.Response, error) {
	if err := retry.Sleep(ctx, c.pauseLeft()); err != nil {
		return nil, err
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	resp, err := fn(ctx)
	if err != nil {
		c.release()
		return nil, redactError(err)
	}
	if resp.StatusCode < 400 {
		resp.Body = &releasingBody{ReadCloser: resp.Body, release: c.release}
		return resp, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyLimit))
	resp.Body.Close()
	c.release()
	return nil, c.mapError(resp, body)
}

// DecodeJSON decodes resp's body into v, reading at most MaxResponseBytes,
// and closes the body.
func (c *Client) DecodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	limit := c.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	if err := json.NewDecoder(LimitReader(resp.Body, limit)).Decode(v); err != nil {
		if errors.Is(err, ErrResponseTooLarge) {
			return err
		}
		return fmt.Errorf("decoding %s answer: %w", c.Name, err)
	}
	return nil
}

func (c *Client) mapError(resp *http.Response, body []byte) error {
	if c.MapError != nil {
		if err := c.MapError(resp, body); err != nil {
			return err
		}
	}
	return DefaultErrorMapper(resp, body)
}

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func (c *Client) release() { <-c.sem }

func (c *Client) pause(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := time.Now().Add(d); until.After(c.pauseUntil) {
		c.pauseUntil = until
	}
}

// pauseLeft is what remains of a Retry-After another call of this Client
// received.
func (c *Client) pauseLeft() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Until(c.pauseUntil)
}

type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// DefaultErrorMapper maps status codes: 401 → ErrNeedsSignIn, 403 →
// ErrPermissionDenied, 404/410 → ErrNotFound, 429 and 503-with-Retry-After →
// *RateLimitError, anything else → *HTTPError (transient for 408, 425, 5xx).
// Each result also wraps the *HTTPError for context.
func DefaultErrorMapper(resp *http.Response, body []byte) error {
	he := &HTTPError{StatusCode: resp.StatusCode, Message: bodyExcerpt(resp, body)}
	if resp.Request != nil {
		he.Method, he.URL = resp.Request.Method, RedactURL(resp.Request.URL)
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w (%w)", ErrNeedsSignIn, he)
	case http.StatusForbidden:
		return fmt.Errorf("%w (%w)", ErrPermissionDenied, he)
	case http.StatusNotFound, http.StatusGone:
		return fmt.Errorf("%w (%w)", ErrNotFound, he)
	case http.StatusTooManyRequests:
		return &RateLimitError{RetryAfter: ParseRetryAfter(resp.Header, time.Now()), Err: he}
	case http.StatusServiceUnavailable:
		if ra := ParseRetryAfter(resp.Header, time.Now()); ra > 0 {
			return &RateLimitError{RetryAfter: ra, Err: he}
		}
	}
	return he
}

// bodyExcerpt keeps a short, printable excerpt of a textual error body.
func bodyExcerpt(resp *http.Response, body []byte) string {
	ct := resp.Header.Get("Content-Type")
	if len(body) == 0 || !(strings.HasPrefix(ct, "text/plain") || strings.Contains(ct, "json")) {
		return ""
	}
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return ' '
		}
		return r
	}, string(body))
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// RedactURL renders u as scheme://host/path: no user info, query string or
// fragment, which may carry credentials or presigned signatures.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return r.String()
}

// redactError strips the query string from the URL a transport error names.
func redactError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			ue.URL = RedactURL(u)
		} else {
			ue.URL = "(unparseable URL)"
		}
	}
	return err
}

// LimitReader reads from r until n bytes were read; reading more fails with
// ErrResponseTooLarge (unlike io.LimitReader, which ends silently).
func LimitReader(r io.Reader, n int64) io.Reader { return &limitReader{r: r, n: n} }

type limitReader struct {
	r io.Reader
	n int64 // bytes still allowed
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, ErrResponseTooLarge
	}
	// Allow one byte past the limit to tell "exactly n" from "more than n".
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	if l.n < 0 {
		return k + int(l.n), ErrResponseTooLarge
	}
	return k, err
}

// TransportOptions configure NewHTTPClient.
type TransportOptions struct {
	// CABundle is a PEM file of extra trusted certificate authorities
	// (an admin's private CA), added to the system's. Certificate
	// verification itself is always on; there is no option to disable it.
	CABundle string
	// RootCAs, if set, replaces the system pool (tests with httptest TLS
	// servers); CABundle is still added to it.
	RootCAs *x509.CertPool
	// ResponseHeaderTimeout bounds the wait for an answer's headers;
	// default 60s. Bodies are bounded by the caller's context instead, so
	// long downloads work.
	ResponseHeaderTimeout time.Duration
}

// NewHTTPClient returns the http.Client providers use: verified TLS 1.2+,
// connection/handshake/header timeouts, "Ferry/<Version>" as User-Agent,
// no redirect from https to http.
func NewHTTPClient(opts TransportOptions) (*http.Client, error) {
	// A nil pool means the system's roots, loaded by crypto/tls at the first
	// handshake: a plain-http (loopback) client never pays for parsing them.
	pool := opts.RootCAs
	if pool != nil {
		pool = pool.Clone()
	}
	if opts.CABundle != "" {
		if pool == nil {
			var err error
			if pool, err = x509.SystemCertPool(); err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
		}
		pem, err := os.ReadFile(opts.CABundle)
		if err != nil {
			return nil, fmt.Errorf("reading CA bundle: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", opts.CABundle)
		}
	}
	hdr := opts.ResponseHeaderTimeout
	if hdr <= 0 {
		hdr = 60 * time.Second
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: hdr,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   8,
	}
	return &http.Client{
		Transport: userAgent{tr},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
				return errors.New("refusing redirect from https to http")
			}
			return nil
		},
	}, nil
}

// UserAgent is the User-Agent header value Ferry sends.
func UserAgent() string { return "Ferry/" + Version }

type userAgent struct{ base http.RoundTripper }

func (u userAgent) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", UserAgent())
	}
	return u.base.RoundTrip(req)
}
