package backend

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/rs/cors"

	"github.com/ferry-app/ferry/backend/api"
)

// corsRoutes are the path prefixes a browser uploader calls: the contract's
// routes and the local driver's storage. Preflights to anything else are
// not answered.
var corsRoutes = []string{api.WellKnownPath, "/s3/", api.RouteOAuth, "/storage", "/storage/"}

// withCORS answers preflights and adds Access-Control-* headers on the
// contract routes for the configured origins only (exact match, no
// credentials mode: the bearer is an explicit header). ETag is exposed
// because Uppy reads it from every part upload; Retry-After so a page can
// honour a 429. Without allowed_origins, next is returned unchanged.
func (s *Server) withCORS(next http.Handler) http.Handler {
	origins := s.cfg.CORS.AllowedOrigins
	if len(origins) == 0 {
		return next
	}
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete},
		AllowedHeaders: []string{"Authorization", "Content-Type", "X-Amz-Checksum-Sha256"},
		ExposedHeaders: []string{"ETag", "Location", "Retry-After", "X-Amz-Checksum-Sha256"},
		MaxAge:         600,
	})
	wrapped := c.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range corsRoutes {
			if r.URL.Path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(r.URL.Path, p) {
				wrapped.ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackGuard protects a backend with auth "none", where being able to
// reach the port is the only credential. A web page the person visits can
// reach it too: through DNS rebinding (a hostile name resolving to
// 127.0.0.1, so the Host header names that site) or by a plain cross-origin
// request. So the Host must be the backend's own address and a browser
// request (one with an Origin) must come from the backend itself or an
// allowed origin.
func (s *Server) loopbackGuard(next http.Handler) http.Handler {
	if s.cfg.Auth.Type != api.AuthNone {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.ownHost(r.Host) {
			writeError(w, http.StatusMisdirectedRequest, api.CodeForbidden, "this backend only answers requests addressed to its own loopback address")
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !s.originAllowed(o) {
			writeError(w, http.StatusForbidden, api.CodeForbidden, "cross-origin requests from "+o+" are not allowed ([cors] allowed_origins)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ownHost reports whether host (a Host header) names the backend: the
// host:port of its public URL or of the address it listens on.
func (s *Server) ownHost(host string) bool {
	if u, err := url.Parse(s.publicURL()); err == nil && strings.EqualFold(u.Host, host) {
		return true
	}
	s.mu.Lock()
	addr := s.listenAddr
	s.mu.Unlock()
	h, p, err := net.SplitHostPort(host)
	if err != nil || addr == nil {
		return false
	}
	ta, ok := addr.(*net.TCPAddr)
	return ok && isLoopbackHost(h) && net.ParseIP(strings.Trim(h, "[]")).Equal(ta.IP) && p == portString(ta.Port)
}

func (s *Server) originAllowed(origin string) bool {
	if u, err := url.Parse(s.publicURL()); err == nil && strings.EqualFold(u.Scheme+"://"+u.Host, origin) {
		return true
	}
	return slices.Contains(s.cfg.CORS.AllowedOrigins, origin)
}

func portString(p int) string { return strconv.Itoa(p) }
