package app

// Composition of sources and accounts: configuration (files + backend
// discovery) → providers.Settings → a registered providers.Kind; the vault's
// token source → providers.Deps; the Kind's sign-in description → auth.Config.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/local"
)

// RemoteNames lists the remotes a person can use: local, then every
// configured or discovered provider, sorted.
func (s *Session) RemoteNames(ctx context.Context) ([]string, error) {
	cfg, err := s.Config()
	if err != nil {
		return nil, err
	}
	s.tryDiscovery(ctx)
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
func (s *Session) tryDiscovery(ctx context.Context) {
	if _, err := s.Backend(ctx); err != nil {
		s.Log.Debug("backend discovery unavailable; using configured providers only", "err", err)
	}
}

// RemoteSettings returns the settings and kind of a remote by name.
func (s *Session) RemoteSettings(ctx context.Context, name string) (providers.Settings, providers.Kind, error) {
	cfg, err := s.Config()
	if err != nil {
		return providers.Settings{}, providers.Kind{}, err
	}
	if name == "local" {
		return providers.Settings{Name: "local", Type: "local"}, providers.Kind{Type: "local", Title: "This Computer"}, nil
	}
	s.tryDiscovery(ctx)
	p, ok := cfg.Providers[name]
	if !ok {
		names, _ := s.RemoteNames(ctx)
		return providers.Settings{}, providers.Kind{}, fmt.Errorf("no remote named %q (available: %s)", name, strings.Join(names, ", "))
	}
	k, ok := s.kinds.Lookup(p.Type)
	if !ok {
		return providers.Settings{}, providers.Kind{}, fmt.Errorf("remote %q is of type %q, which this Ferry does not support", name, p.Type)
	}
	st := providers.Settings{Name: name, Type: p.Type, URL: p.URL, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
		Exchange: p.Exchange, Tenant: p.Tenant, Ports: p.Ports, Scopes: p.Scopes, APIBase: p.APIURL, AuthBase: p.AuthURL}
	if k.NeedsClientID && st.ClientID == "" {
		return st, k, fmt.Errorf("%s is not set up: your administrator must register an app and configure its client ID (providers.%s.client_id)", k.Title, name)
	}
	return st, k, nil
}

// AuthConfig builds the sign-in configuration for a remote.
func (s *Session) AuthConfig(ctx context.Context, name string) (*auth.Config, providers.Settings, error) {
	st, k, err := s.RemoteSettings(ctx, name)
	if err != nil {
		return nil, st, err
	}
	if k.SignIn == nil {
		return nil, st, fmt.Errorf("%s needs no browser sign-in", k.Title)
	}
	si := k.SignIn(st)
	c := &auth.Config{ID: name, Issuer: si.Issuer, AuthURL: si.AuthURL, TokenURL: si.TokenURL, RevokeURL: si.RevokeURL,
		ClientID: st.ClientID, ClientSecret: st.ClientSecret, Scopes: si.Scopes, AuthParams: map[string]string{},
		AuthParamsNoRefresh: si.AuthParamsNoRefresh, RevokeAccessToken: si.RevokeAccessToken,
		Exchange: st.Exchange, Ports: st.Ports, Logger: s.Log}
	for k, v := range si.AuthParams {
		c.AuthParams[k] = v
	}
	if c.Exchange == "" && st.ClientSecret == "" {
		// With an installed-app secret configured the app can redeem the
		// code itself; otherwise the kind says who holds the secret.
		c.Exchange = k.DefaultExchange
	}
	if c.Exchange == "" {
		c.Exchange = api.ExchangePKCE
	}
	if c.Exchange == api.ExchangeBackend {
		conn, err := s.Backend(ctx)
		if err != nil {
			return nil, st, fmt.Errorf("%s signs in through the upload service, which is unreachable: %w", k.Title, err)
		}
		c.Backend = conn.Client.BaseURL()
		c.BackendToken = conn.Token
	}
	return c, st, nil
}

// Open returns a ready provider for a remote. account picks one of
// several signed-in accounts of the remote ("" = the only one).
// A source the configuration files define completely and that needs no
// browser sign-in (webdav) opens without backend discovery.
func (s *Session) Open(ctx context.Context, name, account string) (providers.Provider, error) {
	if account == "" && s.configuredWithoutSignIn(name) {
		return s.openConfigured(ctx, name)
	}
	st, k, err := s.RemoteSettings(ctx, name)
	if err != nil {
		return nil, err
	}
	if st.Type == "local" {
		cfg, _ := s.Config()
		return local.New(local.Options{ShowHidden: cfg.UI.ShowHidden})
	}
	deps := providers.Deps{Logger: s.Log}
	if st.Type == "webdav" {
		if err := s.webdavDeps(ctx, name, account, &deps); err != nil {
			return nil, err
		}
	}
	if k.SignIn != nil {
		v := s.Vault(ctx)
		acct, err := s.pickAccount(ctx, v, name, account)
		if err != nil {
			return nil, err
		}
		ac, _, err := s.AuthConfig(ctx, name)
		if err != nil {
			return nil, err
		}
		deps.Tokens = v.TokenSource(ctx, name, acct.ID, vaultRefresher(ac))
	}
	return k.New(ctx, st, deps)
}

// configuredWithoutSignIn reports a remote the configuration files define
// completely and that needs no browser sign-in (webdav): opening it needs
// neither backend discovery (which may start the embedded backend) nor the
// vault.
func (s *Session) configuredWithoutSignIn(remote string) bool {
	cfg, err := s.Config()
	if err != nil {
		return false
	}
	pc, ok := cfg.Providers[remote]
	if !ok {
		return false
	}
	k, ok := s.kinds.Lookup(pc.Type)
	return ok && k.SignIn == nil && pc.Type != "local"
}

func (s *Session) openConfigured(ctx context.Context, remote string) (providers.Provider, error) {
	cfg, err := s.Config()
	if err != nil {
		return nil, err
	}
	pc := cfg.Providers[remote]
	k, _ := s.kinds.Lookup(pc.Type)
	deps := providers.Deps{Logger: s.Log}
	if pc.Type == "webdav" {
		if err := s.webdavDeps(ctx, remote, "", &deps); err != nil {
			return nil, err
		}
	}
	return k.New(ctx, providers.Settings{Name: remote, Type: pc.Type, URL: pc.URL}, deps)
}

// OpenLocal opens this computer with the named folder as the root that
// browsing stays in (symlinks are not followed out of it), and returns the
// absolute path to list. "" opens the usual places; "~" is the home
// folder; relative paths start at the working folder; a file's folder
// becomes the root. hidden shows dot files (so does ui.show_hidden).
func (s *Session) OpenLocal(path string, hidden bool) (providers.Provider, string, error) {
	if cfg, err := s.Config(); err == nil && cfg.UI.ShowHidden {
		hidden = true
	}
	if path == "" {
		p, err := local.New(local.Options{ShowHidden: hidden})
		return p, "", err
	}
	if path == "~" || strings.HasPrefix(path, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, "", err
		}
		path = filepath.Join(home, path[1:])
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", err
	}
	root := abs
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, "", fmt.Errorf("%s: %w", abs, providers.ErrNotFound)
	case err != nil:
		return nil, "", err
	case !fi.IsDir():
		root = filepath.Dir(abs)
	}
	p, err := local.New(local.Options{Places: []local.Place{{Path: root}}, ShowHidden: hidden})
	return p, abs, err
}

// Title is how a remote is called in messages: "the upload service" for
// the organisation's sign-in, a kind's title for a remote named after its
// kind ("Dropbox"), else the remote's name.
func (s *Session) Title(remote string) string {
	if remote == BackendRemote {
		return "the upload service"
	}
	if k, ok := s.kinds.Lookup(remote); ok {
		return k.Title
	}
	return remote
}
