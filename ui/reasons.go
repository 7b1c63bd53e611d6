package ui

import (
	"context"
	"errors"

	"github.com/ferry-app/ferry/providers"
)

// browseReason says in plain words why a folder, file or search failed, and
// what to do — never a raw Go error string.
func browseReason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, providers.ErrNeedsSignIn):
		return "you need to sign in again"
	case errors.Is(err, providers.ErrPermissionDenied):
		return "you do not have permission"
	case errors.Is(err, providers.ErrNotFound):
		return "it no longer exists"
	case errors.Is(err, providers.ErrOutsideRoot):
		return "it leads outside the folders Ferry may show"
	case errors.Is(err, providers.ErrRateLimited):
		return "the service is busy; try again in a minute"
	case errors.Is(err, providers.ErrNotFolder):
		return "it is not a folder"
	case errors.Is(err, context.DeadlineExceeded):
		return "the service took too long to answer; check the connection"
	case providers.IsTransient(err):
		return "the connection failed; check it and try again"
	}
	return "an unexpected error happened"
}
