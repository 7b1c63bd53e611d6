package ui

import (
	"context"
	"errors"
	"net"
	"net/url"
	"regexp"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/upload"
)

// remedy is what a person can do about a problem.
type remedy int

const (
	remedyNone remedy = iota
	remedyRetry
	remedySignIn
	remedyConnection
	remedyAdmin
	remedyOther   // Do says it
	remedyConfirm // the source warns about the file; the person may go on
)

// problem is an error as a person meets it: what happened, what to do, and
// redacted details for whoever helps them. It never holds a raw Go error
// string outside Details, and Details never holds a token, code or
// presigned query.
type problem struct {
	What    string
	Do      string
	Remedy  remedy
	Details string
}

// Text is What and Do in one paragraph.
func (p problem) Text() string {
	if p.Do == "" {
		return p.What
	}
	return p.What + " " + p.Do
}

// explain turns err into a problem. Sentinels and typed errors from auth,
// vault, providers, upload and the backend API decide the words.
func explain(err error) problem {
	var (
		ae  *api.Error
		oe  *auth.OAuthError
		re  *upload.RestrictionError
		se  *upload.SourceError
		ne  net.Error
		ue  *url.Error
		kce *vault.KeychainError
		ce  *providers.ConfirmError
	)
	p := problem{Details: redactDetails(err)}
	switch {
	case err == nil:
		return problem{}
	case errors.Is(err, auth.ErrCancelled), errors.Is(err, context.Canceled):
		p.What = T("Cancelled.")
	case errors.As(err, &ce):
		p.What = T("The service warns about this file: {{.Warning}}", "Warning", SafeName(ce.Warning))
		p.Do, p.Remedy = T("Upload it only if you trust where it came from."), remedyConfirm
	case errors.Is(err, providers.ErrNeedsSignIn): // the one sentinel auth and vault share
		p.What, p.Do, p.Remedy = T("Your sign-in has expired or was withdrawn."), T("Sign in again."), remedySignIn
	case errors.Is(err, auth.ErrTimeout):
		p.What, p.Do, p.Remedy = T("Nobody came back from the browser in time."), T("Try again, and finish signing in within a few minutes."), remedyRetry
	case errors.Is(err, auth.ErrIssuerMismatch):
		p.What, p.Do, p.Remedy = T("The sign-in answer came from an unexpected server, so Ferry did not accept it."), T("Try again; if it happens again, contact your administrator."), remedyAdmin
	case errors.As(err, &oe):
		p.What, p.Do, p.Remedy = T("The sign-in service refused the sign-in."), T("Try again; if it keeps failing, contact your administrator."), remedyAdmin
	case errors.As(err, &re):
		p.What, p.Do, p.Remedy = restrictionReason(re), T("Choose another file, or ask your administrator about the limits."), remedyAdmin
	case errors.As(err, &ae):
		p = explainAPI(ae, p)
	case errors.As(err, &se):
		p.What, p.Do, p.Remedy = sourceReason(se), T("Check that it still exists and is readable, then retry."), remedyRetry
	case errors.Is(err, vault.ErrRevokeFailed):
		p.What, p.Do, p.Remedy = T("The account was removed from this computer, but its service could not be told to withdraw Ferry's access."), T("You can withdraw the access in the account's security settings on the service's website."), remedyOther
	case errors.As(err, &kce):
		p.What, p.Do, p.Remedy = T("The system keychain is not available, so sign-ins cannot be kept."), T("Unlock or set up the keychain, then sign in again."), remedyOther
	case errors.Is(err, providers.ErrPasswordSignIn):
		p.What, p.Do, p.Remedy = T("This server does not offer sign-in in the browser; it takes a login name and password."), T("Sign in again from the sidebar with your login name and password."), remedyOther
	case errors.Is(err, providers.ErrPermissionDenied):
		p.What, p.Do, p.Remedy = T("You do not have permission to read this."), T("Ask its owner or your administrator for access."), remedyAdmin
	case errors.Is(err, providers.ErrNotFound):
		p.What, p.Do, p.Remedy = T("It no longer exists."), T("Refresh the folder and choose again."), remedyRetry
	case errors.Is(err, providers.ErrRateLimited):
		p.What, p.Do, p.Remedy = T("The service is busy."), T("Retry in a minute."), remedyRetry
	case errors.Is(err, upload.ErrClosed):
		p.What, p.Do, p.Remedy = T("The upload stopped before it finished."), T("Retry to continue where it stopped."), remedyRetry
	case errors.Is(err, context.DeadlineExceeded):
		p.What, p.Do, p.Remedy = T("The service took too long to answer."), T("Check the connection and retry."), remedyConnection
	case errors.As(err, &ne), errors.As(err, &ue), providers.IsTransient(err):
		p.What, p.Do, p.Remedy = T("The connection failed."), T("Check the connection and retry."), remedyConnection
	default:
		p.What, p.Do, p.Remedy = T("Something unexpected went wrong."), T("Retry; if it keeps failing, contact your administrator and show them the details."), remedyAdmin
	}
	return p
}

func explainAPI(ae *api.Error, p problem) problem {
	switch {
	case ae.Code == api.CodeStorageUnwritable || ae.Code == api.CodeStorageFull:
		// The backend's sentence says what and where ("Cannot write to
		// /home/ann/…/files: permission denied"); the advice is for the
		// person when the storage is on their own computer.
		p.What = sentence(ae.Message)
		switch {
		case !ae.Local:
			p.Do, p.Remedy = T("Contact your administrator: the upload service cannot store files."), remedyAdmin
		case ae.Code == api.CodeStorageFull:
			p.Do, p.Remedy = T("Free some space on that disk, then retry."), remedyRetry
		default:
			p.Do, p.Remedy = T("Make sure you may write to that folder, then retry."), remedyRetry
		}
	case ae.Code == api.CodeTooLarge:
		p.What, p.Do, p.Remedy = T("The file is larger than your organisation allows."), T("Choose a smaller file, or ask your administrator about the limit."), remedyAdmin
	case ae.Code == api.CodeTooSmall:
		p.What, p.Do, p.Remedy = T("The file is smaller than your organisation allows."), T("Choose another file."), remedyOther
	case ae.Code == api.CodeTypeNotAllowed:
		p.What, p.Do, p.Remedy = T("Your organisation does not accept this type of file."), T("Choose another file, or ask your administrator about the allowed types."), remedyAdmin
	case ae.Code == api.CodeTooManyFiles:
		// The backend's message names the limit, its window and when the
		// next file can start ("the limit is 10 files per day; …").
		p.What = T("Your organisation's file limit is reached: {{.Limit}}", "Limit", sentence(SafeName(ae.Message)))
		p.Do, p.Remedy = T("Retry once the limit allows, or ask your administrator about it."), remedyAdmin
	case ae.Code == api.CodeUnavailable:
		p.What, p.Do, p.Remedy = T("The upload service is unavailable right now."), T("Try again in a few minutes."), remedyRetry
	case ae.NeedsSignIn():
		p.What, p.Do, p.Remedy = T("The upload service did not accept your sign-in."), T("Sign in again."), remedySignIn
	case ae.Code == api.CodeExpired:
		p.What, p.Do, p.Remedy = T("The upload link expired."), T("Retry to get a fresh one."), remedyRetry
	case ae.Forbidden():
		p.What, p.Do, p.Remedy = T("The upload service refused the file."), T("Contact your administrator if this persists."), remedyAdmin
	case ae.Busy():
		p.What, p.Do, p.Remedy = T("The upload service is busy."), T("Retry in a minute."), remedyRetry
	case ae.ServerFault():
		p.What, p.Do, p.Remedy = T("The upload service had an internal problem."), T("Retry later, or contact your administrator."), remedyAdmin
	default:
		p.What, p.Do, p.Remedy = T("The upload service refused the request."), T("Retry; if it keeps failing, contact your administrator and show them the details."), remedyAdmin
	}
	return p
}

var (
	urlInText    = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>]+`)
	bearerInText = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+`)
	secretParam  = regexp.MustCompile(`(?i)\b(access_token|refresh_token|id_token|code|code_verifier|client_secret|state|token|password|x-amz-signature|x-amz-credential|x-amz-security-token|signature|sig)=[^&\s"']+`)
)

// redactDetails is the error text a Details toggle shows: every URL
// without its query, fragment and user info (upload.RedactURL), bearer
// credentials and secret-looking parameters replaced, control and bidi
// characters made visible, and the length bounded.
func redactDetails(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	s = urlInText.ReplaceAllStringFunc(s, upload.RedactURL)
	s = bearerInText.ReplaceAllString(s, "$1 [redacted]")
	s = secretParam.ReplaceAllString(s, "$1=[redacted]")
	s = SafeName(s)
	if r := []rune(s); len(r) > 2000 {
		s = string(r[:2000]) + "…"
	}
	return s
}

// problemView is the body of an error dialog: what happened and what to
// do, with the redacted details behind a "Details" toggle.
func problemView(p problem) fyne.CanvasObject {
	text := &widget.Label{Text: p.Text(), Wrapping: fyne.TextWrapWord}
	if p.Details == "" {
		return text
	}
	details := &widget.Label{Text: p.Details, Wrapping: fyne.TextWrapBreak, Selectable: true}
	acc := widget.NewAccordion(widget.NewAccordionItem(T("Details"), details))
	return container.NewVBox(text, acc)
}

// showProblem shows err in a dialog titled title. A problem a sign-in
// fixes offers "Sign in again" when signIn is not nil.
func (m *Main) showProblem(title string, err error, signIn func()) dialog.Dialog {
	return m.presentProblem(title, explain(err), signIn)
}

// presentProblem shows p in a dialog titled title.
//
// act is the remedy's action: signing in again (remedySignIn), or going on
// despite the source's warning (remedyConfirm); nil offers Close only.
func (m *Main) presentProblem(title string, p problem, act func()) dialog.Dialog {
	box := problemView(p)
	var d dialog.Dialog
	label := map[remedy]string{remedySignIn: T("Sign in again"), remedyConfirm: T("Upload anyway")}[p.Remedy]
	if label != "" && act != nil {
		d = dialog.NewCustomConfirm(title, label, T("Close"), box, func(ok bool) {
			if ok {
				act()
			}
		}, m.win)
	} else {
		d = dialog.NewCustom(title, T("Close"), box, m.win)
	}
	d.Resize(fyne.NewSize(480, 0))
	m.showDialog(d)
	return d
}

// oneLine is a problem in a status line: what happened and what to do.
func oneLine(err error) string { return sentence(explain(err).Text()) }

// isCancel reports an error that only says the person cancelled.
func isCancel(err error) bool {
	return errors.Is(err, auth.ErrCancelled) || errors.Is(err, context.Canceled)
}

// localized is one of upload's reasons in the window's language: its
// template filled from args, or the English reason itself as the key.
func localized(template string, args []any, reason string) string {
	if template == "" {
		return T(reason)
	}
	return T(template, args...)
}

// restrictionReason is a refused file's reason in the window's language.
func restrictionReason(re *upload.RestrictionError) string {
	return localized(re.Template, re.Args, re.Reason)
}

// sourceReason is why a file could not be read, in the window's language,
// as a sentence.
func sourceReason(se *upload.SourceError) string {
	if se.Template == "" && se.Reason == "" {
		return T("The file could not be read.")
	}
	return localized(se.Template, se.Args, se.Reason) + "."
}
