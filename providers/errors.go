package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/ferry-app/ferry/internal/retry"
	"github.com/ferry-app/ferry/internal/signin"
)

// Errors the UI acts on. Every error a provider returns that means one of
// these matches it with errors.Is, whatever else it wraps.
var (
	// ErrNotFound: the ID (or path) names nothing, or nothing any more.
	ErrNotFound = errors.New("not found")
	// ErrNeedsSignIn: the credentials are missing, expired beyond refresh or
	// revoked; only a new sign-in helps. It is the one sentinel of
	// internal/signin, shared with auth and vault.
	ErrNeedsSignIn = signin.ErrNeedsSignIn
	// ErrPermissionDenied: the account may not read this entry.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrRateLimited: the service asked us to slow down. The concrete error
	// is a *RateLimitError carrying the wait it asked for.
	ErrRateLimited = errors.New("rate limited")
	// ErrNotFolder: List was given the ID of a file.
	ErrNotFolder = errors.New("not a folder")
	// ErrIsFolder: Open was given the ID of a folder.
	ErrIsFolder = errors.New("is a folder")
	// ErrPageExpired: a page token is no longer valid; list from the start.
	ErrPageExpired = errors.New("page token expired or invalid")
	// ErrPasswordSignIn: the source has no sign-in in the browser (a WebDAV
	// server without Nextcloud's Login Flow); it takes a login name and
	// password (`ferry login --user NAME REMOTE`).
	ErrPasswordSignIn = errors.New("no sign-in in the browser; a login name and password are needed")
	// ErrNotSupported: the provider (or this instance of it) lacks the
	// operation.
	ErrNotSupported = errors.New("not supported")
	// ErrResponseTooLarge: a response body exceeded the size Ferry accepts
	// for it (a misbehaving or hostile server).
	ErrResponseTooLarge = errors.New("response too large")
	// ErrOutsideRoot: the ID or a symlink leads out of the tree the
	// provider may show.
	ErrOutsideRoot = errors.New("outside the permitted folder")
)

// RateLimitError is a rate-limit answer (HTTP 429, 503 with Retry-After, or a
// provider's own throttling code). It matches ErrRateLimited.
type RateLimitError struct {
	// RetryAfter is the wait the service asked for; 0 if it named none.
	RetryAfter time.Duration
	// Err is the underlying error, for context; may be nil.
	Err error
}

func (e *RateLimitError) Error() string {
	s := "rate limited"
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter.Round(time.Second))
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

func (e *RateLimitError) Unwrap() error { return e.Err }

// HTTPError is a non-success HTTP answer that no more specific error
// describes. It never holds a URL's query string or a request header.
type HTTPError struct {
	Method     string
	URL        string // RedactURL'ed: scheme, host and path only
	StatusCode int
	// Message is a short excerpt of the body or the service's error message.
	Message string
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Temporary reports whether the status is worth retrying.
func (e *HTTPError) Temporary() bool {
	switch e.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// transientError marks an error as worth retrying.
type transientError struct{ err error }

func (e transientError) Error() string { return e.err.Error() }
func (e transientError) Unwrap() error { return e.err }

// Transient marks err as transient (IsTransient reports true for it), for
// provider error mappers that know a condition passes (Drive's
// backendError, Box's 202 "thumbnail not ready").
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return transientError{err}
}

// IsTransient reports whether doing the same call again later may succeed:
// rate limits, 5xx answers, dropped connections and network timeouts, and
// errors marked with Transient. A cancelled or expired context is never
// transient: the caller gave up.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var te transientError
	if errors.As(err, &te) {
		return true
	}
	if errors.Is(err, ErrRateLimited) {
		return true
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Temporary()
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return false
}

// IsPermanent reports whether retrying err cannot help: not found, no
// permission, needs sign-in, bad request, cancelled, and anything else not
// known to be transient.
func IsPermanent(err error) bool { return err != nil && !IsTransient(err) }

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3), at most a day. It returns 0 when the header is absent
// or unusable.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration {
	return retry.ParseAfter(h.Get("Retry-After"), now)
}
