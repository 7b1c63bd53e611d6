package auth

import (
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
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
	return &Identity{
		Issuer:        idt.Issuer,
		Subject:       idt.Subject,
		Email:         claims.Email,
		EmailVerified: claims.EmailVerified != nil && *claims.EmailVerified,
		Name:          claims.Name,
	}, nil
}
