package auth

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"github.com/ferry-app/ferry/assets"
)

// callbackPage is the static page from assets/, filled in server-side (the
// page runs no script and loads nothing).
var callbackPage = template.Must(template.New("callback").Parse(assets.CallbackHTML))

// page is one answer of the loopback listener.
type page struct {
	Status  int
	Title   string
	Message string
	OK      bool
}

var (
	pageSuccess = page{Status: http.StatusOK, OK: true,
		Title: "You are signed in", Message: "Ferry has received your sign-in."}
	pageStateMismatch = page{Status: http.StatusBadRequest,
		Title:   "This page belongs to another sign-in",
		Message: "Ferry is still waiting for the sign-in it started last. Use the newest browser tab Ferry opened, or start again from Ferry."}
	pageAlreadyDone = page{Status: http.StatusBadRequest,
		Title:   "This sign-in is already finished",
		Message: "Ferry has already handled this sign-in and does not accept it a second time."}
	pageBadRequest = page{Status: http.StatusBadRequest,
		Title: "Bad request", Message: "This address only answers the browser that Ferry sent to sign in."}
	pageMethod = page{Status: http.StatusMethodNotAllowed,
		Title: "Bad request", Message: "This address only answers the browser that Ferry sent to sign in."}
)

func errorPage(err error) page {
	var oe *OAuthError
	switch {
	case errors.Is(err, ErrCancelled):
		return page{Status: http.StatusOK, Title: "Sign-in cancelled", Message: "You cancelled the sign-in. Nothing was changed."}
	case errors.Is(err, ErrIssuerMismatch):
		return page{Status: http.StatusBadRequest, Title: "Sign-in failed",
			Message: "The answer came from a different sign-in server than the one Ferry asked, so Ferry ignored it."}
	case errors.As(err, &oe):
		msg := "The sign-in server answered: " + oe.Code
		if oe.Description != "" {
			msg += " — " + oe.Description
		}
		return page{Status: http.StatusOK, Title: "Sign-in failed", Message: msg}
	}
	return page{Status: http.StatusOK, Title: "Sign-in failed", Message: "Ferry could not complete the sign-in. Details are shown in Ferry."}
}

func (p page) write(w http.ResponseWriter) {
	var buf bytes.Buffer
	if err := callbackPage.Execute(&buf, p); err != nil {
		http.Error(w, p.Title, p.Status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(p.Status)
	w.Write(buf.Bytes())
}
