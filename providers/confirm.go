package providers

import (
	"context"
	"errors"
)

// ErrNeedsConfirmation: the source hands out the file only after the person
// has confirmed a warning it gives (Google Drive: a file it flagged as
// malware or spam). The concrete error is a *ConfirmError.
var ErrNeedsConfirmation = errors.New("the service wants a confirmation before it hands out this file")

// ConfirmError is what Open returns for a file that needs ErrNeedsConfirmation.
// Show Warning (the service's own text) and, if the person agrees, call Open
// again with a context from WithConfirmed.
type ConfirmError struct {
	Warning string
	Err     error
}

func (e *ConfirmError) Error() string { return e.Warning }

// Is makes a *ConfirmError match ErrNeedsConfirmation.
func (e *ConfirmError) Is(target error) bool { return target == ErrNeedsConfirmation }

func (e *ConfirmError) Unwrap() error { return e.Err }

type confirmedKey struct{}

// WithConfirmed returns ctx marked as carrying the person's confirmation of
// the warning a *ConfirmError showed: Open with it downloads the file.
func WithConfirmed(ctx context.Context) context.Context {
	return context.WithValue(ctx, confirmedKey{}, true)
}

// Confirmed reports whether ctx carries that confirmation.
func Confirmed(ctx context.Context) bool {
	v, _ := ctx.Value(confirmedKey{}).(bool)
	return v
}
