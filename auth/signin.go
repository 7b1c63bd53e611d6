package auth

import (
	"context"
	"time"
)

// Options are the person-facing hooks of SignIn.
type Options struct {
	// Opener opens the authorization URL; nil uses SystemOpener().
	Opener Opener
	// OnURL receives the authorization URL before the browser is opened, so
	// it can always be printed or shown with a Copy button.
	OnURL func(authURL string)
	// OnBrowserError is told when the opener failed (the error matches
	// ErrNoBrowser); the sign-in keeps waiting for a paste.
	OnBrowserError func(err error)
	// Paste delivers final redirect URLs copied from a browser's address bar.
	Paste <-chan string
	// OnPasteError is told why a pasted URL was not accepted (wrong address,
	// ErrStateMismatch); the sign-in keeps waiting.
	OnPasteError func(err error)
	// Timeout bounds the wait for the browser; 0 means DefaultTimeout.
	Timeout time.Duration
}

// SignIn runs a whole interactive sign-in: Begin, OnURL, open the browser,
// take pastes, Wait. When it yields no refresh token and
// AuthParamsNoRefresh is set, it runs once more with those parameters (the
// person sees the provider's consent page) rather than return a sign-in that
// dies with its access token. Cancelling ctx ends it with ErrCancelled.
// Errors match ErrCancelled, ErrTimeout, ErrIssuerMismatch or are an
// *OAuthError (from the authorization response or the code exchange).
func (c *Config) SignIn(ctx context.Context, opts Options) (*Result, error) {
	res, err := c.signIn(ctx, opts, nil)
	if err != nil || res.Token.RefreshToken != "" || len(c.AuthParamsNoRefresh) == 0 {
		return res, err
	}
	c.logger().Info("sign-in: no refresh token; asking again with the consent page", "provider", c.ID)
	return c.signIn(ctx, opts, c.AuthParamsNoRefresh)
}

func (c *Config) signIn(ctx context.Context, opts Options, extra map[string]string) (*Result, error) {
	f, err := c.begin(ctx, opts.Timeout, extra)
	if err != nil {
		return nil, err
	}
	if opts.OnURL != nil {
		opts.OnURL(f.URL())
	}
	if err := f.OpenBrowser(ctx, opts.Opener); err != nil && opts.OnBrowserError != nil {
		opts.OnBrowserError(err)
	}
	paste := opts.Paste
	for {
		select {
		case <-f.Done():
			return f.Wait()
		case s, ok := <-paste:
			if !ok {
				paste = nil
				continue
			}
			if refused, _ := f.paste(s); refused != nil && opts.OnPasteError != nil {
				opts.OnPasteError(refused)
			}
		}
	}
}
