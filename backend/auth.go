package backend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/ferry-app/ferry/backend/api"
)

// LocalUser is the user ID of every request to a backend with auth "none".
const LocalUser = "local"

// authenticator turns a request into a user ID.
type authenticator interface {
	authenticate(r *http.Request) (string, error)
}

// authError is a refused credential; internal marks a verifier that could
// not run (issuer unreachable) rather than a bad token.
type authError struct {
	msg      string
	internal bool
}

func (e *authError) Error() string { return e.msg }

func newAuthenticator(s *Server) (authenticator, error) {
	switch s.cfg.Auth.Type {
	case api.AuthNone:
		return noAuth{}, nil
	case api.AuthOIDC:
		return &oidcAuth{s: s, issuer: s.cfg.Auth.Issuer, clientID: s.cfg.Auth.ClientID}, nil
	}
	return nil, fmt.Errorf("backend: unknown auth type %q", s.cfg.Auth.Type)
}

type noAuth struct{}

func (noAuth) authenticate(*http.Request) (string, error) { return LocalUser, nil }

// oidcAuth verifies bearer access tokens that are JWTs signed by the issuer:
// signature (JWKS from discovery), issuer, audience = client_id, expiry.
// The user is the token's subject. Discovery runs on first use, not at
// start, so the backend starts while the issuer is briefly unreachable.
type oidcAuth struct {
	s        *Server
	issuer   string
	clientID string

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	failedAt time.Time
}

func (a *oidcAuth) getVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.verifier != nil {
		return a.verifier, nil
	}
	if time.Since(a.failedAt) < 5*time.Second {
		return nil, errors.New("oidc discovery failed recently")
	}
	// The provider's key set fetches JWKS with this context's client later
	// on, so it must outlive this request.
	pctx := oidc.ClientContext(context.Background(), a.s.client)
	dctx, cancel := context.WithTimeout(pctx, 15*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, a.issuer)
	if err != nil {
		a.failedAt = time.Now()
		return nil, err
	}
	// NewProvider bound its remote key set to dctx's values only (the
	// client), not its deadline; re-create it on pctx to be safe.
	var claims struct {
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := p.Claims(&claims); err != nil {
		return nil, err
	}
	keys := oidc.NewRemoteKeySet(pctx, claims.JWKSURI)
	a.verifier = oidc.NewVerifier(a.issuer, keys, &oidc.Config{
		ClientID:             a.clientID,
		Now:                  a.s.now,
		SupportedSigningAlgs: claims.Algs,
	})
	return a.verifier, nil
}

func (a *oidcAuth) authenticate(r *http.Request) (string, error) {
	raw, ok := bearerToken(r)
	if !ok {
		return "", &authError{msg: "a bearer access token is required"}
	}
	v, err := a.getVerifier(r.Context())
	if err != nil {
		return "", &authError{msg: "oidc: " + err.Error(), internal: true}
	}
	tok, err := v.Verify(r.Context(), raw)
	if err != nil {
		// go-oidc's messages name the failed check (expired, audience,
		// issuer, signature) and never echo the token.
		return "", &authError{msg: "invalid access token: " + err.Error()}
	}
	if tok.Subject == "" {
		return "", &authError{msg: "access token has no subject"}
	}
	return tok.Subject, nil
}
