// Package dropbox is the Dropbox provider (API v2).
//
// IDs are Dropbox file IDs ("id:…"); "" is the root of the account's
// Dropbox. RPC endpoints (list_folder, get_metadata, search_v2, users/…)
// go to api.dropboxapi.com with a JSON body; content endpoints (download,
// get_thumbnail_v2) go to content.dropboxapi.com with their argument in the
// Dropbox-API-Arg header, as JSON whose non-ASCII characters are escaped as
// \uXXXX (HTTP headers carry ASCII only). A whole-file download is checked
// against the file's content_hash (see NewContentHash) and fails at EOF with
// ErrChecksum on a mismatch.
//
// Errors: 401 (expired_access_token, invalid_access_token, missing_scope) →
// ErrNeedsSignIn; 409 error unions → ErrNotFound (path/not_found,
// malformed_path), ErrNotFolder (path/not_folder), ErrIsFolder
// (path/not_file), ErrPageExpired (reset), ErrPermissionDenied
// (restricted_content, no_permission); 429 too_many_requests →
// *RateLimitError with the Retry-After wait.
package dropbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/providers"
)

// Dropbox's endpoints.
const (
	DefaultAPIBase     = "https://api.dropboxapi.com"
	DefaultContentBase = "https://content.dropboxapi.com"
	AuthURL            = "https://www.dropbox.com/oauth2/authorize"
	TokenURL           = "https://api.dropboxapi.com/oauth2/token"
	// RevokeEndpoint revokes the access token that authenticates the call
	// (and its refresh token): not RFC 7009, see Revoke.
	RevokeEndpoint = "https://api.dropboxapi.com/2/auth/token/revoke"
)

// Scopes are the narrowest scopes that browse, download and name the
// account.
var Scopes = []string{"files.metadata.read", "files.content.read", "account_info.read"}

// DefaultPageSize is list_folder's limit (Dropbox allows up to 2000).
const DefaultPageSize = 500

// Kind registers "dropbox" with the providers registry.
var Kind = providers.Kind{
	Type:          "dropbox",
	Title:         "Dropbox",
	NeedsClientID: true,
	SignIn:        SignIn,
	Revoke:        revokeGrant,
	New: func(ctx context.Context, s providers.Settings, d providers.Deps) (providers.Provider, error) {
		opts := Options{APIBase: s.APIBase, ContentBase: s.APIBase, Tokens: d.Tokens, Logger: d.Logger}
		if d.Transport != nil {
			opts.HTTPClient = &http.Client{Transport: d.Transport}
		}
		return New(opts)
	},
}

// SignIn describes Dropbox's sign-in: PKCE (the app key is public; no
// secret), offline access (token_access_type=offline yields a refresh
// token), the scopes above (or s.Scopes). Dropbox matches redirect URIs
// exactly, so s.Ports must hold the loopback ports registered for the app
// (main passes them to auth.Config.Ports). RevokeURL is left empty because
// Dropbox's revocation is not RFC 7009: sign-out calls Revoke (PKCE) or the
// backend's /oauth/dropbox/revoke (which knows the bearer style).
// s.AuthBase replaces https://www.dropbox.com and s.APIBase
// https://api.dropboxapi.com (tests).
func SignIn(s providers.Settings) *providers.SignIn {
	si := &providers.SignIn{
		AuthURL: AuthURL, TokenURL: TokenURL,
		Scopes:            append([]string(nil), Scopes...),
		AuthParams:        map[string]string{"token_access_type": "offline"},
		RevokeAccessToken: true,
	}
	if len(s.Scopes) > 0 {
		si.Scopes = append([]string(nil), s.Scopes...)
	}
	if b := strings.TrimRight(s.AuthBase, "/"); b != "" {
		si.AuthURL = b + "/oauth2/authorize"
	}
	if b := strings.TrimRight(s.APIBase, "/"); b != "" {
		si.TokenURL = b + "/oauth2/token"
	}
	return si
}

// Options configure New.
type Options struct {
	// APIBase and ContentBase replace https://api.dropboxapi.com and
	// https://content.dropboxapi.com (tests point both at one fake).
	APIBase, ContentBase string
	// Tokens yields access tokens (the vault's token source). Required.
	Tokens oauth2.TokenSource
	// HTTPClient, if set, replaces the default providers.NewHTTPClient.
	HTTPClient *http.Client
	// Client tunes retries and concurrency; its HTTP, Authorize, Refresh
	// and MapError fields are set by New.
	Client *providers.Client
	// PageSize is list_folder's limit and search_v2's max_results; 0 means
	// DefaultPageSize.
	PageSize int
	Logger   *slog.Logger
}

// Provider is one signed-in Dropbox account.
type Provider struct {
	api, content string // roots, no trailing slash
	hosts        map[string]bool
	c            *providers.Client
	pageSize     int

	rootMu     sync.Mutex
	rootKnown  bool
	rootHeader string // Dropbox-API-Path-Root for file calls; "" for none
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
		return nil, fmt.Errorf("dropbox: no token source: %w", providers.ErrNeedsSignIn)
	}
	p := &Provider{pageSize: opts.PageSize, hosts: map[string]bool{}}
	if p.pageSize <= 0 {
		p.pageSize = DefaultPageSize
	}
	p.pageSize = min(p.pageSize, 1000) // search_v2's max_results bound
	var err error
	if p.api, err = checkBase(opts.APIBase, DefaultAPIBase); err != nil {
		return nil, err
	}
	if p.content, err = checkBase(opts.ContentBase, DefaultContentBase); err != nil {
		return nil, err
	}
	for _, b := range []string{p.api, p.content} {
		u, _ := url.Parse(b)
		p.hosts[u.Host] = true
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
			return nil, fmt.Errorf("dropbox: %w", err)
		}
	}
	if c.Name == "" {
		c.Name = "dropbox"
	}
	if c.Logger == nil {
		c.Logger = opts.Logger
	}
	bearer := &providers.Bearer{Tokens: opts.Tokens, Service: "Dropbox",
		Trusted: func(u *url.URL) bool { return p.hosts[u.Host] }}
	c.Authorize = bearer.Authorize
	c.Refresh = bearer.Refresh
	c.MapError = MapError
	p.c = c
	return p, nil
}

func checkBase(base, def string) (string, error) {
	u, err := providers.ParseAPIBase("dropbox", base, def)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// validID matches Dropbox file IDs; anything else names nothing here (paths
// are not IDs, so "../x" can never reach the API).
var validID = regexp.MustCompile(`^id:[A-Za-z0-9_-]{1,128}$`)

func checkID(id string) error {
	if !validID.MatchString(id) {
		return fmt.Errorf("dropbox: %q is not a Dropbox ID: %w", id, providers.ErrNotFound)
	}
	return nil
}

// revokeGrant is the kind's Revoke (PKCE mode): Dropbox revokes only with
// a live access token (/2/auth/token/revoke is authenticated by the token
// it revokes), so an expired one — or one Dropbox already refuses — is first
// replaced through the refresh token (a public client's refresh: client_id
// only).
func revokeGrant(ctx context.Context, s providers.Settings, tok *oauth2.Token) error {
	if tok == nil {
		return nil
	}
	if tok.AccessToken != "" && tok.Valid() {
		err := Revoke(ctx, s.APIBase, nil, tok)
		if err == nil || !errors.Is(err, providers.ErrNeedsSignIn) || tok.RefreshToken == "" {
			return err
		}
	}
	if tok.RefreshToken == "" {
		return fmt.Errorf("dropbox: revoke: the access token expired and there is no refresh token: %w", providers.ErrNeedsSignIn)
	}
	hc, err := providers.NewHTTPClient(providers.TransportOptions{})
	if err != nil {
		return err
	}
	oc := oauth2.Config{ClientID: s.ClientID, Endpoint: oauth2.Endpoint{TokenURL: SignIn(s).TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Hour) // make the token source refresh
	fresh, err := oc.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, hc), &stale).Token()
	if err != nil {
		return fmt.Errorf("dropbox: revoke: getting a live access token: %w", providers.TokenError(err))
	}
	return Revoke(ctx, s.APIBase, hc, fresh)
}

// Revoke signs tok out at Dropbox: POST /2/auth/token/revoke authenticated
// by the access token itself, which also disables its refresh token. apiBase
// "" means https://api.dropboxapi.com; hc nil means a default client. Use it
// as the vault's Revoker in PKCE mode (the backend's /oauth/dropbox/revoke
// does the same in backend mode).
func Revoke(ctx context.Context, apiBase string, hc *http.Client, tok *oauth2.Token) error {
	if tok == nil || tok.AccessToken == "" {
		return nil
	}
	base, err := checkBase(apiBase, DefaultAPIBase)
	if err != nil {
		return err
	}
	if hc == nil {
		if hc, err = providers.NewHTTPClient(providers.TransportOptions{}); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/2/auth/token/revoke", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("dropbox: revoke: %w", ue.Err)
		}
		return fmt.Errorf("dropbox: revoke: %w", err)
	}
	defer resp.Body.Close()
	body := make([]byte, 4096)
	n, _ := resp.Body.Read(body)
	if resp.StatusCode/100 == 2 {
		return nil
	}
	if err := MapError(resp, body[:n]); err != nil {
		return fmt.Errorf("dropbox: revoke: %w", err)
	}
	return fmt.Errorf("dropbox: revoke: %w", providers.DefaultErrorMapper(resp, body[:n]))
}
