package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/webdav"
)

// WebDAV remotes sign in without OAuth: Nextcloud's Login Flow v2 in the
// browser yields an app password, or a plain WebDAV server takes a login
// name and password. Either way the secret goes into the vault as the
// account's "access token" (type basic, no expiry) and nowhere else.

// passwordTokenType marks vault entries that hold a password, not OAuth.
const passwordTokenType = "basic"

// signInWebDAV runs Nextcloud Login Flow v2 for a webdav remote: the login
// page opens in the browser (its link also goes to opts.OnURL), and once
// the person grants access the app password is checked against the
// remote's folder and stored.
func (s *Session) signInWebDAV(ctx context.Context, name string, st providers.Settings, opts auth.Options) (vault.Account, error) {
	u, err := url.Parse(st.URL)
	if err != nil || u.Host == "" {
		return vault.Account{}, fmt.Errorf("the remote's url %q is not a URL", st.URL)
	}
	flow, err := webdav.StartLogin(ctx, webdav.ServerRoot(u).String(), webdav.LoginOptions{})
	switch {
	case errors.Is(err, providers.ErrNotFound) || errors.Is(err, providers.ErrNotSupported):
		// No Login Flow v2 here: a WebDAV server that is not Nextcloud.
		return vault.Account{}, fmt.Errorf("%s: %w: run `ferry login --user NAME %s`", name, providers.ErrPasswordSignIn, name)
	case err != nil:
		return vault.Account{}, fmt.Errorf("%w\n(if %s is a plain WebDAV server, not Nextcloud, sign in with a password: ferry login --user NAME %s)", err, name, name)
	}
	if opts.OnURL != nil {
		opts.OnURL(flow.LoginURL)
	}
	opener := opts.Opener
	if opener == nil {
		opener = auth.SystemOpener()
	}
	if err := opener(ctx, flow.LoginURL); err != nil && opts.OnBrowserError != nil {
		opts.OnBrowserError(err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = auth.DefaultTimeout
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	creds, err := flow.Wait(wctx, 0)
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		return vault.Account{}, auth.ErrTimeout
	case ctx.Err() != nil:
		return vault.Account{}, auth.ErrCancelled
	default:
		return vault.Account{}, err
	}
	return s.storeWebDAVPassword(ctx, name, st, creds.LoginName, creds.AppPassword)
}

// SignInWebDAVPassword checks a login name and password against a webdav
// remote's folder and stores them in the vault.
func (s *Session) SignInWebDAVPassword(ctx context.Context, name, user, password string) (vault.Account, error) {
	st, k, err := s.RemoteSettings(ctx, name)
	if err != nil {
		return vault.Account{}, err
	}
	if st.Type != "webdav" {
		return vault.Account{}, fmt.Errorf("%s signs in in the browser, not with a password", k.Title)
	}
	return s.storeWebDAVPassword(ctx, name, st, user, password)
}

func (s *Session) storeWebDAVPassword(ctx context.Context, name string, st providers.Settings, user, password string) (vault.Account, error) {
	if user == "" || password == "" {
		return vault.Account{}, errors.New("a login name and a password are both needed")
	}
	k, _ := s.kinds.Lookup(st.Type)
	p, err := k.New(ctx, st, providers.Deps{User: user, Secret: password, Logger: s.Log})
	if err != nil {
		return vault.Account{}, err
	}
	if c, ok := p.(io.Closer); ok {
		defer c.Close()
	}
	vctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := p.Roots(vctx); err != nil {
		if errors.Is(err, providers.ErrNeedsSignIn) || errors.Is(err, providers.ErrPermissionDenied) {
			return vault.Account{}, fmt.Errorf("%s did not accept the login name and password", name)
		}
		return vault.Account{}, fmt.Errorf("checking the sign-in at %s: %w", name, err)
	}
	host := st.URL
	if u, err := url.Parse(st.URL); err == nil {
		host = u.Host
	}
	acct := vault.Account{Provider: name, ID: user, DisplayName: user + " on " + host, Status: vault.StatusOK}
	if err := s.Vault(ctx).Put(ctx, acct, &oauth2.Token{AccessToken: password, TokenType: passwordTokenType}); err != nil {
		return vault.Account{}, err
	}
	return acct, nil
}

// webdavDeps fills the login name and password of a webdav remote's
// signed-in account from the vault. No account: anonymous access (the
// server may allow it; if not, the listing says to sign in).
func (s *Session) webdavDeps(ctx context.Context, name, account string, d *providers.Deps) error {
	v := s.Vault(ctx)
	acct, err := s.pickAccount(ctx, v, name, account)
	if err != nil {
		if account == "" && errors.Is(err, providers.ErrNeedsSignIn) && acct.ID == "" {
			return nil
		}
		return err
	}
	tok, err := v.TokenSource(ctx, name, acct.ID, nil).Token()
	if err != nil {
		return err
	}
	d.User, d.Secret = acct.ID, tok.AccessToken
	return nil
}

// IsWebDAV reports whether remote is a WebDAV source (signed in with a
// password, which cannot be revoked from here).
func (s *Session) IsWebDAV(ctx context.Context, remote string) bool {
	st, _, err := s.RemoteSettings(ctx, remote)
	return err == nil && st.Type == "webdav"
}

// AddWebDAV adds a WebDAV or Nextcloud server the person typed to their
// configuration (the user file) and returns the remote's name, made from
// the server's host ("cloud.acme.example" → "cloud-acme-example"). An
// address already configured returns that remote. The address must be
// https (http only on this computer), as for every server URL.
func (s *Session) AddWebDAV(ctx context.Context, address string) (string, error) {
	address = strings.TrimSpace(address)
	if !strings.Contains(address, "://") {
		address = "https://" + address
	}
	u, err := url.Parse(address)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%q is not a server address like https://cloud.example.org", address)
	}
	cfg, err := s.Config()
	if err != nil {
		return "", err
	}
	base := webdavRemoteName(u.Hostname())
	name := base
	for i := 2; ; i++ {
		p, taken := cfg.Providers[name]
		if !taken {
			break
		}
		if p.Type == "webdav" && strings.TrimSuffix(p.URL, "/") == strings.TrimSuffix(u.String(), "/") {
			return name, nil
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
	err = s.SaveSettings(map[string]string{"providers." + name + ".type": "webdav", "providers." + name + ".url": u.String()})
	if err != nil {
		return "", err
	}
	return name, nil
}

// webdavRemoteName is a remote name from a host: lower-case letters,
// digits and '-', at most 40 bytes.
func webdavRemoteName(host string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(host) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteRune(c)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 40 {
		name = strings.Trim(name[:40], "-")
	}
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		name = "webdav-" + name
	}
	return strings.TrimSuffix(name, "-")
}
