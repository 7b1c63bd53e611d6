// Package gdrive is the Google Drive provider (Drive API v3).
//
// IDs are Drive file IDs ("root" and "" name My Drive). Roots are My Drive
// and every shared drive the account belongs to (a shared drive's ID is
// also its root folder's ID). Shortcuts are listed as their targets (the
// shortcut's name, the target's ID and content); a shortcut whose target is
// gone is listed with Entry.Err set. Google Docs, Sheets, Slides and
// Drawings are listed with the extension of the format they download in
// (.docx, .xlsx, .pptx, .png) and size -1; Open exports them. Other
// Google-native kinds (Forms, Sites, ...) are listed with Entry.Err set:
// they have no downloadable form.
//
// Every call goes through one providers.Client with this package's error
// mapper: 401 → ErrNeedsSignIn, 403 rateLimitExceeded/userRateLimitExceeded
// and 429 → *RateLimitError, 403 insufficientPermissions and friends →
// ErrPermissionDenied, 404 → ErrNotFound, 400 on pageToken → ErrPageExpired.
package gdrive

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/providers"
)

// Google's endpoints.
const (
	DefaultAPIBase = "https://www.googleapis.com"
	AuthURL        = "https://accounts.google.com/o/oauth2/v2/auth"
	TokenURL       = "https://oauth2.googleapis.com/token"
	RevokeURL      = "https://oauth2.googleapis.com/revoke"
)

// ScopeReadonly is the default scope: browse and download, nothing else.
const ScopeReadonly = "https://www.googleapis.com/auth/drive.readonly"

// DefaultPageSize is the pageSize asked of files.list (Drive allows 1000
// but may return fewer).
const DefaultPageSize = 500

// Kind registers "gdrive" with the providers registry.
var Kind = providers.Kind{
	Type:          "gdrive",
	Title:         "Google Drive",
	NeedsClientID: true,
	// Google's token endpoint wants a client secret; the backend holds it
	// unless the admin chose pkce with the desktop client's public one.
	DefaultExchange: "backend",
	SignIn:          SignIn,
	New: func(ctx context.Context, s providers.Settings, d providers.Deps) (providers.Provider, error) {
		opts := Options{APIBase: s.APIBase, Tokens: d.Tokens, Logger: d.Logger}
		if d.Transport != nil {
			opts.HTTPClient = &http.Client{Transport: d.Transport}
		}
		return New(opts)
	},
}

// SignIn describes Google's sign-in for s: the narrowest scope that browses
// and downloads (drive.readonly unless s.Scopes says otherwise), offline
// access (a refresh token), and prompt=consent for a second try when a
// sign-in yields no refresh token — Google only hands one out on a consent
// it shows, and shows none to an account that consented before.
// s.AuthBase replaces Google's authorization server root (tests: serves
// /o/oauth2/v2/auth, /token and /revoke).
func SignIn(s providers.Settings) *providers.SignIn {
	si := &providers.SignIn{
		AuthURL: AuthURL, TokenURL: TokenURL, RevokeURL: RevokeURL,
		Scopes:              []string{ScopeReadonly},
		AuthParams:          map[string]string{"access_type": "offline"},
		AuthParamsNoRefresh: map[string]string{"prompt": "consent"},
	}
	if len(s.Scopes) > 0 {
		si.Scopes = append([]string(nil), s.Scopes...)
	}
	if b := strings.TrimRight(s.AuthBase, "/"); b != "" {
		si.AuthURL, si.TokenURL, si.RevokeURL = b+"/o/oauth2/v2/auth", b+"/token", b+"/revoke"
	}
	return si
}

// Options configure New.
type Options struct {
	// APIBase replaces https://www.googleapis.com (tests).
	APIBase string
	// Tokens yields access tokens (the vault's token source). Required.
	Tokens oauth2.TokenSource
	// HTTPClient, if set, replaces the default providers.NewHTTPClient.
	HTTPClient *http.Client
	// Client tunes retries and concurrency; its HTTP, Authorize, Refresh
	// and MapError fields are set by New.
	Client *providers.Client
	// PageSize is files.list's pageSize; 0 means DefaultPageSize.
	PageSize int
	Logger   *slog.Logger
}

// Provider is one signed-in Google Drive account.
type Provider struct {
	api      *url.URL // API root, no trailing slash
	c        *providers.Client
	pageSize int
	bearer   *providers.Bearer
	keys     sync.Map // Drive ID → resource key, from every files resource read
}

var (
	_ providers.Provider    = (*Provider)(nil)
	_ providers.Thumbnailer = (*Provider)(nil)
	_ providers.Searcher    = (*Provider)(nil)
	_ providers.AccountInfo = (*Provider)(nil)
	_ providers.QuotaInfo   = (*Provider)(nil)
)

// New returns a Provider. It makes no request.
func New(opts Options) (*Provider, error) {
	if opts.Tokens == nil {
		return nil, fmt.Errorf("gdrive: no token source: %w", providers.ErrNeedsSignIn)
	}
	u, err := providers.ParseAPIBase("gdrive", opts.APIBase, DefaultAPIBase)
	if err != nil {
		return nil, err
	}
	p := &Provider{api: u, pageSize: opts.PageSize}
	p.bearer = &providers.Bearer{Tokens: opts.Tokens, Trusted: p.trustedHost, Service: "Google"}
	if p.pageSize <= 0 {
		p.pageSize = DefaultPageSize
	}
	c := opts.Client
	if c == nil {
		c = &providers.Client{}
	}
	if opts.HTTPClient != nil {
		c.HTTP = opts.HTTPClient
	}
	if c.HTTP == nil {
		if c.HTTP, err = providers.NewHTTPClient(providers.TransportOptions{}); err != nil {
			return nil, fmt.Errorf("gdrive: %w", err)
		}
	}
	if c.Name == "" {
		c.Name = "gdrive"
	}
	if c.Logger == nil {
		c.Logger = opts.Logger
	}
	c.Authorize = p.bearer.Authorize
	c.Refresh = p.bearer.Refresh
	c.MapError = MapError
	p.c = c
	return p, nil
}

func (p *Provider) trustedHost(u *url.URL) bool {
	h := u.Hostname()
	return u.Host == p.api.Host || (u.Scheme == "https" &&
		(strings.HasSuffix(h, ".googleusercontent.com") || strings.HasSuffix(h, ".googleapis.com") || strings.HasSuffix(h, ".google.com")))
}

// validID matches Drive IDs (and the alias "root"): anything else names
// nothing and is refused before it reaches a URL.
var validID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func checkID(id string) (string, error) {
	if id == "" {
		return "root", nil
	}
	if !validID.MatchString(id) {
		return "", fmt.Errorf("gdrive: %q is not a Drive ID: %w", id, providers.ErrNotFound)
	}
	return id, nil
}
