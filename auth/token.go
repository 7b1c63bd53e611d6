package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/backend/api"
)

// Refresh redeems refreshToken at the token endpoint (or, with
// ExchangeBackend, at POST {backend}/oauth/{id}/token) and returns the new
// token. When the server does not rotate the refresh token, the result keeps
// the old one; when it does, the caller must persist the new one at once.
// An expired or revoked grant gives an error matching ErrNeedsSignIn.
func (c *Config) Refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	if refreshToken == "" {
		return nil, fmt.Errorf("auth: %s: no refresh token: %w", c.ID, ErrNeedsSignIn)
	}
	d, err := c.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	// An expired token with only a refresh token makes x/oauth2 refresh now.
	stale := &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}
	tok, err := c.oauth2Config(d, "").TokenSource(c.tokenContext(ctx), stale).Token()
	if err != nil {
		return nil, fmt.Errorf("auth: %s: refresh: %w", c.ID, mapTokenError(err))
	}
	return tok, nil
}

// TokenSource returns an oauth2.TokenSource that hands out tok while it is
// valid and refreshes it through Refresh when it expires; ctx is used for
// every refresh. It refreshes in memory only: a vault wraps it (or calls
// Refresh itself) to persist rotated refresh tokens.
func (c *Config) TokenSource(ctx context.Context, tok *oauth2.Token) oauth2.TokenSource {
	r := &refresher{c: c, ctx: ctx}
	if tok != nil {
		r.refreshToken = tok.RefreshToken
	}
	return oauth2.ReuseTokenSource(tok, r)
}

type refresher struct {
	c            *Config
	ctx          context.Context
	mu           sync.Mutex
	refreshToken string
}

func (r *refresher) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	tok, err := r.c.Refresh(r.ctx, r.refreshToken)
	if err != nil {
		return nil, err
	}
	r.refreshToken = tok.RefreshToken
	return tok, nil
}

// liveAccessToken returns tok's access token, or a fresh one when it has
// expired and a refresh token can get one.
func (c *Config) liveAccessToken(ctx context.Context, tok *oauth2.Token) (string, error) {
	if tok.AccessToken != "" && (tok.Expiry.IsZero() || tok.Expiry.After(time.Now().Add(10*time.Second))) {
		return tok.AccessToken, nil
	}
	if tok.RefreshToken == "" {
		return "", fmt.Errorf("auth: %s: revoke: the access token expired and there is no refresh token: %w", c.ID, ErrNeedsSignIn)
	}
	nt, err := c.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		return "", fmt.Errorf("auth: %s: revoke: getting a live access token: %w", c.ID, err)
	}
	return nt.AccessToken, nil
}

// Revoke asks the server to revoke tok's grant (RFC 7009): the refresh token
// when there is one, else the access token. With ExchangeBackend it posts
// {"token"} to {backend}/oauth/{id}/revoke. ErrRevokeUnsupported means the
// server has no revocation endpoint. Callers delete their copy regardless.
func (c *Config) Revoke(ctx context.Context, tok *oauth2.Token) error {
	if tok == nil || (tok.RefreshToken == "" && tok.AccessToken == "") {
		return nil
	}
	token, hint := tok.RefreshToken, "refresh_token"
	if token == "" {
		token, hint = tok.AccessToken, "access_token"
	}
	if c.RevokeAccessToken {
		live, err := c.liveAccessToken(ctx, tok)
		if err != nil {
			return err
		}
		token, hint = live, "access_token"
	}
	var req *http.Request
	if c.backendMode() {
		if err := c.validate(); err != nil {
			return err
		}
		body, _ := json.Marshal(map[string]string{"token": token})
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, c.backendURL("revoke"), bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("auth: %s: revoke: %w", c.ID, err)
		}
		r.Header.Set("Content-Type", "application/json")
		req = r
	} else {
		d, err := c.endpoints(ctx)
		if err != nil {
			return err
		}
		if d.revokeURL == "" {
			return fmt.Errorf("auth: %s: %w", c.ID, ErrRevokeUnsupported)
		}
		form := url.Values{"token": {token}, "token_type_hint": {hint}, "client_id": {c.ClientID}}
		if c.ClientSecret != "" {
			form.Set("client_secret", c.ClientSecret)
		}
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, d.revokeURL, strings.NewReader(form.Encode()))
		if err != nil {
			return fmt.Errorf("auth: %s: revoke: %w", c.ID, err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req = r
	}
	req.Header.Set("Accept", "application/json")
	hc, _ := c.tokenContext(ctx).Value(oauth2.HTTPClient).(*http.Client)
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("auth: %s: revoke: %w", c.ID, scrubURLError(err))
	}
	defer resp.Body.Close()
	body := readLimited(resp.Body, 64<<10)
	if resp.StatusCode/100 == 2 {
		return nil
	}
	oe := &OAuthError{Status: resp.StatusCode}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Message     string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil {
		oe.Code, oe.Description = e.Error, e.Description
		if oe.Description == "" {
			oe.Description = e.Message
		}
	}
	if oe.Code == "" {
		oe.Code = "server_error"
	}
	return fmt.Errorf("auth: %s: revoke: %w", c.ID, oe)
}

// backendError parses the backend's error shape; nil if body is not one.
func backendError(body []byte) *api.Error {
	var e api.Error
	if json.Unmarshal(body, &e) != nil || e.Code == "" {
		return nil
	}
	return &e
}

// scrubURLError keeps a transport error's cause but not the request URL
// (revocation URLs carry no secret, but keep one rule for all URLs).
func scrubURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s %s: %w", ue.Op, redactURL(ue.URL), ue.Err)
	}
	return err
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(url)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}
