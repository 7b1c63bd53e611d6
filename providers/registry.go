package providers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"

	"golang.org/x/oauth2"
)

// Settings is everything configuration (admin/user files, backend
// discovery) says about one configured source. Main builds it from
// config.Provider merged with api.ProviderInfo.
type Settings struct {
	Name         string // the remote's name as the person types it: "gdrive", "acme-cloud"
	Type         string // the Kind: local, webdav, gdrive, dropbox, onedrive, box
	URL          string // server URL (webdav)
	ClientID     string
	ClientSecret string // only a published, non-confidential installed-app secret
	Exchange     string // api.ExchangePKCE or api.ExchangeBackend
	Tenant       string // Microsoft tenant
	Ports        []int  // registered fixed loopback ports
	Scopes       []string
	// APIBase overrides the provider's API root (tests point it at a fake).
	APIBase string
	// AuthBase overrides the provider's authorization server root (tests).
	AuthBase string
}

// Deps are what a provider needs at run time.
type Deps struct {
	// Tokens yields the signed-in account's access token, refreshing and
	// persisting as needed (the vault's token source). Nil for sources that
	// need no OAuth.
	Tokens oauth2.TokenSource
	// Transport is the base HTTP transport (tests inject one); nil: default.
	Transport http.RoundTripper
	Logger    *slog.Logger
	// Secret is a non-OAuth credential (a WebDAV app password) from the vault.
	Secret string
	// User is the login name that goes with Secret.
	User string
}

// SignIn describes how a person signs in to a kind of source through the
// system browser. Its fields mirror auth.Config (which main fills from it),
// so this package does not depend on auth.
type SignIn struct {
	AuthURL, TokenURL, RevokeURL string
	Issuer                       string
	Scopes                       []string
	AuthParams                   map[string]string
	// AuthParamsNoRefresh are auth.Config.AuthParamsNoRefresh: added for a
	// second sign-in when the first yields no refresh token (Google's
	// prompt=consent). Whether the person consented before is a matter of
	// the account they pick, so it is decided per sign-in, not per remote.
	AuthParamsNoRefresh map[string]string
	// RevokeAccessToken is auth.Config.RevokeAccessToken: revocation is
	// authenticated by a live access token (Dropbox), never a refresh token.
	RevokeAccessToken bool
}

// Kind is one kind of source: how to sign in and how to build a Provider.
type Kind struct {
	Type  string // "gdrive"
	Title string // "Google Drive"
	// NeedsClientID is true for OAuth kinds: without a client ID from the
	// admin the kind cannot be used, and the UI says so.
	NeedsClientID bool
	// DefaultExchange is who redeems the authorization code when neither
	// discovery nor the configuration says: "pkce" (the app, the default
	// when empty) or "backend" (kinds whose token endpoint demands the
	// confidential client secret only the backend holds).
	DefaultExchange string
	// SignIn returns the sign-in description for s; nil for kinds without OAuth.
	SignIn func(s Settings) *SignIn
	// New builds a provider for one account.
	New func(ctx context.Context, s Settings, d Deps) (Provider, error)
	// Revoke, if set, revokes a sign-in the app redeemed itself (pkce) at a
	// provider without an RFC 7009 endpoint (Dropbox). Nil: the sign-in
	// configuration's RevokeURL, if any.
	Revoke func(ctx context.Context, s Settings, tok *oauth2.Token) error
}

// Registry is the set of source kinds one build of Ferry knows, by type.
// The application layer builds it from a literal list (internal/app), so
// nothing registers itself from init.
type Registry struct {
	kinds map[string]Kind
}

// NewRegistry returns a registry of ks. A type given twice panics: it is a
// programming error in the literal list.
func NewRegistry(ks ...Kind) *Registry {
	r := &Registry{kinds: make(map[string]Kind, len(ks))}
	for _, k := range ks {
		if _, dup := r.kinds[k.Type]; dup {
			panic(fmt.Sprintf("providers: kind %q listed twice", k.Type))
		}
		r.kinds[k.Type] = k
	}
	return r
}

// Lookup returns the kind for a type.
func (r *Registry) Lookup(typ string) (Kind, bool) {
	k, ok := r.kinds[typ]
	return k, ok
}

// All returns every kind, sorted by type.
func (r *Registry) All() []Kind {
	out := make([]Kind, 0, len(r.kinds))
	for _, k := range r.kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// TokenInvalidator is implemented by token sources that can be told the
// provider refused an access token before its expiry (the vault's): the
// next Token call then refreshes instead of returning it again.
type TokenInvalidator interface {
	Invalidate(rejected string)
}

// InvalidateToken tells ts, when it can be told, that the provider refused
// access token rejected. Providers call it from their Client.Refresh
// (after a 401) before asking ts for a token again.
func InvalidateToken(ts oauth2.TokenSource, rejected string) {
	if inv, ok := ts.(TokenInvalidator); ok && rejected != "" {
		inv.Invalidate(rejected)
	}
}
