// Package backend is Ferry's reference upload backend: discovery, scoped
// upload credentials on the routes of Uppy Companion's S3 plugin, OIDC user
// authentication and server-side OAuth code exchange (DESIGN.md, "The backend
// contract"). Storage is either any S3-compatible service, reached with
// presigned URLs, or a local directory served by the backend's own HMAC-signed
// /storage handler. The package is plain Go; cmd/ferry-backend wraps it.
package backend

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ferry-app/ferry/backend/api"
)

// Server is one configured backend. Create it with New; it is safe for
// concurrent use.
type Server struct {
	cfg        *Config
	log        *slog.Logger
	now        func() time.Time
	bearer     string // extra static bearer required on protected routes ("" = none)
	getenv     func(string) string
	client     *http.Client // outbound: OIDC discovery/JWKS and provider token endpoints
	auth       authenticator
	drv        driver
	local      *localDriver // non-nil when drv is the local driver
	handler    http.Handler
	srv        *http.Server
	mu         sync.Mutex
	baseURL    string // public URL; from config or the listener
	listenAddr net.Addr
	testHook   func(*http.Request)

	// What replicas share or report (ownership.go, limits.go, ops.go).
	tokens     *tokenSigner
	limits     limitStore // per-user request rates and file quotas
	fallback   *memStore  // request rates while a shared store is down
	metrics    *metrics
	downMu     sync.Mutex
	downLogged time.Time
}

// Option changes how New builds a Server.
type Option func(*Server)

// WithLogger sets the logger for access logs and errors (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) {
		if l != nil {
			s.log = l
		}
	}
}

// WithClock replaces time.Now, for tests of expiry.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithBearerToken requires `Authorization: Bearer token` on every route but
// discovery and /healthz, in addition to the configured auth. The embedded
// backend uses it with auth "none" so that no other local process can use it.
func WithBearerToken(token string) Option { return func(s *Server) { s.bearer = token } }

// WithHTTPClient sets the client used to reach the OIDC issuer and the OAuth
// providers' token endpoints (default: a client with a 30s timeout).
func WithHTTPClient(c *http.Client) Option { return func(s *Server) { s.client = c } }

// WithGetenv replaces os.Getenv for reading client secrets (tests).
func WithGetenv(f func(string) string) Option { return func(s *Server) { s.getenv = f } }

// New builds a server from a validated config. It does not listen; use Serve
// or mount Handler.
func New(cfg *Config, opts ...Option) (*Server, error) {
	if cfg == nil {
		return nil, errors.New("backend: nil config")
	}
	s := &Server{
		cfg:    cfg,
		log:    slog.Default(),
		now:    time.Now,
		getenv: envLookup,
		client: &http.Client{Timeout: 30 * time.Second},
	}
	for _, o := range opts {
		o(s)
	}
	s.log = withRequestID(s.log)
	s.baseURL = strings.TrimRight(cfg.PublicURL, "/")
	var err error
	if s.auth, err = newAuthenticator(s); err != nil {
		return nil, err
	}
	if s.tokens, err = newTokenSigner(cfg, s.getenv, s.log); err != nil {
		return nil, err
	}
	switch cfg.Storage.Driver {
	case "local":
		ld, err := newLocalDriver(cfg.Storage.Dir, time.Duration(cfg.Storage.MultipartTTL), s.publicURL, s.now)
		if ld != nil {
			ld.personal = cfg.Storage.OnThisComputer
		}
		if err != nil {
			return nil, err
		}
		ld.bodyTimeout = time.Duration(cfg.Limits.BodyTimeout)
		s.local, s.drv = ld, ld
	case "s3":
		if s.drv, err = newS3Driver(context.Background(), cfg.Storage, nil, s.now); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("backend: unknown storage driver %q", cfg.Storage.Driver)
	}
	if err := s.setupLimits(); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	bt := time.Duration(cfg.Limits.BodyTimeout)
	s.srv = &http.Server{
		Handler: s.handler,
		// ReadTimeout covers headers and the small JSON bodies; the
		// storage handler extends it while an upload body keeps flowing.
		ReadHeaderTimeout: min(bt, 10*time.Second),
		ReadTimeout:       bt,
		WriteTimeout:      0, // answers are small; storage bodies are read, not written
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Handler returns the backend's HTTP handler (all routes, with access logs,
// auth, rate and body limits).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve accepts connections on l until Shutdown. With auth "none" the
// listener must be on a loopback address. If the config has no public_url,
// URLs handed out point at l's address.
func (s *Server) Serve(l net.Listener) error {
	if s.cfg.Auth.Type == api.AuthNone {
		ta, ok := l.Addr().(*net.TCPAddr)
		if !ok || !ta.IP.IsLoopback() {
			return fmt.Errorf("backend: auth \"none\" refused on non-loopback address %s", l.Addr())
		}
	}
	s.mu.Lock()
	if s.baseURL == "" {
		s.baseURL = "http://" + l.Addr().String()
	}
	s.listenAddr = l.Addr()
	s.mu.Unlock()
	err := s.srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ListenAndServe listens on the configured address and serves.
func (s *Server) ListenAndServe() error {
	l, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if cerr := s.limits.close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// publicURL is the base of every URL the backend hands out.
func (s *Server) publicURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.baseURL == "" {
		return "http://" + s.cfg.Listen
	}
	return s.baseURL
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+api.WellKnownPath, s.handleDiscovery)
	mux.HandleFunc("GET "+api.RouteHealth, s.handleHealth)
	mux.HandleFunc("GET "+RouteReady, s.handleReady)
	mux.HandleFunc("GET "+RouteMetrics, s.handleMetrics)
	mux.Handle("GET "+api.RouteParams, s.protected(s.handleParams))
	mux.Handle("POST "+api.RouteParamsBatch, s.protected(s.handleParamsBatch))
	mux.Handle("POST "+api.RouteMultipart, s.protected(s.handleCreateMultipart))
	mux.Handle("GET "+api.RouteMultipart+"/{uploadId}/batch", s.protected(s.handleSignBatch))
	mux.Handle("GET "+api.RouteMultipart+"/{uploadId}/{partNumber}", s.protected(s.handleSignPart))
	mux.Handle("GET "+api.RouteMultipart+"/{uploadId}", s.protected(s.handleListParts))
	mux.Handle("POST "+api.RouteMultipart+"/{uploadId}/complete", s.protected(s.handleComplete))
	mux.Handle("DELETE "+api.RouteMultipart+"/{uploadId}", s.protected(s.handleAbort))
	mux.Handle("POST "+api.RouteOAuth+"{provider}/token", s.protected(s.handleOAuthToken))
	mux.Handle("POST "+api.RouteOAuth+"{provider}/revoke", s.protected(s.handleOAuthRevoke))
	if s.local != nil {
		// The signature in the URL is the credential here, exactly like an
		// S3 presigned URL; only holders of a bearer ever receive one.
		mux.HandleFunc("PUT /storage/{key...}", s.local.handlePut)
		mux.HandleFunc("POST /storage", s.local.handlePost)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, api.CodeNotFound, "no such route")
	})
	return s.accessLog(s.loopbackGuard(s.withCORS(mux)))
}

type ctxKey int

const userKey ctxKey = iota

// protected wraps a handler that needs an authenticated user: bearer check,
// per-user rate limit, JSON body limit.
func (s *Server) protected(h func(w http.ResponseWriter, r *http.Request, user string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.bearer != "" {
			got, ok := bearerToken(r)
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.bearer)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ferry"`)
				writeError(w, http.StatusUnauthorized, api.CodeUnauthorized, "a valid bearer token is required")
				return
			}
		}
		user, err := s.auth.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ferry", error="invalid_token"`)
			var ae *authError
			if errors.As(err, &ae) && ae.internal {
				s.log.Error("auth: verifier unavailable", "err", ae.Error())
				writeError(w, http.StatusServiceUnavailable, api.CodeUpstream, "the identity provider cannot be reached")
				return
			}
			writeError(w, http.StatusUnauthorized, api.CodeUnauthorized, err.Error())
			return
		}
		if lu, ok := r.Context().Value(userKey).(*string); ok {
			*lu = user
		}
		if ok, retry := s.allowRequests(r.Context(), user, 1); !ok {
			l := s.cfg.Limits
			setRetryAfter(w, retry)
			writeError(w, http.StatusTooManyRequests, api.CodeRateLimited,
				fmt.Sprintf("at most %g requests per second per user (bursts of %d); more in %s", l.RequestsPerSecond, l.Burst, roundUp(retry)))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, int64(s.cfg.Limits.MaxBody))
		h(w, r, user)
	})
}

// roundUp is d rounded up to whole seconds, for messages.
func roundUp(d time.Duration) time.Duration { return (d + time.Second - 1).Truncate(time.Second) }

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}

// statusWriter records what the access log needs.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog logs one line per request: method, path (never the query, which
// holds signatures and codes), status, size, duration, user.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var user string
		id := requestID(r)
		w.Header().Set(requestIDHeader, id)
		ctx := context.WithValue(context.WithValue(r.Context(), userKey, &user), requestIDKey{}, id)
		r = r.WithContext(ctx)
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		sw := &statusWriter{ResponseWriter: w}
		if s.testHook != nil {
			s.testHook(r)
		}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.metrics.observe(r.Pattern, r.Method, sw.status, time.Since(start))
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "http",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Int64("in", r.ContentLength),
			slog.Duration("dur", time.Since(start)),
			slog.String("user", user),
			slog.String("remote", r.RemoteAddr),
		)
	})
}
