package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/oauth2"
)

// Bearer is the OAuth glue the cloud providers share: it adds an access
// token from Tokens to the requests Trusted accepts and, after a 401, tells
// Client whether trying again can help. Set a Client's Authorize and
// Refresh to its methods. It is safe for concurrent use.
type Bearer struct {
	// Tokens yields access tokens (the vault's token source). Required.
	Tokens oauth2.TokenSource
	// Trusted reports whether a request may carry the token: the
	// provider's API hosts only, never a download or thumbnail host that
	// needs none.
	Trusted func(*url.URL) bool
	// Service names the provider in errors ("Google").
	Service string

	mu   sync.Mutex
	last string // the access token last sent, to tell a refresh that changed nothing
}

// Authorize adds the bearer token to r when Trusted accepts its URL. A token
// source failure comes back through TokenError.
func (b *Bearer) Authorize(r *http.Request) error {
	if b.Trusted != nil && !b.Trusted(r.URL) {
		return nil
	}
	tok, err := b.Tokens.Token()
	if err != nil {
		return TokenError(err)
	}
	b.mu.Lock()
	b.last = tok.AccessToken
	b.mu.Unlock()
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return nil
}

// Refresh runs after a 401: it tells the token source the last token was
// refused and succeeds only if the source now hands out a different one
// (it refreshed, or another process did), so the call is worth repeating.
func (b *Bearer) Refresh(context.Context) error {
	b.mu.Lock()
	rejected := b.last
	b.mu.Unlock()
	InvalidateToken(b.Tokens, rejected)
	tok, err := b.Tokens.Token()
	if err != nil {
		return TokenError(err)
	}
	if tok.AccessToken == rejected {
		return fmt.Errorf("%s refused the access token and no newer one is available", b.Service)
	}
	return nil
}

// TokenError classifies a token source failure: a network hiccup or a
// cancelled context stays what it is (retryable, or the caller's doing);
// anything else (no stored sign-in, a revoked grant) wraps ErrNeedsSignIn.
func TokenError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || IsTransient(err) {
		return fmt.Errorf("getting an access token: %w", err)
	}
	if errors.Is(err, ErrNeedsSignIn) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrNeedsSignIn, err)
}

// IsLoopbackHost reports whether host (a URL's Hostname) is localhost or a
// loopback IP: the only hosts a provider may reach over plain http (tests).
func IsLoopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// ParseAPIBase parses a provider's API root (def when base is empty),
// without a trailing slash. It must be a plain https URL — no user info,
// query or fragment — or http on a loopback host. name prefixes errors.
func ParseAPIBase(name, base, def string) (*url.URL, error) {
	if base == "" {
		base = def
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		(u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%s: API base %q is not a plain http(s) URL", name, base)
	}
	if u.Scheme == "http" && !IsLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("%s: API base %s must use https", name, RedactURL(u))
	}
	return u, nil
}
