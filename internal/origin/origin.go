// Package origin compares the origins of URLs (RFC 6454: scheme, host and
// port) so that credentials go only where they were meant for. Go's
// http.Client keeps an Authorization header on a redirect to the same host
// name whatever the scheme and port, and to subdomains, and cannot strip a
// header a RoundTripper adds; clients that carry a bearer token or a
// secret in a body use CheckRedirect instead.
package origin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Of is u's origin, "scheme://host:port", with the scheme's default port
// made explicit and the host lower-cased.
func Of(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + ":" + port
}

// Same reports whether a and b have the same origin.
func Same(a, b *url.URL) bool { return Of(a) == Of(b) }

// ErrCrossOrigin is returned (wrapped in a *url.Error by http.Client) for a
// redirect CheckRedirect refuses.
var ErrCrossOrigin = errors.New("refused a redirect to another origin")

// maxRedirects is http.Client's own default.
const maxRedirects = 10

// CheckRedirect is an http.Client CheckRedirect that follows redirects
// within the first request's origin only: a redirect to another scheme,
// host or port is refused, so neither a header nor a re-sent body leaves
// the origin it was meant for. The error names both origins, never a path
// or query (which may hold a signature).
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if from := via[0].URL; !Same(from, req.URL) {
		return fmt.Errorf("%w: %s redirected to %s", ErrCrossOrigin, Of(from), Of(req.URL))
	}
	return nil
}

// Guard returns a copy of hc (nil: a zero http.Client) whose redirects are
// checked by CheckRedirect before hc's own CheckRedirect, if any.
func Guard(hc *http.Client) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := CheckRedirect(req, via); err != nil {
			return err
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &c
}

// IsLoopbackHost reports whether host (without port) is "localhost" or a
// loopback IP literal.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Private reports whether a request to u cannot be read on the network:
// https, or plain http to a loopback address.
func Private(u *url.URL) bool {
	switch strings.ToLower(u.Scheme) {
	case "https":
		return true
	case "http":
		return IsLoopbackHost(u.Hostname())
	}
	return false
}
