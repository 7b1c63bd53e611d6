package auth

import (
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/internal/origin"
)

// identity verifies the ID token of a token response (signature by the
// issuer's keys, iss, aud = client_id, expiry, nonce) and returns its claims.
// No ID token, or no discovered keys to check it with, gives nil.
func (c *Config) identity(ctx context.Context, d *discovered, tok *oauth2.Token, nonce string) (*Identity, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" || d.verifier == nil {
		return nil, nil
	}
	idt, err := d.verifier.Verify(oidc.ClientContext(ctx, c.httpClient()), raw)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: ID token rejected: %w", c.ID, err)
	}
	if nonce != "" && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, fmt.Errorf("auth: %s: ID token rejected: nonce does not match this sign-in", c.ID)
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("auth: %s: ID token claims: %w", c.ID, err)
	}
	id := &Identity{
		Issuer:        idt.Issuer,
		Subject:       idt.Subject,
		Email:         claims.Email,
		EmailVerified: claims.EmailVerified != nil && *claims.EmailVerified,
		Name:          claims.Name,
	}
	if id.Email == "" || id.Name == "" {
		c.addUserInfo(ctx, d, tok, id)
	}
	return id, nil
}

// addUserInfo fills e-mail and name from the UserInfo endpoint when the ID
// token left them out (many servers put only sub in it). The answer counts
// only for the same subject (OIDC Core §5.3.2). Failures leave id as it is:
// the verified subject is the identity; the rest is for display.
func (c *Config) addUserInfo(ctx context.Context, d *discovered, tok *oauth2.Token, id *Identity) {
	if d.provider == nil || d.provider.UserInfoEndpoint() == "" {
		return
	}
	// The access token goes to the UserInfo origin only.
	ui, err := d.provider.UserInfo(oidc.ClientContext(ctx, origin.Guard(c.httpClient())), oauth2.StaticTokenSource(tok))
	if err != nil {
		c.logger().Debug("sign-in: userinfo unavailable", "provider", c.ID, "err", err)
		return
	}
	if ui.Subject != id.Subject {
		c.logger().Warn("sign-in: userinfo subject differs from the ID token; ignored", "provider", c.ID)
		return
	}
	var extra struct {
		Name string `json:"name"`
	}
	_ = ui.Claims(&extra)
	if id.Email == "" && ui.Email != "" {
		id.Email, id.EmailVerified = ui.Email, ui.EmailVerified
	}
	if id.Name == "" {
		id.Name = extra.Name
	}
}
