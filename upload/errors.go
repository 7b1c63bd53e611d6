package upload

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/ferry-app/ferry/backend/api"
)

// s3XMLError extracts Code and Message from an S3-style XML error body.
func s3XMLError(data []byte) (code, message string) {
	var x struct {
		XMLName xml.Name `xml:"Error"`
		Code    string   `xml:"Code"`
		Message string   `xml:"Message"`
	}
	if xml.Unmarshal(data, &x) != nil {
		return "", ""
	}
	return x.Code, x.Message
}

// Reason turns an upload error into one sentence a person can act on. It
// never includes a URL, token or signature.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	var ae *api.Error
	var re *RestrictionError
	var de *dupError
	switch {
	case errors.As(err, &re):
		return re.Reason
	case errors.As(err, &de):
		return de.Reason
	case errors.Is(err, ErrClosed):
		return "Stopped before it finished; uploading the same file again resumes it."
	case errors.Is(err, errStalled):
		return "The connection to the storage stopped moving. Check your connection and retry."
	case errors.Is(err, context.Canceled):
		return "Cancelled."
	case errors.Is(err, context.DeadlineExceeded):
		return "The server took too long to answer. Check your connection and retry."
	case errors.As(err, &ae):
		switch {
		case ae.Code == api.CodeTooLarge:
			return "The file is larger than your organisation allows. " + ae.Message
		case ae.Code == api.CodeTooSmall:
			return "The file is smaller than your organisation allows."
		case ae.Code == api.CodeTypeNotAllowed:
			return "Your organisation does not accept this type of file."
		case ae.Code == api.CodeTooManyFiles:
			return "Your organisation's file limit is reached: " + ae.Message
		case ae.Code == api.CodeUnavailable:
			return "The upload service is unavailable right now. Try again in a few minutes."
		case ae.StorageFault():
			return StorageAdvice(ae)
		case ae.NeedsSignIn():
			return "The upload service did not accept your sign-in. Sign in again."
		case ae.Expired():
			return "The upload link expired. Retry to get a fresh one."
		case ae.Forbidden():
			return "The upload service refused the file (" + ae.Code + "). Contact your administrator if this persists."
		case ae.Busy():
			return "The upload service is busy. Ferry will retry; you can also retry later."
		case ae.ServerFault():
			return "The upload service had an internal problem. Retry later or contact your administrator."
		default:
			return "The upload service refused the request (" + ae.Code + ")."
		}
	}
	// SourceError first: a file error's syscall.Errno also satisfies net.Error.
	var se *SourceError
	if errors.As(err, &se) {
		return se.Reason
	}
	var oe *net.OpError
	var ue *url.Error
	if errors.As(err, &oe) || errors.As(err, &ue) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "The connection to the upload service failed. Check your connection and retry."
	}
	return "The upload failed. Retry, or contact your administrator if it keeps failing."
}

// Templates of SourceError reasons that name something.
const (
	ReasonChangedIn  = "The file changed in {{.Remote}} while it was uploading"
	ReasonCannotRead = "Cannot read {{.Name}}"
)

// SourceError is a problem reading the file being uploaded (gone, unreadable,
// changed while uploading).
type SourceError struct {
	// Reason is a sentence fragment a person can act on ("The file changed
	// while it was uploading"). A window translates it as a key, or, when
	// Template is set, translates Template and fills it from Args
	// (alternating keys and values); Reason is then Template filled.
	Reason   string
	Template string
	Args     []any
	Err      error
	// Transient marks a failure worth retrying (a cloud download that broke
	// off); a file that changed or vanished is not.
	Transient bool
}

// sourceError is a SourceError whose reason names something: Template
// filled from kv (alternating keys and values).
func sourceError(err error, tmpl string, kv ...any) *SourceError {
	return &SourceError{Reason: fillTemplate(tmpl, kv), Template: tmpl, Args: kv, Err: err}
}

func (e *SourceError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// StorageAdvice is what a person reads when the storage cannot be written
// to: the backend's "Cannot write to FOLDER: why" and what to do, for the
// person when the folder is theirs (the built-in backend), otherwise for
// their administrator.
func StorageAdvice(ae *api.Error) string {
	what := strings.TrimSuffix(ae.Message, ".") + "."
	switch {
	case !ae.Local:
		return what + " Contact your administrator."
	case ae.Code == api.CodeStorageFull:
		return what + " Free some space on that disk, then retry."
	default:
		return what + " Make sure you may write to that folder, then retry."
	}
}
