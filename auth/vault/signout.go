package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Revoker tells the provider to revoke tok (RFC 7009, or through the
// backend for providers whose exchange goes through it). It gets both the
// access and the refresh token and chooses which to revoke. Its error
// messages must not contain tokens.
type Revoker func(ctx context.Context, tok *oauth2.Token) error

// ErrRevokeFailed matches a *RevokeError.
var ErrRevokeFailed = errors.New("revocation failed")

// RevokeError means the account was signed out and deleted locally but the
// provider could not be told to revoke its tokens.
type RevokeError struct {
	Provider, Account string
	Err               error
}

func (e *RevokeError) Error() string {
	return fmt.Sprintf("signed out of %s account %s here, but the provider could not revoke the sign-in: %v", e.Provider, e.Account, e.Err)
}

func (e *RevokeError) Is(target error) bool { return target == ErrRevokeFailed }
func (e *RevokeError) Unwrap() error        { return e.Err }

// SignOut revokes the account's tokens with revoke (nil: the provider
// cannot revoke), then deletes the entry whatever the answer. An error
// matching ErrRevokeFailed means the entry is gone but the revocation
// failed. Signing out an account the vault does not hold is not an error.
func (v *Vault) SignOut(ctx context.Context, provider, account string, revoke Revoker) error {
	k := key(provider, account)
	am := v.accountLock(k)
	am.Lock()
	defer am.Unlock()
	var revokeErr error
	err := v.transact(ctx, func(m map[string]*record) (bool, error) {
		r := m[k]
		if r == nil {
			return false, nil
		}
		if revoke != nil && (r.AccessToken != "" || r.RefreshToken != "") {
			rctx, cancel := withDefaultTimeout(ctx, callTimeout)
			err := revoke(rctx, &oauth2.Token{
				AccessToken: r.AccessToken, TokenType: r.TokenType,
				RefreshToken: r.RefreshToken, Expiry: r.Expiry,
			})
			cancel()
			if err != nil {
				revokeErr = &RevokeError{Provider: provider, Account: account, Err: err}
				v.log.Warn("vault: revocation failed; deleting the sign-in anyway", "account", k, "err", err)
			}
		}
		delete(m, k)
		v.log.Info("vault: signed out", "account", k)
		return true, nil
	})
	return errors.Join(err, revokeErr)
}

// ForgetAll deletes every saved sign-in: the vault file (and any copies
// moved aside) and the key in the keychain. It does not revoke anything.
func (v *Vault) ForgetAll(ctx context.Context) error {
	v.fileMu.Lock()
	defer v.fileMu.Unlock()
	var errs []error
	if v.lock != nil {
		ok, err := v.lock.TryLockContext(ctx, 10*time.Millisecond)
		if err != nil || !ok {
			return fmt.Errorf("vault: waiting for %s: %w", v.lock.Path(), errors.Join(err, ctx.Err()))
		}
		defer v.lock.Unlock()
		if err := os.Remove(v.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		aside, _ := filepath.Glob(v.path + ".corrupt-*")
		for _, p := range aside {
			if err := os.Remove(p); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := v.keys.DeleteKey(ctx); err != nil {
		errs = append(errs, err)
	}
	v.mu.Lock()
	v.entries, v.key, v.lost, v.notice = map[string]*record{}, nil, false, ""
	v.mu.Unlock()
	v.log.Info("vault: forgot all sign-ins", "path", v.path)
	return errors.Join(errs...)
}

// RevokeRFC7009 returns a Revoker that posts to an RFC 7009 revocation
// endpoint as a public client: the refresh token if there is one (which
// revokes the grant at most providers), else the access token.
func RevokeRFC7009(hc *http.Client, endpoint, clientID string) Revoker {
	if hc == nil {
		hc = http.DefaultClient
	}
	return func(ctx context.Context, tok *oauth2.Token) error {
		form := url.Values{}
		if tok.RefreshToken != "" {
			form.Set("token", tok.RefreshToken)
			form.Set("token_type_hint", "refresh_token")
		} else {
			form.Set("token", tok.AccessToken)
			form.Set("token_type_hint", "access_token")
		}
		if clientID != "" {
			form.Set("client_id", clientID)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
		if err != nil {
			return errors.New("bad revocation endpoint")
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := hc.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				return ue.Err
			}
			return err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("the revocation endpoint answered %s", resp.Status)
		}
		return nil
	}
}
