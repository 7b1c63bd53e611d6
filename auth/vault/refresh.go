package vault

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/internal/signin"
)

const (
	// refreshBefore is how long before expiry an access token is refreshed.
	refreshBefore = 2 * time.Minute
	// callTimeout bounds a refresh or revoke call whose context has no deadline.
	callTimeout = 30 * time.Second
)

// ErrNeedsSignIn matches every *NeedsSignInError. It is the one sentinel of
// internal/signin, shared with auth and providers.
var ErrNeedsSignIn = signin.ErrNeedsSignIn

// NeedsSignInError means the account's saved sign-in is gone or no longer
// accepted; the UI offers "Sign in again". Its message holds no secret.
type NeedsSignInError struct {
	Provider, Account string
	Reason            string // in plain words
	Err               error  // the provider's answer, if any (sanitised)
}

func (e *NeedsSignInError) Error() string {
	return fmt.Sprintf("%s account %s needs to sign in again: %s", e.Provider, e.Account, e.Reason)
}

func (e *NeedsSignInError) Is(target error) bool { return target == ErrNeedsSignIn }
func (e *NeedsSignInError) Unwrap() error        { return e.Err }

// RefreshError is a refresh that failed for a reason other than a rejected
// grant (network, server error): the account keeps its sign-in and a later
// call tries again. Its message never includes the token endpoint's body.
type RefreshError struct {
	Provider, Account string
	StatusCode        int    // the token endpoint's HTTP status, if it answered
	Code              string // RFC 6749 error code, if any
	Err               error
}

func (e *RefreshError) Error() string {
	msg := fmt.Sprintf("refreshing the %s sign-in for %s failed: ", e.Provider, e.Account)
	switch {
	case e.StatusCode != 0 && e.Code != "":
		return msg + fmt.Sprintf("the token endpoint answered %d (%s)", e.StatusCode, e.Code)
	case e.StatusCode != 0:
		return msg + fmt.Sprintf("the token endpoint answered %d", e.StatusCode)
	case e.Code != "":
		return msg + "the token endpoint answered " + e.Code
	case e.Err != nil:
		return msg + e.Err.Error()
	}
	return msg + "no access token in the answer"
}

func (e *RefreshError) Unwrap() error { return e.Err }

// Refresher exchanges tok's refresh token for new tokens. The answer's
// refresh token, if any, replaces the stored one (rotation). It returns an
// *oauth2.RetrieveError with code invalid_grant, or an error matching
// ErrNeedsSignIn, when the grant is no longer valid. Its error messages must
// not contain tokens.
type Refresher func(ctx context.Context, tok *oauth2.Token) (*oauth2.Token, error)

// ConfigRefresher refreshes at cfg's token endpoint.
func ConfigRefresher(cfg *oauth2.Config) Refresher {
	return func(ctx context.Context, tok *oauth2.Token) (*oauth2.Token, error) {
		return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	}
}

// TokenSource returns the account's access tokens for oauth2.NewClient and
// friends. A token within 2 minutes of expiry is refreshed with refresh
// (nil: the account needs sign-in when its token expires). Refreshes are
// single-flight across goroutines and processes: under the file lock the
// vault re-reads the file and uses a token another process just refreshed.
// New tokens are written to the vault before they are returned (if that
// write fails the vault turns memory-only, Reason says why, and the token
// is still returned so this run keeps working). A rejected
// grant marks the account needs-sign-in and every later call fails at once
// with a *NeedsSignInError, without calling refresh again.
//
// The returned tokens carry no refresh token. ctx bounds every refresh.
func (v *Vault) TokenSource(ctx context.Context, provider, account string, refresh Refresher) oauth2.TokenSource {
	return &tokenSource{v: v, ctx: ctx, provider: provider, account: account, refresh: refresh}
}

type tokenSource struct {
	v                 *Vault
	ctx               context.Context
	provider, account string
	refresh           Refresher
}

func (s *tokenSource) Token() (*oauth2.Token, error) {
	return s.v.token(s.ctx, s.provider, s.account, s.refresh)
}

func (v *Vault) fresh(r *record) bool {
	return r.Status == StatusOK && r.AccessToken != "" &&
		(r.Expiry.IsZero() || v.now().Add(refreshBefore).Before(r.Expiry))
}

func accessOnly(r *record) *oauth2.Token {
	return &oauth2.Token{AccessToken: r.AccessToken, TokenType: r.TokenType, Expiry: r.Expiry}
}

func (v *Vault) token(ctx context.Context, provider, account string, refresh Refresher) (*oauth2.Token, error) {
	k := key(provider, account)
	am := v.accountLock(k)
	am.Lock()
	defer am.Unlock()

	v.mu.Lock()
	if r := v.entries[k]; r != nil && v.fresh(r) {
		t := accessOnly(r)
		v.mu.Unlock()
		return t, nil
	}
	v.mu.Unlock()

	var out *oauth2.Token
	err := v.transact(ctx, func(m map[string]*record) (bool, error) {
		r := m[k]
		switch {
		case r == nil:
			reason := "there is no saved sign-in"
			if v.lostSignIns() {
				reason = "the saved sign-ins could not be read"
			}
			return false, &NeedsSignInError{Provider: provider, Account: account, Reason: reason}
		case r.Status == StatusNeedsSignIn:
			return false, &NeedsSignInError{Provider: provider, Account: account, Reason: r.StatusReason}
		case v.fresh(r): // another process refreshed it while we waited
			out = accessOnly(r)
			return false, nil
		case r.RefreshToken == "" || refresh == nil:
			v.markNeedsSignIn(r, "the sign-in has expired")
			return true, &NeedsSignInError{Provider: provider, Account: account, Reason: r.StatusReason}
		}

		rctx, cancel := withDefaultTimeout(ctx, callTimeout)
		defer cancel()
		nt, err := refresh(rctx, &oauth2.Token{
			AccessToken: r.AccessToken, TokenType: r.TokenType,
			RefreshToken: r.RefreshToken, Expiry: r.Expiry,
		})
		if err != nil {
			re := refreshError(provider, account, err)
			if invalidGrant(err) {
				v.markNeedsSignIn(r, "the provider no longer accepts the saved sign-in")
				return true, &NeedsSignInError{Provider: provider, Account: account, Reason: r.StatusReason, Err: re}
			}
			v.log.Warn("vault: refresh failed", "account", k, "err", re)
			return false, re
		}
		if nt == nil || nt.AccessToken == "" {
			return false, &RefreshError{Provider: provider, Account: account}
		}
		r.AccessToken, r.TokenType, r.Expiry = nt.AccessToken, nt.TokenType, nt.Expiry
		if nt.RefreshToken != "" {
			r.RefreshToken = nt.RefreshToken
		}
		r.Updated = v.now()
		out = accessOnly(r)
		v.log.Info("vault: refreshed sign-in", "account", k, "expires", r.Expiry, "rotated", nt.RefreshToken != "")
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (v *Vault) lostSignIns() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lost
}

func invalidGrant(err error) bool {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
		return true
	}
	return errors.Is(err, ErrNeedsSignIn)
}

// refreshError describes err without the token endpoint's response body.
func refreshError(provider, account string, err error) *RefreshError {
	e := &RefreshError{Provider: provider, Account: account, Err: err}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e.Code = re.ErrorCode
		if re.Response != nil {
			e.StatusCode = re.Response.StatusCode
		}
	}
	return e
}

func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// Invalidate tells the vault that the provider refused access token
// rejected before its expiry (revoked, or the server's clock differs): the
// next Token call refreshes instead of handing it out again. A token that
// was already replaced (another goroutine or process refreshed) is left
// alone, so a burst of 401s costs one refresh.
func (s *tokenSource) Invalidate(rejected string) {
	k := key(s.provider, s.account)
	am := s.v.accountLock(k)
	am.Lock()
	defer am.Unlock()
	err := s.v.transact(s.ctx, func(m map[string]*record) (bool, error) {
		r := m[k]
		if r == nil || r.AccessToken != rejected || rejected == "" {
			return false, nil
		}
		r.Expiry = s.v.now().Add(-time.Second)
		return true, nil
	})
	if err != nil {
		s.v.log.Warn("vault: could not mark a refused token", "account", k, "err", err)
	}
}
