package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ferry-app/ferry/internal/origin"
)

// ValidateBackendURL accepts an absolute https URL, or an http URL whose host
// is a loopback address (127.0.0.0/8, ::1 or "localhost"): bearer tokens and
// upload credentials must never cross a network in clear text. It refuses
// user info in the URL. Its messages never repeat the URL, which could hold a
// secret.
func ValidateBackendURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return errors.New("must be an absolute https URL such as https://uploads.example.org")
	}
	if u.User != nil {
		return errors.New("must not contain a user name or password")
	}
	if u.Hostname() == "" {
		return errors.New("must name a host")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return errors.New("must use https (plain http is only allowed on a loopback address: 127.0.0.1, ::1 or localhost)")
	}
	return fmt.Errorf("must use https, not %q", u.Scheme)
}

// IsLoopbackHost reports whether host (without port) is "localhost" or a
// loopback IP literal.
func IsLoopbackHost(host string) bool { return origin.IsLoopbackHost(host) }
