// Package signin holds the one "sign in again" sentinel. It imports nothing,
// so every library (auth, auth/vault, providers, upload) can share it
// without an import cycle; each re-exports it as its own ErrNeedsSignIn, and
// errors.Is(err, X.ErrNeedsSignIn) gives the same answer whichever package X
// is named.
package signin

import "errors"

// ErrNeedsSignIn: the credentials are missing, expired beyond refresh or
// withdrawn; only a new interactive sign-in helps.
var ErrNeedsSignIn = errors.New("sign-in required")
