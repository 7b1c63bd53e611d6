package app

// Accounts: the vault of signed-in accounts, sign-in and sign-out, and the
// remotes a person can add an account of.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/upload"
)

// AccountStatus is what is known about an account's sign-in.
type AccountStatus string

// Account statuses, from the vault and from trying the account.
const (
	StatusSignedIn    AccountStatus = "signed-in"
	StatusNeedsSignIn AccountStatus = "needs-sign-in"
	StatusOffline     AccountStatus = "offline"     // the service cannot be reached now
	StatusNoKeychain  AccountStatus = "no-keychain" // signed in for this session only
)

// Account is one browsable account: a signed-in account of a remote, or a
// configured source that needs no sign-in.
type Account struct {
	Remote string // the remote's name ("gdrive", "acme-cloud"): passed back to Open
	Title  string // the provider's title: "Google Drive"
	ID     string // the vault's account ID ("" for a source without sign-in): passed back to Open
	Name   string // display name or e-mail
	Status AccountStatus
	Reason string // why, for a status other than signed in
	// Service marks the upload service's own sign-in: not browsable, but
	// it can be signed out of.
	Service bool
}

// Remote is one remote that "Add account" offers.
type Remote struct {
	Name  string // the remote's name, passed to SignIn
	Title string // "Google Drive"
	Kind  string // its kind: "gdrive", "webdav", …
	// NeedsSetup marks an OAuth source without a client ID from the
	// administrator; Err is another reason it cannot be used yet.
	NeedsSetup bool
	Err        error
}

// Accounts lists the browsable accounts: every signed-in account of a
// source and the upload service's own sign-in (Service), then the
// configured sources that need no sign-in (WebDAV with a URL), by title.
func (s *Session) Accounts(ctx context.Context) ([]Account, error) {
	v := s.Vault(ctx)
	accts, err := v.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	var out []Account
	signedIn := map[string]bool{}
	for _, a := range accts {
		signedIn[a.Provider] = true
		av := Account{Remote: a.Provider, ID: a.ID, Name: a.Name(), Status: StatusSignedIn}
		if a.Provider == BackendRemote {
			av.Service = true
		} else {
			av.Title = s.remoteTitle(ctx, a.Provider)
		}
		switch {
		case a.Status == vault.StatusNeedsSignIn:
			av.Status, av.Reason = StatusNeedsSignIn, a.StatusReason
		case !v.Persistent():
			av.Status = StatusNoKeychain
		}
		out = append(out, av)
	}
	names, err := s.RemoteNames(ctx)
	if err != nil {
		return out, err
	}
	for _, n := range names {
		if s.configuredWithoutSignIn(n) && !signedIn[n] { // else listed with its account
			out = append(out, Account{Remote: n, Title: s.remoteTitle(ctx, n), Name: n, Status: StatusSignedIn})
		}
	}
	slices.SortStableFunc(out, func(a, b Account) int { return strings.Compare(a.Title, b.Title) })
	return out, nil
}

// remoteTitle is how a remote is called in a list: its kind's title
// ("Google Drive"), with the remote's name when it differs from the type.
func (s *Session) remoteTitle(ctx context.Context, remote string) string {
	st, k, _ := s.RemoteSettings(ctx, remote)
	if k.Title == "" {
		return remote
	}
	if st.Type != "" && st.Type != remote {
		return k.Title + " (" + remote + ")"
	}
	return k.Title
}

// Remotes lists the remotes "Add account" offers: every configured or
// discovered remote with a browser sign-in, WebDAV included (Nextcloud's
// Login Flow v2, or a password).
func (s *Session) Remotes(ctx context.Context) ([]Remote, error) {
	names, err := s.RemoteNames(ctx)
	if err != nil {
		return nil, err
	}
	var out []Remote
	for _, n := range names {
		st, k, err := s.RemoteSettings(ctx, n)
		if k.SignIn == nil && st.Type != "webdav" {
			continue
		}
		r := Remote{Name: n, Title: k.Title, Kind: st.Type}
		switch {
		case err != nil && k.NeedsClientID && st.ClientID == "":
			r.NeedsSetup = true
		case err != nil:
			r.Err = err
		}
		out = append(out, r)
	}
	return out, nil
}

// SignOut revokes where the provider can and forgets the account. When the
// sign-in configuration cannot be read (the provider is unreachable, say),
// the account is forgotten without revoking and revoked is false.
func (s *Session) SignOut(ctx context.Context, remote, account string) (revoked bool, err error) {
	revoke, why := s.revoker(ctx, remote)
	if why != nil {
		s.Log.Warn("sign-out without revocation", "provider", remote, "err", why)
		revoke = func(context.Context, *oauth2.Token) error { return nil }
	}
	return why == nil, s.Vault(ctx).SignOut(ctx, remote, account, revoke)
}

// ForgetAll forgets every saved sign-in.
func (s *Session) ForgetAll(ctx context.Context) error { return s.Vault(ctx).ForgetAll(ctx) }

// revoker is the revocation call for a remote's accounts; an error says why
// its sign-in configuration is unavailable. A server without a revocation
// endpoint is not a failure: the grant stays until it expires, and the
// local copy goes.
func (s *Session) revoker(ctx context.Context, name string) (vault.Revoker, error) {
	var (
		c   *auth.Config
		err error
	)
	if name == BackendRemote {
		var conn *Conn
		if conn, err = s.Backend(ctx); err == nil {
			c, err = BackendAuthConfig(conn.Discovery, s.Log)
		}
	} else {
		if s.IsWebDAV(ctx, name) {
			// A WebDAV password cannot be revoked from here; the local copy goes.
			return func(context.Context, *oauth2.Token) error { return nil }, nil
		}
		var st providers.Settings
		c, st, err = s.AuthConfig(ctx, name)
		if k, ok := s.kinds.Lookup(st.Type); err == nil && ok && k.Revoke != nil && c.Exchange == api.ExchangePKCE {
			return func(ctx context.Context, tok *oauth2.Token) error {
				rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				return k.Revoke(rctx, st, tok)
			}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, tok *oauth2.Token) error {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		err := c.Revoke(rctx, tok)
		if errors.Is(err, auth.ErrRevokeUnsupported) {
			s.Log.Info("sign-out: provider has no revocation endpoint", "provider", name)
			return nil
		}
		return err
	}, nil
}

// FindAccount resolves what a person typed: PROVIDER (its only account),
// PROVIDER:ID, PROVIDER@EMAIL-OR-NAME, or an ID, e-mail or name matching
// exactly one account.
func (s *Session) FindAccount(ctx context.Context, spec string) (vault.Account, error) {
	accts, err := s.Vault(ctx).Accounts(ctx)
	if err != nil {
		return vault.Account{}, err
	}
	matches := func(a vault.Account, who string) bool {
		return who == "" || a.ID == who || strings.EqualFold(a.Email, who) || a.Name() == who
	}
	var found []vault.Account
	for _, a := range accts {
		switch {
		case a.Provider == spec:
			found = append(found, a)
		case strings.HasPrefix(spec, a.Provider+":") && matches(a, strings.TrimPrefix(spec, a.Provider+":")),
			strings.HasPrefix(spec, a.Provider+"@") && matches(a, strings.TrimPrefix(spec, a.Provider+"@")):
			found = append(found, a)
		}
	}
	if len(found) == 0 {
		for _, a := range accts {
			if a.Key() == spec || matches(a, spec) {
				found = append(found, a)
			}
		}
	}
	switch len(found) {
	case 0:
		return vault.Account{}, fmt.Errorf("no signed-in account %q (see `ferry accounts`): %w", spec, vault.ErrUnknownAccount)
	case 1:
		return found[0], nil
	}
	var names []string
	for _, a := range found {
		names = append(names, a.Provider+":"+a.ID)
	}
	return vault.Account{}, fmt.Errorf("%q matches several accounts (%s); name one as PROVIDER:ID", spec, strings.Join(names, ", "))
}

// Vault opens the token vault once (keychain-held key; memory-only with a
// reason when no keychain is reachable).
func (s *Session) Vault(ctx context.Context) *vault.Vault {
	s.vaultMu.Lock()
	defer s.vaultMu.Unlock()
	if s.vault == nil {
		s.vault = vault.Open(ctx, vault.Options{AppID: ID, Logger: s.Log})
	}
	return s.vault
}

// pickAccount finds the vault account of a remote.
func (s *Session) pickAccount(ctx context.Context, v *vault.Vault, remote, account string) (vault.Account, error) {
	accts, err := v.Accounts(ctx)
	if err != nil {
		return vault.Account{}, err
	}
	var mine []vault.Account
	for _, a := range accts {
		if a.Provider == remote && (account == "" || a.ID == account || a.Email == account || a.Name() == account) {
			mine = append(mine, a)
		}
	}
	switch {
	case len(mine) == 0 && account == "":
		return vault.Account{}, fmt.Errorf("not signed in to %s: run `ferry login %s`: %w", remote, remote, providers.ErrNeedsSignIn)
	case len(mine) == 0:
		return vault.Account{}, fmt.Errorf("no account %q for %s: run `ferry accounts`: %w", account, remote, vault.ErrUnknownAccount)
	case len(mine) > 1:
		var names []string
		for _, a := range mine {
			names = append(names, a.Name())
		}
		return vault.Account{}, fmt.Errorf("several %s accounts are signed in (%s): name one as %s@ACCOUNT:PATH", remote, strings.Join(names, ", "), remote)
	}
	if mine[0].Status == vault.StatusNeedsSignIn {
		return mine[0], fmt.Errorf("%s account %s needs signing in again: run `ferry login %s`: %w", remote, mine[0].Name(), remote, providers.ErrNeedsSignIn)
	}
	return mine[0], nil
}

// SignIn runs the browser sign-in for a remote (BackendRemote: the upload
// service's identity provider) and stores the account in the vault.
// opts.OnURL receives the authorization URL (print it or show it with a
// Copy button); opts.Opener opens it (nil: $BROWSER or the platform's).
// WebDAV remotes run Nextcloud's Login Flow v2 instead.
func (s *Session) SignIn(ctx context.Context, name string, opts auth.Options) (vault.Account, error) {
	var (
		c   *auth.Config
		st  providers.Settings
		k   providers.Kind
		err error
	)
	if name == BackendRemote {
		conn, err := s.Backend(ctx)
		if err != nil {
			return vault.Account{}, err
		}
		if c, err = BackendAuthConfig(conn.Discovery, s.Log); err != nil {
			return vault.Account{}, err
		}
	} else {
		if st, k, err = s.RemoteSettings(ctx, name); err == nil && st.Type == "webdav" {
			return s.signInWebDAV(ctx, name, st, opts)
		}
		if c, st, err = s.AuthConfig(ctx, name); err != nil {
			return vault.Account{}, err
		}
		k, _ = s.kinds.Lookup(st.Type)
	}
	v := s.Vault(ctx)
	res, err := c.SignIn(ctx, opts)
	if err != nil {
		return vault.Account{}, err
	}
	acct := vault.Account{Provider: name, Scopes: c.Scopes, Status: vault.StatusOK}
	// Identity: the provider's own account API, else the OIDC ID token.
	if k.New != nil {
		p, err := k.New(ctx, st, providers.Deps{Tokens: oauth2.StaticTokenSource(res.Token), Logger: s.Log})
		if err == nil {
			if ai, ok := p.(providers.AccountInfo); ok {
				ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
				a, err := ai.AccountInfo(ictx)
				cancel()
				if err != nil {
					return vault.Account{}, fmt.Errorf("signed in, but %s did not say which account this is: %w", k.Title, err)
				}
				acct.ID, acct.DisplayName, acct.Email = a.ID, a.Name, a.Email
			}
		}
	}
	if acct.ID == "" && res.Identity != nil {
		acct.ID, acct.Email, acct.DisplayName = res.Identity.Subject, res.Identity.Email, res.Identity.Name
	}
	if acct.ID == "" {
		return vault.Account{}, errors.New("signed in, but the provider did not identify the account")
	}
	if err := v.Put(ctx, acct, res.Token); err != nil {
		return vault.Account{}, err
	}
	return acct, nil
}

// BackendRemote is the vault's provider name for the organisation's own
// sign-in (the backend's OIDC issuer).
const BackendRemote = "backend"

// BackendAuthConfig is the sign-in configuration for the backend's OIDC
// identity provider, from discovery.
func BackendAuthConfig(d *api.Discovery, log *slog.Logger) (*auth.Config, error) {
	if d.Auth.Type != api.AuthOIDC {
		return nil, fmt.Errorf("this backend needs no sign-in (auth type %q)", d.Auth.Type)
	}
	scopes := d.Auth.Scopes
	if len(scopes) == 0 {
		scopes = []string{"openid", "email", "offline_access"}
	}
	return &auth.Config{ID: BackendRemote, Issuer: d.Auth.Issuer, ClientID: d.Auth.ClientID, Scopes: scopes,
		Exchange: api.ExchangePKCE, Logger: log}, nil
}

// backendToken returns a token func for an OIDC backend: the signed-in
// organisation account's access token from the vault, refreshed as needed.
func (s *Session) backendToken(d *api.Discovery) upload.TokenFunc {
	return func(ctx context.Context) (string, error) {
		ac, err := BackendAuthConfig(d, s.Log)
		if err != nil {
			return "", err
		}
		v := s.Vault(ctx)
		acct, err := s.pickAccount(ctx, v, BackendRemote, "")
		if err != nil {
			return "", fmt.Errorf("the upload service requires signing in: run `ferry login`: %w", providers.ErrNeedsSignIn)
		}
		t, err := v.TokenSource(ctx, BackendRemote, acct.ID, vaultRefresher(ac)).Token()
		if err != nil {
			return "", err
		}
		return t.AccessToken, nil
	}
}

// vaultRefresher adapts an auth.Config's refresh to the vault: a refresh the
// authorization server refused for good (invalid_grant) becomes
// vault.ErrNeedsSignIn, so the vault marks the account and never loops.
func vaultRefresher(c *auth.Config) vault.Refresher {
	return func(ctx context.Context, t *oauth2.Token) (*oauth2.Token, error) {
		nt, err := c.Refresh(ctx, t.RefreshToken)
		if errors.Is(err, auth.ErrNeedsSignIn) {
			err = fmt.Errorf("%w: %w", vault.ErrNeedsSignIn, err)
		}
		return nt, err
	}
}
