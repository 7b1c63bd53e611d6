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
		return T("you need to sign in again")
	case errors.Is(err, providers.ErrPermissionDenied):
		return T("you do not have permission")
	case errors.Is(err, providers.ErrNotFound):
		return T("it no longer exists")
	case errors.Is(err, providers.ErrOutsideRoot):
		return T("it leads outside the folders Ferry may show")
	case errors.Is(err, providers.ErrRateLimited):
		return T("the service is busy; try again in a minute")
	case errors.Is(err, providers.ErrNotFolder):
		return T("it is not a folder")
	case errors.Is(err, context.DeadlineExceeded):
		return T("the service took too long to answer; check the connection")
	case providers.IsTransient(err):
		return T("the connection failed; check it and try again")
	}
	return T("an unexpected error happened")
}
