package backend

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/ferry-app/ferry/backend/api"
)

var envLookup = os.Getenv

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with the contract's error body.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, api.Error{Code: code, Message: msg})
}

// httpError is an error that knows how the client should see it.
type httpError struct {
	status int
	code   string
	msg    string
	// retryAfter, when set, is sent as Retry-After (whole seconds, rounded up).
	retryAfter time.Duration
	local      bool // api.Error.Local
}

func (e *httpError) Error() string { return e.code + ": " + e.msg }

func errorf(status int, code, format string, args ...any) *httpError {
	return &httpError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// fail answers err: an *httpError as itself, anything else as a logged 500
// whose detail stays in the log.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		if he.retryAfter > 0 {
			setRetryAfter(w, he.retryAfter)
		}
		writeJSON(w, he.status, api.Error{Code: he.code, Message: he.msg, Local: he.local})
		return
	}
	s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, api.CodeInternal, "internal error")
}

// setRetryAfter sets Retry-After to d in whole seconds, rounded up so a
// client that waits exactly that long is not refused again.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
}

// decodeJSON reads one JSON object from a size-limited body, refusing
// unknown trailing data.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, api.CodeTooLarge, "request body too large")
		}
		return errorf(http.StatusBadRequest, api.CodeBadRequest, "invalid JSON body")
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, api.CodeBadRequest, "trailing data after JSON body")
	}
	return nil
}
