package main

// What the window needs from the environment, in the window's terms:
// accounts and sources for the sidebar, sign-in and sign-out, settings.

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/appdirs"
	"github.com/ferry-app/ferry/ui"
	"github.com/ferry-app/ferry/upload"
)

// GUIAccounts lists the browsable accounts: every signed-in account of a
// source (not the upload service's own sign-in), then the configured
// sources that need no sign-in (WebDAV with a URL), grouped by title.
func (e *Env) GUIAccounts(ctx context.Context) ([]ui.AccountView, error) {
	v := e.Vault(ctx)
	accts, err := v.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	var out []ui.AccountView
	signedIn := map[string]bool{}
	for _, a := range accts {
		signedIn[a.Provider] = true
		av := ui.AccountView{Remote: a.Provider, Account: a.ID, Name: a.Name(), Status: ui.StatusSignedIn}
		if a.Provider == BackendRemote {
			av.Service = true // the organisation's sign-in: in the menu, not the sidebar
		} else {
			av.Title = e.remoteTitle(ctx, a.Provider)
		}
		switch {
		case a.Status == vault.StatusNeedsSignIn:
			av.Status, av.Reason = ui.StatusNeedsSignIn, a.StatusReason
		case !v.Persistent():
			av.Status = ui.StatusNoKeychain
		}
		out = append(out, av)
	}
	names, err := e.RemoteNames(ctx)
	if err != nil {
		return out, err
	}
	for _, n := range names {
		if configuredWithoutSignIn(e, n) && !signedIn[n] { // else listed with its account
			out = append(out, ui.AccountView{Remote: n, Title: e.remoteTitle(ctx, n), Name: n, Status: ui.StatusSignedIn})
		}
	}
	slices.SortStableFunc(out, func(a, b ui.AccountView) int { return strings.Compare(a.Title, b.Title) })
	return out, nil
}

// remoteTitle is how a remote is called: its kind's title ("Google
// Drive"), with the remote's name when it differs from the type.
func (e *Env) remoteTitle(ctx context.Context, remote string) string {
	s, k, _ := e.RemoteSettings(ctx, remote)
	if k.Title == "" {
		return remote
	}
	if s.Type != "" && s.Type != remote {
		return k.Title + " (" + remote + ")"
	}
	return k.Title
}

// GUISources lists the sources "Add account" offers: every configured or
// discovered remote with a browser sign-in, WebDAV included (Nextcloud's
// Login Flow v2 runs in the same dialog).
func (e *Env) GUISources(ctx context.Context) ([]ui.SourceView, error) {
	names, err := e.RemoteNames(ctx)
	if err != nil {
		return nil, err
	}
	var out []ui.SourceView
	for _, n := range names {
		s, k, err := e.RemoteSettings(ctx, n)
		if k.SignIn == nil && s.Type != "webdav" {
			continue
		}
		sv := ui.SourceView{Remote: n, Title: k.Title}
		switch {
		case err != nil && k.NeedsClientID && s.ClientID == "":
			sv.NeedsSetup = true
		case err != nil:
			sv.Err = err
		}
		out = append(out, sv)
	}
	return out, nil
}

// serviceSignsIn reports, without waiting, whether the connected upload
// service signs people in (OIDC); false while it is still connecting.
func (e *Env) serviceSignsIn() bool {
	if !e.mu.TryLock() {
		return false
	}
	defer e.mu.Unlock()
	return e.conn != nil && !e.conn.Embedded && e.conn.Discovery.Auth.Type == api.AuthOIDC
}

// GUISignIn is the window's sign-in: it returns who signed in.
func (e *Env) GUISignIn(ctx context.Context, remote string, opts auth.Options) (string, error) {
	acct, err := e.SignInRemote(ctx, remote, opts)
	if err != nil {
		return "", err
	}
	return acct.Name(), nil
}

// GUISignOut revokes where the provider can and forgets the account. When
// the sign-in configuration cannot be read, the account is forgotten here
// without revoking (as ferry logout does).
func (e *Env) GUISignOut(ctx context.Context, remote, account string) error {
	revoke, why := e.revoker(ctx, remote)
	if why != nil {
		e.Log.Warn("sign-out without revocation", "provider", remote, "err", why)
	}
	return e.Vault(ctx).SignOut(ctx, remote, account, revoke)
}

// GUIForgetAll forgets every saved sign-in.
func (e *Env) GUIForgetAll(ctx context.Context) error { return e.Vault(ctx).ForgetAll(ctx) }

// GUISettings is the Settings dialog's model over the configuration; Save
// writes the user file (config.Config.SetUserAll).
func (e *Env) GUISettings() (*ui.Settings, error) {
	cfg, err := e.Config()
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return &ui.Settings{
		Backend: cfg.Backend, BackendLocked: cfg.Locked("backend"),
		Concurrency: cfg.Upload.Concurrency, ConcurrencyLocked: cfg.Locked("upload.concurrency"),
		ThumbnailCacheMB: cfg.UI.ThumbnailCacheMB, Theme: cfg.UI.Theme, Language: cfg.UI.Language,
		StorageDir: filepath.Join(appdirs.DataDir(), "backend", "files"), // where Backend's built-in service stores
		Save: func(changes map[string]string) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.Log.Debug("settings saved", "keys", slices.Sorted(maps.Keys(changes)))
			return cfg.SetUserAll(changes)
		},
	}, nil
}

// backendID names the connected backend in the journal, as ferry upload
// does: the embedded backend's port changes every run, its storage not.
func backendID(conn *BackendConn) string {
	if conn.Embedded {
		return "embedded"
	}
	return conn.Client.BaseURL()
}

// GUIUnfinished rebuilds the journal's unfinished uploads of local files
// on the connected backend, for the window's offer to resume them.
func (e *Env) GUIUnfinished(ctx context.Context, journal *upload.Journal) ([]upload.Source, error) {
	if journal == nil {
		return nil, nil
	}
	pending, err := journal.Pending()
	if err != nil || len(pending) == 0 {
		return nil, err
	}
	conn, err := e.Backend(ctx)
	if err != nil {
		return nil, err
	}
	return pendingSources(ctx, e, pending, backendID(conn), nil), nil
}

var errNoWindow = errors.New("this build of ferry has no window (built with -tags ci); use a subcommand")
