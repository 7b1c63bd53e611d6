package auth

import (
	"errors"
	"fmt"

	"github.com/ferry-app/ferry/internal/signin"
)

// Errors a caller can act on. Every error returned by this package that means
// one of these matches it with errors.Is.
var (
	// ErrCancelled: the person cancelled, either in Ferry (Flow.Cancel, a
	// cancelled context) or at the authorization server (error=access_denied).
	ErrCancelled = errors.New("sign-in cancelled")
	// ErrTimeout: nobody came back from the browser within the time limit.
	ErrTimeout = errors.New("sign-in timed out")
	// ErrStateMismatch: a callback or pasted URL carried a missing or wrong
	// state. It never ends a flow (anything on the machine can reach the
	// listener); Flow.Paste returns it so the person can paste again.
	ErrStateMismatch = errors.New("sign-in response does not belong to this attempt (state mismatch)")
	// ErrIssuerMismatch: the authorization response named a different issuer
	// (RFC 9207 iss), or omitted it although the server promises to send it.
	// It ends the flow: the code may have come from another server (mix-up).
	ErrIssuerMismatch = errors.New("sign-in response came from an unexpected issuer")
	// ErrNoBrowser: no browser could be opened. The flow keeps waiting: the
	// authorization URL can be opened by hand and the final redirect URL
	// pasted back (Flow.Paste).
	ErrNoBrowser = errors.New("no web browser could be opened")
	// ErrAlreadyDone: a callback or paste arrived after the flow finished.
	ErrAlreadyDone = errors.New("sign-in already finished")
	// ErrNeedsSignIn: the grant is gone (invalid_grant on refresh, or no
	// refresh token); only a new interactive sign-in helps. It is the one
	// sentinel of internal/signin, shared with vault and providers.
	ErrNeedsSignIn = signin.ErrNeedsSignIn
	// ErrRevokeUnsupported: the server has no revocation endpoint; the caller
	// deletes its copy of the token anyway.
	ErrRevokeUnsupported = errors.New("token revocation not supported by this server")
)

// OAuthError is an error answered by the authorization server, either in the
// authorization response (RFC 6749 §4.1.2.1) or by the token/revocation
// endpoint (§5.2). Code is the `error` value; Description is meant for a
// person and never contains a credential.
type OAuthError struct {
	Code        string // e.g. access_denied, invalid_grant
	Description string
	URI         string
	Status      int // HTTP status of a token/revoke response; 0 for an authorization response
}

func (e *OAuthError) Error() string {
	s := "authorization server error: " + e.Code
	if e.Description != "" {
		s += ": " + e.Description
	}
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	return s
}

// Is makes access_denied match ErrCancelled and invalid_grant match
// ErrNeedsSignIn.
func (e *OAuthError) Is(target error) bool {
	switch target {
	case ErrCancelled:
		return e.Code == "access_denied"
	case ErrNeedsSignIn:
		return e.Code == "invalid_grant"
	}
	return false
}
