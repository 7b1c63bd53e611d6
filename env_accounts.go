package main

// Composition of sources and accounts: configuration (files + backend
// discovery) → providers.Settings → a registered providers.Kind; the vault's
// token source → providers.Deps; the Kind's sign-in description → auth.Config.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/local"
	"github.com/ferry-app/ferry/upload"
)

// Vault opens the token vault once (keychain-held key; memory-only with a
// reason when no keychain is reachable).
func (e *Env) Vault(ctx context.Context) *vault.Vault {
	e.vaultMu.Lock()
	defer e.vaultMu.Unlock()
	if e.vault == nil {
		e.vault = vault.Open(ctx, vault.Options{AppID: appID, Logger: e.Log})
	}
	return e.vault
}

// RemoteNames lists the remotes a person can use: local, then every
// configured or discovered provider, sorted.
func (e *Env) RemoteNames(ctx context.Context) ([]string, error) {
	cfg, err := e.Config()
	if err != nil {
		return nil, err
	}
	e.tryDiscovery(ctx)
	names := []string{"local"}
	var rest []string
	for n := range cfg.Providers {
		if n != "local" {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(names, rest...), nil
}

// tryDiscovery connects to the backend so that the providers it announces
// join the configuration; an unreachable backend leaves the files' providers.
func (e *Env) tryDiscovery(ctx context.Context) {
	if _, err := e.Backend(ctx); err != nil {
		e.Log.Debug("backend discovery unavailable; using configured providers only", "err", err)
	}
}

// RemoteSettings returns the settings and kind of a remote by name.
func (e *Env) RemoteSettings(ctx context.Context, name string) (providers.Settings, providers.Kind, error) {
	cfg, err := e.Config()
	if err != nil {
		return providers.Settings{}, providers.Kind{}, err
	}
	if name == "local" {
		return providers.Settings{Name: "local", Type: "local"}, providers.Kind{Type: "local", Title: "This Computer"}, nil
	}
	e.tryDiscovery(ctx)
	p, ok := cfg.Providers[name]
	if !ok {
		names, _ := e.RemoteNames(ctx)
		return providers.Settings{}, providers.Kind{}, fmt.Errorf("no remote named %q (available: %s)", name, strings.Join(names, ", "))
	}
	k, ok := providers.LookupKind(p.Type)
	if !ok {
		return providers.Settings{}, providers.Kind{}, fmt.Errorf("remote %q is of type %q, which this Ferry does not support", name, p.Type)
	}
	s := providers.Settings{Name: name, Type: p.Type, URL: p.URL, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
		Exchange: p.Exchange, Tenant: p.Tenant, Ports: p.Ports, Scopes: p.Scopes, APIBase: p.APIURL, AuthBase: p.AuthURL}
	if k.NeedsClientID && s.ClientID == "" {
		return s, k, fmt.Errorf("%s is not set up: your administrator must register an app and configure its client ID (providers.%s.client_id)", k.Title, name)
	}
	return s, k, nil
}

// AuthConfig builds the sign-in configuration for a remote.
func (e *Env) AuthConfig(ctx context.Context, name string) (*auth.Config, providers.Settings, error) {
	s, k, err := e.RemoteSettings(ctx, name)
	if err != nil {
		return nil, s, err
	}
	if k.SignIn == nil {
		return nil, s, fmt.Errorf("%s needs no browser sign-in", k.Title)
	}
	si := k.SignIn(s)
	c := &auth.Config{ID: name, Issuer: si.Issuer, AuthURL: si.AuthURL, TokenURL: si.TokenURL, RevokeURL: si.RevokeURL,
		ClientID: s.ClientID, ClientSecret: s.ClientSecret, Scopes: si.Scopes, AuthParams: map[string]string{},
		AuthParamsNoRefresh: si.AuthParamsNoRefresh, RevokeAccessToken: si.RevokeAccessToken,
		Exchange: s.Exchange, Ports: s.Ports, Logger: e.Log}
	for k, v := range si.AuthParams {
		c.AuthParams[k] = v
	}
	if c.Exchange == "" && s.ClientSecret == "" {
		// With an installed-app secret configured the app can redeem the
		// code itself; otherwise the kind says who holds the secret.
		c.Exchange = k.DefaultExchange
	}
	if c.Exchange == "" {
		c.Exchange = api.ExchangePKCE
	}
	if c.Exchange == api.ExchangeBackend {
		conn, err := e.Backend(ctx)
		if err != nil {
			return nil, s, fmt.Errorf("%s signs in through the upload service, which is unreachable: %w", k.Title, err)
		}
		c.Backend = conn.Client.BaseURL()
		c.BackendToken = conn.Token
	}
	return c, s, nil
}

// OpenRemote returns a ready provider for a remote. account picks one of
// several signed-in accounts of the remote ("" = the only one).
// A source the configuration files define completely and that needs no
// browser sign-in (webdav) opens without backend discovery.
func (e *Env) OpenRemote(ctx context.Context, name, account string) (providers.Provider, error) {
	if account == "" && configuredWithoutSignIn(e, name) {
		return openConfigured(ctx, e, name)
	}
	s, k, err := e.RemoteSettings(ctx, name)
	if err != nil {
		return nil, err
	}
	if s.Type == "local" {
		cfg, _ := e.Config()
		return local.New(local.Options{ShowHidden: cfg.UI.ShowHidden})
	}
	deps := providers.Deps{Logger: e.Log}
	if s.Type == "webdav" {
		if err := e.webdavDeps(ctx, name, account, &deps); err != nil {
			return nil, err
		}
	}
	if k.SignIn != nil {
		v := e.Vault(ctx)
		acct, err := e.pickAccount(ctx, v, name, account)
		if err != nil {
			return nil, err
		}
		ac, _, err := e.AuthConfig(ctx, name)
		if err != nil {
			return nil, err
		}
		deps.Tokens = v.TokenSource(ctx, name, acct.ID, vaultRefresher(ac))
	}
	return k.New(ctx, s, deps)
}

// pickAccount finds the vault account of a remote.
func (e *Env) pickAccount(ctx context.Context, v *vault.Vault, remote, account string) (vault.Account, error) {
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

// SignInRemote runs the browser sign-in for a remote and stores the account
// in the vault. onURL receives the authorization URL (print it or show it
// with a Copy button); opener opens it (nil: $BROWSER or the platform's).
func (e *Env) SignInRemote(ctx context.Context, name string, opts auth.Options) (vault.Account, error) {
	var (
		c   *auth.Config
		s   providers.Settings
		k   providers.Kind
		err error
	)
	if name == BackendRemote {
		conn, err := e.Backend(ctx)
		if err != nil {
			return vault.Account{}, err
		}
		if c, err = BackendAuthConfig(conn.Discovery, e.Log); err != nil {
			return vault.Account{}, err
		}
	} else {
		if s, k, err = e.RemoteSettings(ctx, name); err == nil && s.Type == "webdav" {
			return e.signInWebDAV(ctx, name, s, opts)
		}
		if c, s, err = e.AuthConfig(ctx, name); err != nil {
			return vault.Account{}, err
		}
		k, _ = providers.LookupKind(s.Type)
	}
	v := e.Vault(ctx)
	res, err := c.SignIn(ctx, opts)
	if err != nil {
		return vault.Account{}, err
	}
	acct := vault.Account{Provider: name, Scopes: c.Scopes, Status: vault.StatusOK}
	// Identity: the provider's own account API, else the OIDC ID token.
	if k.New != nil {
		p, err := k.New(ctx, s, providers.Deps{Tokens: oauth2.StaticTokenSource(res.Token), Logger: e.Log})
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
func (e *Env) backendToken(d *api.Discovery) upload.TokenFunc {
	return func(ctx context.Context) (string, error) {
		ac, err := BackendAuthConfig(d, e.Log)
		if err != nil {
			return "", err
		}
		v := e.Vault(ctx)
		acct, err := e.pickAccount(ctx, v, BackendRemote, "")
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
