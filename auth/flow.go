package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/internal/origin"
)

// Result is a finished sign-in.
type Result struct {
	Token *oauth2.Token
	// Identity holds the verified ID token claims of an OIDC sign-in; nil
	// when the server sent no ID token or was not discovered (no keys).
	Identity *Identity
}

// Identity is who signed in, from a verified OIDC ID token.
type Identity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// Account is the name a person recognises for the identity: the e-mail
// address when there is one, else the subject.
func (i *Identity) Account() string {
	if i.Email != "" {
		return i.Email
	}
	return i.Subject
}

// Timeouts of the loopback listener. The header timeout stops a client that
// connects and never finishes its request from holding a connection open;
// the grace bounds how long shutdown waits for in-flight requests.
const shutdownGrace = 2 * time.Second

// readHeaderTimeout is a variable so a test can shorten it.
var readHeaderTimeout = 10 * time.Second

// Flow is one sign-in attempt: a loopback listener, a fresh state, PKCE
// verifier and nonce, and the authorization URL built from them. It ends — and
// its listener closes — on the first of: a valid callback or paste (success or
// error), the time limit, Cancel, or the cancellation of the Begin context.
type Flow struct {
	c   *Config
	d   *discovered
	oc  *oauth2.Config
	log *slog.Logger

	authURL, redirectURI, callbackPath, host string
	state, verifier, nonce                   string

	srv *http.Server
	ln  net.Listener

	ctx    context.Context // cancelled when the flow ends; bounds the exchange
	cancel context.CancelFunc

	mu       sync.Mutex // serialises completion
	finished bool       // a response with the right state was taken

	outcomes   chan outcome // first result wins
	cancelCh   chan struct{}
	cancelOnce sync.Once
	done       chan struct{}
	res        *Result
	err        error
}

type outcome struct {
	res *Result
	err error
}

// Begin binds the loopback listener, prepares the authorization URL and
// starts waiting for the callback. timeout 0 means DefaultTimeout. The caller
// shows URL() (always: it is the fallback when no browser opens), calls
// OpenBrowser, and waits with Wait or Done.
func (c *Config) Begin(ctx context.Context, timeout time.Duration) (*Flow, error) {
	return c.begin(ctx, timeout, nil)
}

// begin is Begin with extra authorization parameters (over AuthParams).
func (c *Config) begin(ctx context.Context, timeout time.Duration, extra map[string]string) (*Flow, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	d, err := c.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	ln, err := listenLoopback(c.Ports)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: %w", c.ID, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	f := &Flow{
		c:            c,
		d:            d,
		log:          c.logger().With("provider", c.ID),
		callbackPath: CallbackPathPrefix + c.ID,
		host:         "127.0.0.1:" + strconv.Itoa(port),
		state:        randomString(),
		verifier:     oauth2.GenerateVerifier(),
		outcomes:     make(chan outcome, 1),
		cancelCh:     make(chan struct{}),
		done:         make(chan struct{}),
	}
	f.ln = ln
	f.redirectURI = "http://" + f.host + f.callbackPath
	f.oc = c.oauth2Config(d, f.redirectURI)
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.verifier)}
	if slices.Contains(c.Scopes, "openid") {
		f.nonce = randomString()
		opts = append(opts, oauth2.SetAuthURLParam("nonce", f.nonce))
	}
	for k, v := range c.AuthParams {
		if _, over := extra[k]; !over {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	for k, v := range extra {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	f.authURL = f.oc.AuthCodeURL(f.state, opts...)

	f.ctx, f.cancel = context.WithCancel(context.WithoutCancel(ctx))
	f.srv = &http.Server{
		Handler:           f,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readHeaderTimeout,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(f.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return f.ctx },
	}
	// One request per connection: nothing idles, so shutdown is prompt.
	f.srv.SetKeepAlivesEnabled(false)
	go func() {
		if err := f.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			f.deliver(outcome{err: fmt.Errorf("auth: %s: callback listener: %w", c.ID, err)})
		}
	}()
	go f.run(ctx, timeout)
	f.log.Info("sign-in: waiting for the browser", "port", port, "timeout", timeout.String())
	return f, nil
}

// URL is the authorization URL to open in a browser. It carries the state;
// show it to the person, never log it.
func (f *Flow) URL() string { return f.authURL }

// RedirectURI is the loopback redirect URI of this attempt
// (http://127.0.0.1:<port>/oauth/cb/<id>).
func (f *Flow) RedirectURI() string { return f.redirectURI }

// Done is closed when the flow has ended and its listener is closed.
func (f *Flow) Done() <-chan struct{} { return f.done }

// Wait blocks until the flow ends and returns its result.
func (f *Flow) Wait() (*Result, error) {
	<-f.done
	return f.res, f.err
}

// Cancel ends the flow with ErrCancelled (unless it already ended).
func (f *Flow) Cancel() { f.cancelOnce.Do(func() { close(f.cancelCh) }) }

// OpenBrowser opens URL() with opener (nil: SystemOpener()). An error matches
// ErrNoBrowser; the flow keeps waiting either way, for a paste or a browser
// the person opened by hand.
func (f *Flow) OpenBrowser(ctx context.Context, opener Opener) error {
	if opener == nil {
		opener = SystemOpener()
	}
	err := opener(ctx, f.authURL)
	if err == nil {
		return nil
	}
	f.log.Warn("sign-in: could not open a browser", "err", err)
	if errors.Is(err, ErrNoBrowser) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrNoBrowser, err)
}

// Paste completes the flow with the final redirect URL copied from a
// browser's address bar (where the loopback redirect cannot reach Ferry: SSH,
// WSL, another machine). It returns nil when the sign-in succeeded,
// ErrStateMismatch (the flow keeps waiting) when the URL is from another
// attempt, a plain error when the text is not this flow's redirect URL (the
// flow keeps waiting), or the error that ended the flow.
func (f *Flow) Paste(redirectURL string) error {
	refused, final := f.paste(redirectURL)
	if refused != nil {
		return refused
	}
	return final
}

// paste separates a refused paste (the flow goes on) from the outcome that
// ended the flow.
func (f *Flow) paste(redirectURL string) (refused, final error) {
	u, err := url.Parse(strings.TrimSpace(redirectURL))
	if err != nil || u.Scheme != "http" || u.Host != f.host || u.Path != f.callbackPath {
		return fmt.Errorf("auth: that is not the address this sign-in returns to (it starts with %s)", f.redirectURI), nil
	}
	o, _, refused := f.complete(u.Query(), "paste")
	if refused != nil {
		return refused, nil
	}
	f.deliver(*o)
	return nil, o.err
}

// run ends the flow on its first outcome and closes the listener.
func (f *Flow) run(parent context.Context, timeout time.Duration) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var o outcome
	select {
	case o = <-f.outcomes:
	case <-timer.C:
		o.err = fmt.Errorf("auth: %s: %w after %s", f.c.ID, ErrTimeout, timeout)
	case <-parent.Done():
		o.err = fmt.Errorf("auth: %s: %w: %w", f.c.ID, ErrCancelled, context.Cause(parent))
	case <-f.cancelCh:
		o.err = fmt.Errorf("auth: %s: %w", f.c.ID, ErrCancelled)
	}
	f.mu.Lock()
	f.finished = true // late callbacks are refused from here on
	f.mu.Unlock()
	f.cancel()
	// Shutdown closes the listener at once, then lets in-flight responses
	// (the callback page) finish; Close drops whatever is still stuck, such
	// as a client that never completes its request.
	sctx, stop := context.WithTimeout(context.Background(), shutdownGrace)
	_ = f.srv.Shutdown(sctx)
	stop()
	_ = f.srv.Close()
	// Serve may not have started (and registered ln) before Shutdown: close
	// the listener ourselves so it is gone when Done is closed.
	_ = f.ln.Close()
	f.res, f.err = o.res, o.err
	if o.err != nil {
		f.log.Info("sign-in: ended", "result", errorKind(o.err))
	} else {
		f.log.Info("sign-in: succeeded", "identity", o.res.Identity != nil)
	}
	close(f.done)
}

// deliver offers an outcome; only the first one counts.
func (f *Flow) deliver(o outcome) {
	select {
	case f.outcomes <- o:
	default:
	}
}

// complete handles an authorization response (query of the callback or of a
// pasted URL). A refused response (ErrStateMismatch, ErrAlreadyDone) does not
// change the flow; otherwise the outcome ends it. The page tells the browser.
func (f *Flow) complete(q url.Values, via string) (*outcome, page, error) {
	// state first: until it matches, nothing else in the response is trusted.
	got := q.Get("state")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(f.state)) != 1 {
		f.log.Warn("sign-in: response rejected", "via", via, "reason", "state missing or wrong")
		return nil, pageStateMismatch, ErrStateMismatch
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.finished {
		f.log.Warn("sign-in: response rejected", "via", via, "reason", "sign-in already finished")
		return nil, pageAlreadyDone, ErrAlreadyDone
	}
	f.finished = true
	res, err := f.redeem(q)
	if err != nil {
		f.log.Warn("sign-in: failed", "via", via, "result", errorKind(err))
		return &outcome{err: err}, errorPage(err), nil
	}
	return &outcome{res: res}, pageSuccess, nil
}

// issuerMatches checks an authorization response's iss (RFC 9207): it must
// equal the configured issuer exactly or, for a provider configured by its
// endpoints alone (no issuer known), be an issuer identifier (RFC 8414: a
// URL without query or fragment) on the authorization endpoint's own origin.
// A response from any other server is a mix-up.
func issuerMatches(iss, issuer, authURL string) bool {
	if issuer != "" {
		return iss == issuer
	}
	u, err := url.Parse(iss)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return false
	}
	a, err := url.Parse(authURL)
	return err == nil && origin.Same(u, a)
}

// redeem checks iss and error, then exchanges the code.
func (f *Flow) redeem(q url.Values) (*Result, error) {
	if q.Has("iss") {
		if !issuerMatches(q.Get("iss"), f.c.Issuer, f.d.authURL) {
			return nil, fmt.Errorf("auth: %s: %w", f.c.ID, ErrIssuerMismatch)
		}
	} else if f.d.issRequired {
		return nil, fmt.Errorf("auth: %s: %w (iss missing)", f.c.ID, ErrIssuerMismatch)
	}
	if code := q.Get("error"); code != "" {
		return nil, &OAuthError{Code: code, Description: q.Get("error_description"), URI: q.Get("error_uri")}
	}
	code := q.Get("code")
	if code == "" {
		return nil, &OAuthError{Code: "invalid_request", Description: "the authorization response has no code"}
	}
	tok, err := f.oc.Exchange(f.c.tokenContext(f.ctx), code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		return nil, fmt.Errorf("auth: %s: code exchange: %w", f.c.ID, mapTokenError(err))
	}
	id, err := f.c.identity(f.ctx, f.d, tok, f.nonce)
	if err != nil {
		return nil, err
	}
	return &Result{Token: tok, Identity: id}, nil
}

// ServeHTTP is the loopback callback endpoint.
func (f *Flow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'")
	// A page on another site can make the browser reach 127.0.0.1 through a
	// DNS name it controls (rebinding): only the IP literal is us.
	if r.Host != f.host {
		f.log.Warn("sign-in: callback rejected", "reason", "unexpected Host header")
		pageBadRequest.write(w)
		return
	}
	if r.URL.Path != f.callbackPath {
		http.NotFound(w, r) // favicon and friends: not ours, flow goes on
		return
	}
	if r.Method != http.MethodGet {
		h.Set("Allow", http.MethodGet)
		f.log.Warn("sign-in: callback rejected", "reason", "method not allowed", "method", r.Method)
		pageMethod.write(w)
		return
	}
	o, p, _ := f.complete(r.URL.Query(), "browser")
	p.write(w)
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	if o != nil {
		f.deliver(*o)
	}
}

func listenLoopback(ports []int) (net.Listener, error) {
	if len(ports) == 0 {
		return net.Listen("tcp4", "127.0.0.1:0")
	}
	var errs []error
	for _, p := range ports {
		ln, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err == nil {
			return ln, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("none of the registered callback ports %v is free: %w", ports, errors.Join(errs...))
}

// randomString is 256 bits from crypto/rand, base64url without padding.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// errorKind names an error for logs without its text (an error_description
// is server-controlled and might echo anything).
func errorKind(err error) string {
	var oe *OAuthError
	switch {
	case errors.Is(err, ErrCancelled):
		return "cancelled"
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrIssuerMismatch):
		return "issuer mismatch"
	case errors.As(err, &oe):
		return "oauth error " + oe.Code
	}
	return "error"
}
