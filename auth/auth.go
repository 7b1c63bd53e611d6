// Package auth signs a person in to an OAuth 2.0 / OpenID Connect
// authorization server with their own web browser and a loopback redirect
// (RFC 8252), exchanges the code with PKCE either directly (public client) or
// through the Ferry backend (which adds the client secret), refreshes and
// revokes tokens. It knows nothing about Fyne: the GUI injects its browser
// opener and shows the authorization URL it is handed.
//
// One Config describes one authorization server and client. A Config is safe
// for concurrent use once built; do not copy it after first use (it caches the
// OIDC discovery document).
package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/origin"
)

// Exchange modes (the same strings as backend discovery announces).
const (
	ExchangePKCE    = api.ExchangePKCE    // the app redeems the code itself
	ExchangeBackend = api.ExchangeBackend // POST {backend}/oauth/{provider}/token
)

// DefaultTimeout is how long a sign-in waits for the browser to come back.
const DefaultTimeout = 5 * time.Minute

// CallbackPathPrefix + Config.ID is the loopback redirect path.
const CallbackPathPrefix = "/oauth/cb/"

// Config describes an authorization server and Ferry's client there.
type Config struct {
	// ID names the provider: the callback path is /oauth/cb/<ID> and, with
	// ExchangeBackend, the backend routes are /oauth/<ID>/token and /revoke.
	// Letters, digits, '-', '_' and '.' only.
	ID string

	// Issuer is an OIDC issuer URL. When AuthURL/TokenURL are empty the
	// endpoints are discovered from Issuer/.well-known/openid-configuration
	// (and the issuer in the document must equal Issuer exactly). A non-empty
	// Issuer is also the value an `iss` authorization response parameter
	// (RFC 9207) must equal, and, when discovered, ID tokens are verified
	// against it.
	Issuer string
	// AuthURL, TokenURL and RevokeURL are explicit endpoints for plain
	// OAuth 2.0 servers (RevokeURL optional, RFC 7009).
	AuthURL, TokenURL, RevokeURL string

	ClientID string
	// ClientSecret is only ever a non-confidential installed-app secret (as
	// Google publishes for desktop clients). Real secrets stay on the backend
	// (Exchange = ExchangeBackend).
	ClientSecret string
	Scopes       []string
	// AuthParams are extra authorization request parameters
	// (access_type=offline, prompt=consent, token_access_type=offline, ...).
	AuthParams map[string]string
	// AuthParamsNoRefresh are added for a second sign-in, which SignIn runs
	// at once when the first yields no refresh token: Google hands one out
	// only on a consent it shows (prompt=consent), and whether this person
	// consented before cannot be known until they have signed in.
	AuthParamsNoRefresh map[string]string

	// RevokeAccessToken: the server revokes a grant by its access token,
	// sent as the bearer of the revocation call (Dropbox), so Revoke sends a
	// live access token — refreshed first when it has expired — and never
	// the refresh token.
	RevokeAccessToken bool

	// Exchange is ExchangePKCE (default) or ExchangeBackend.
	Exchange string
	// Backend is the Ferry backend URL (needed with ExchangeBackend).
	Backend string
	// BackendToken returns the app's bearer token for the backend; nil sends
	// no Authorization header (backends with auth type "none").
	BackendToken func(ctx context.Context) (string, error)

	// Ports, when set, are the only loopback ports to try, in order (for
	// servers that accept only registered redirect URIs). Empty: port 0.
	Ports []int

	// HTTPClient talks to the authorization server and backend; nil uses a
	// client with a 30 s timeout.
	HTTPClient *http.Client
	// Logger receives progress and rejections; it never receives a code,
	// verifier, state, token or secret. Nil: slog.Default().
	Logger *slog.Logger

	mu   sync.Mutex
	disc *discovered // cached successful discovery
}

// discovered is what the sign-in flow needs from the server's metadata.
type discovered struct {
	authURL, tokenURL, revokeURL string
	issRequired                  bool                  // authorization_response_iss_parameter_supported
	verifier                     *oidc.IDTokenVerifier // nil without discovery
	provider                     *oidc.Provider        // nil without discovery
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func (c *Config) validate() error {
	if !idPattern.MatchString(c.ID) {
		return fmt.Errorf("auth: provider id %q must be letters, digits, '.', '-' or '_'", c.ID)
	}
	if c.ClientID == "" {
		return fmt.Errorf("auth: %s: client_id is empty", c.ID)
	}
	switch c.Exchange {
	case "", ExchangePKCE:
	case ExchangeBackend:
		if c.Backend == "" {
			return fmt.Errorf("auth: %s: exchange %q needs a backend URL", c.ID, ExchangeBackend)
		}
	default:
		return fmt.Errorf("auth: %s: unknown exchange mode %q (want %q or %q)", c.ID, c.Exchange, ExchangePKCE, ExchangeBackend)
	}
	if c.AuthURL == "" && c.Issuer == "" {
		return fmt.Errorf("auth: %s: need an issuer to discover or an authorization endpoint", c.ID)
	}
	if c.AuthURL != "" && c.TokenURL == "" && c.Exchange != ExchangeBackend {
		return fmt.Errorf("auth: %s: token endpoint missing", c.ID)
	}
	return nil
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

var defaultHTTPClient = &http.Client{Timeout: 30 * time.Second}

func (c *Config) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return defaultHTTPClient
}

func (c *Config) backendMode() bool { return c.Exchange == ExchangeBackend }

// endpoints returns the server's endpoints, discovering them on first use.
func (c *Config) endpoints(ctx context.Context) (*discovered, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.disc != nil {
		return c.disc, nil
	}
	if c.AuthURL != "" {
		c.disc = &discovered{authURL: c.AuthURL, tokenURL: c.TokenURL, revokeURL: c.RevokeURL}
		return c.disc, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, c.httpClient()), c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: OIDC discovery for %s: %w", c.ID, c.Issuer, err)
	}
	var meta struct {
		Revocation  string `json:"revocation_endpoint"`
		IssRequired bool   `json:"authorization_response_iss_parameter_supported"`
	}
	if err := p.Claims(&meta); err != nil {
		return nil, fmt.Errorf("auth: %s: OIDC discovery document: %w", c.ID, err)
	}
	ep := p.Endpoint()
	if ep.AuthURL == "" || ep.TokenURL == "" {
		return nil, fmt.Errorf("auth: %s: OIDC discovery document lacks authorization or token endpoint", c.ID)
	}
	c.disc = &discovered{
		authURL:     ep.AuthURL,
		tokenURL:    ep.TokenURL,
		revokeURL:   meta.Revocation,
		issRequired: meta.IssRequired,
		verifier:    p.Verifier(&oidc.Config{ClientID: c.ClientID}),
		provider:    p,
	}
	return c.disc, nil
}

// oauth2Config is the x/oauth2 view of c, with the token URL pointing at the
// backend in ExchangeBackend mode.
func (c *Config) oauth2Config(d *discovered, redirectURI string) *oauth2.Config {
	tokenURL, secret := d.tokenURL, c.ClientSecret
	if c.backendMode() {
		// The backend adds the real secret; a published one is not sent.
		tokenURL, secret = c.backendURL("token"), ""
	}
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: secret,
		Endpoint: oauth2.Endpoint{
			AuthURL:  d.authURL,
			TokenURL: tokenURL,
			// Public client: client_id (and a published installed-app
			// secret) go in the body, never as Basic auth.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirectURI,
		Scopes:      c.Scopes,
	}
}

func (c *Config) backendURL(op string) string {
	return strings.TrimRight(c.Backend, "/") + api.RouteOAuth + url.PathEscape(c.ID) + "/" + op
}

// tokenContext carries the HTTP client x/oauth2 uses for token and revoke
// requests: it follows no redirect out of the request's origin (the body
// holds a code, verifier or refresh token, which a 307 would re-send), and
// in ExchangeBackend mode it adds the backend's bearer token to requests
// for the backend's origin only.
func (c *Config) tokenContext(ctx context.Context) context.Context {
	hc := origin.Guard(c.httpClient())
	if c.backendMode() && c.BackendToken != nil {
		rt := hc.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
		if be, err := url.Parse(c.Backend); err == nil {
			hc.Transport = &bearerTransport{base: rt, token: c.BackendToken, origin: be}
		}
	}
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

// bearerTransport adds the app's backend bearer token to each request for
// the backend's origin; any other request goes without it.
type bearerTransport struct {
	base   http.RoundTripper
	token  func(context.Context) (string, error)
	origin *url.URL
}

func (t *bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !origin.Same(r.URL, t.origin) {
		return t.base.RoundTrip(r)
	}
	tok, err := t.token(r.Context())
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("backend sign-in token: %w", err)
	}
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+tok)
	return t.base.RoundTrip(r2)
}

// mapTokenError turns x/oauth2's RetrieveError (whose text embeds the raw
// response body) into an OAuthError; the backend's {"error","message"} shape
// is understood too.
func mapTokenError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return err
	}
	oe := &OAuthError{Code: re.ErrorCode, Description: re.ErrorDescription, URI: re.ErrorURI}
	if re.Response != nil {
		oe.Status = re.Response.StatusCode
	}
	if oe.Code == "" || oe.Description == "" {
		// The backend's own errors are {"error","message"}; x/oauth2 only
		// reads JSON error bodies that say they are JSON.
		if be := backendError(re.Body); be != nil {
			if oe.Code == "" {
				oe.Code = be.Code
			}
			if oe.Description == "" {
				oe.Description = be.Message
			}
		}
	}
	if oe.Code == "" {
		oe.Code = "server_error"
	}
	return oe
}

// readLimited reads at most n bytes of r.
func readLimited(r io.Reader, n int64) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, n))
	return b
}
