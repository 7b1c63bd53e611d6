package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/auth"
)

// signInDialog is the browser sign-in of one remote: "Continue in your
// browser…" with Cancel and Copy link, a field to paste the address the
// browser ended on, and then the outcome explained (success, or what went
// wrong and what to do). Esc cancels it. The authorization link itself is
// never shown: it only goes to the clipboard when the person asks.
type signInDialog struct {
	m      *Main
	remote string
	title  string

	ctx    context.Context
	cancel context.CancelFunc
	paste  chan string

	link string // the authorization URL, once known (UI goroutine only)

	d         *dialog.CustomDialog
	msg       *widget.Label
	status    *widget.Label
	copyBtn   *widget.Button
	pasteIn   *escEntry
	pasteBtn  *widget.Button
	cancelBtn *widget.Button
	closeBtn  *widget.Button
	retryBtn  *widget.Button
	body      *fyne.Container
	finished  bool
	outcome   error // the sign-in's error once finished (nil: signed in)
}

// requestSignIn signs in to remote (adding an account, or again for one
// that needs it). title is how the remote is called ("Google Drive").
func (m *Main) requestSignIn(remote, title string) {
	if title == "" {
		title = remote
	}
	if m.deps.Accounts == nil {
		m.showInfo(T("Sign in"), T("Signing in to cloud accounts is not available in this build."))
		return
	}
	s := &signInDialog{m: m, remote: remote, title: SafeName(title), paste: make(chan string, 1)}
	s.ctx, s.cancel = context.WithCancel(m.ctx)
	s.build()
	m.signIn = s
	m.showDialog(s.d)
	s.start()
}

func (s *signInDialog) build() {
	s.msg = &widget.Label{Text: T("Continue in your browser… Sign in to {{.Title}} there; Ferry finishes by itself when you are done.", "Title", s.title), Wrapping: fyne.TextWrapWord}
	s.status = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance}
	s.copyBtn = &widget.Button{Text: T("Copy link"), Icon: theme.ContentCopyIcon(), OnTapped: s.copyLink}
	s.copyBtn.Disable()
	s.pasteIn = newEscEntry(s.cancelByKey)
	s.pasteIn.SetPlaceHolder(T("Paste the address the browser ended on"))
	s.pasteIn.OnSubmitted = func(string) { s.submitPaste() }
	s.pasteBtn = &widget.Button{Text: T("Continue"), OnTapped: s.submitPaste}
	hint := &widget.Label{Text: T("If the browser is on another computer, or ends on a page that cannot be reached, copy that page's address and paste it here."), Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance}
	s.cancelBtn = &widget.Button{Text: T("Cancel"), Icon: theme.CancelIcon(), OnTapped: s.cancelByKey}
	s.closeBtn = &widget.Button{Text: T("Close"), Importance: widget.HighImportance, OnTapped: func() { s.d.Hide() }}
	s.retryBtn = &widget.Button{Text: T("Try again"), Icon: theme.ViewRefreshIcon(), OnTapped: s.retry}
	s.body = container.NewVBox(s.msg, s.status, hint, container.NewBorder(nil, nil, nil, s.pasteBtn, s.pasteIn))
	s.d = dialog.NewCustomWithoutButtons(T("Sign in to {{.Title}}", "Title", s.title), s.body, s.m.win)
	s.d.SetButtons([]fyne.CanvasObject{s.cancelBtn, s.copyBtn})
	s.d.Resize(fyne.NewSize(520, 0))
	s.d.SetOnClosed(func() {
		s.cancel()
		if s.m.signIn == s {
			s.m.signIn = nil
		}
	})
}

// start runs the sign-in off the UI goroutine.
func (s *signInDialog) start() {
	m := s.m
	opts := auth.Options{
		Paste: s.paste,
		OnURL: func(u string) {
			onMain(func() {
				s.link = u
				s.copyBtn.Enable()
			})
		},
		OnBrowserError: func(error) {
			onMain(func() {
				s.status.Importance = widget.WarningImportance
				s.status.SetText(T("No web browser could be opened. Copy the link, open it in a browser, and paste the address where the sign-in ends."))
			})
		},
		OnPasteError: func(error) {
			onMain(func() {
				s.status.Importance = widget.WarningImportance
				s.status.SetText(T("That address does not belong to this sign-in. Paste the address of the page where this sign-in ended."))
				s.pasteIn.Enable()
				s.pasteBtn.Enable()
			})
		},
	}
	ctx := s.ctx
	m.browser.jobs.Add(1)
	go func() {
		defer m.browser.jobs.Done()
		who, err := m.deps.Accounts.SignIn(ctx, s.remote, opts)
		cancelled := ctx.Err() != nil
		onMain(func() { s.finish(who, err, cancelled) })
	}()
}

func (s *signInDialog) copyLink() {
	if s.link == "" {
		return
	}
	fyne.CurrentApp().Clipboard().SetContent(s.link)
	s.status.Importance = widget.MediumImportance
	s.status.SetText(T("Link copied. Open it in a web browser to sign in."))
}

func (s *signInDialog) submitPaste() {
	v := s.pasteIn.Text
	if v == "" || s.finished {
		return
	}
	s.pasteIn.SetText("")
	select {
	case s.paste <- v:
		s.status.Importance = widget.MediumImportance
		s.status.SetText(T("Checking the address…"))
	default: // the last one is still being checked
	}
}

// cancelByKey is Cancel and Esc: it ends the sign-in and closes the dialog.
func (s *signInDialog) cancelByKey() {
	s.cancel()
	s.d.Hide()
}

func (s *signInDialog) retry() {
	s.d.Hide()
	s.m.requestSignIn(s.remote, s.title)
}

// finish explains the outcome in the dialog (a cancelled sign-in just
// closes it) and refreshes the accounts.
func (s *signInDialog) finish(who string, err error, cancelled bool) {
	s.finished = true
	s.outcome = err
	m := s.m
	m.sidebar.reload()
	if cancelled || (err != nil && isCancel(err)) {
		m.status.SetText(T("Sign-in cancelled."))
		s.d.Hide()
		return
	}
	if needsPassword(err) { // a WebDAV server without browser sign-in
		s.d.Hide()
		m.askPassword(s.remote, s.title)
		return
	}
	if err == nil {
		text := T("You are signed in to {{.Title}}. Its files are listed on the left.", "Title", s.title)
		if who != "" {
			text = T("You are signed in to {{.Title}} as {{.Who}}. Its files are listed on the left.", "Title", s.title, "Who", SafeName(who))
		}
		s.body.Objects = []fyne.CanvasObject{&widget.Label{Text: text, Wrapping: fyne.TextWrapWord}}
		s.body.Refresh()
		s.d.SetButtons([]fyne.CanvasObject{s.closeBtn})
		m.status.SetText(T("Signed in to {{.Title}}.", "Title", s.title))
		if m.pick != nil && m.pick.opts.Source == s.remote {
			m.pick.openSource(m, false) // the picker shows the new account at once
		}
		return
	}
	p := explain(err)
	s.body.Objects = []fyne.CanvasObject{
		&widget.Label{Text: T("Signing in to {{.Title}} did not finish.", "Title", s.title), TextStyle: fyne.TextStyle{Bold: true}},
		problemView(p),
	}
	s.body.Refresh()
	s.closeBtn.Importance = widget.MediumImportance
	s.retryBtn.Importance = widget.HighImportance
	s.d.SetButtons([]fyne.CanvasObject{s.closeBtn, s.retryBtn})
	m.status.SetText(T("Sign-in failed."))
}

// escEntry is an Entry that hands Esc to onEsc (Fyne's Entry ignores it,
// and a focused widget gets keys before the window does).
type escEntry struct {
	widget.Entry
	onEsc func()
}

func newEscEntry(onEsc func()) *escEntry {
	e := &escEntry{onEsc: onEsc}
	e.ExtendBaseWidget(e)
	return e
}

func (e *escEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && e.onEsc != nil {
		e.onEsc()
		return
	}
	e.Entry.TypedKey(ev)
}
