package ui

// WebDAV and Nextcloud servers a person adds themselves: no administrator
// is needed for them, so "Add account" always offers one, by address.
// Nextcloud signs in through the browser (Login Flow v2); a plain WebDAV
// server asks for a login name and password here, in the window.

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/providers"
)

// webdavDialogs are the address and password forms, kept for tests.
type webdavDialogs struct {
	address       *widget.Entry
	addressForm   *dialog.FormDialog
	user, pass    *widget.Entry
	passwordForm  *dialog.FormDialog
	passwordTitle string
}

// askWebDAVAddress asks for a server's address, adds it to the person's
// configuration and starts its sign-in.
func (m *Main) askWebDAVAddress() {
	entry := &widget.Entry{PlaceHolder: "https://cloud.example.org"}
	items := []*widget.FormItem{{Text: T("Server address"), Widget: entry,
		HintText: T("The address of your Nextcloud, ownCloud or WebDAV folder.")}}
	d := dialog.NewForm(T("Add a WebDAV or Nextcloud server"), T("Continue"), T("Cancel"), items, func(ok bool) {
		if !ok || entry.Text == "" {
			return
		}
		address := entry.Text
		m.browser.jobs.Add(1)
		go func() {
			defer m.browser.jobs.Done()
			ctx, cancel := context.WithTimeout(m.ctx, providerTimeout)
			remote, err := m.deps.Accounts.AddWebDAV(ctx, address)
			cancel()
			onMain(func() {
				if err != nil {
					m.showProblem(T("Cannot add this server"), err, nil)
					return
				}
				m.requestSignIn(remote, SafeName(remote))
			})
		}()
	}, m.win)
	d.Resize(fyne.NewSize(520, 0))
	m.webdav.address, m.webdav.addressForm = entry, d
	m.showDialog(d)
	m.win.Canvas().Focus(entry)
}

// askPassword signs in to a server that takes a login name and password.
func (m *Main) askPassword(remote, title string) {
	user := &widget.Entry{}
	pass := &widget.Entry{Password: true}
	items := []*widget.FormItem{{Text: T("Login name"), Widget: user}, {Text: T("Password"), Widget: pass,
		HintText: T("Kept only in Ferry's encrypted vault.")}}
	heading := T("Sign in to {{.Title}}", "Title", title)
	d := dialog.NewForm(heading, T("Sign in"), T("Cancel"), items, func(ok bool) {
		if !ok {
			return
		}
		login, password := user.Text, pass.Text
		pass.SetText("") // not kept in the widget once used
		m.status.SetText(T("Signing in to {{.Title}}…", "Title", title))
		m.browser.jobs.Add(1)
		go func() {
			defer m.browser.jobs.Done()
			ctx, cancel := context.WithTimeout(m.ctx, providerTimeout)
			who, err := m.deps.Accounts.SignInWithPassword(ctx, remote, login, password)
			cancel()
			onMain(func() {
				m.sidebar.reload()
				if err != nil {
					m.status.SetText("")
					m.showProblem(T("Cannot sign in to {{.Title}}", "Title", title), err, func() { m.askPassword(remote, title) })
					return
				}
				m.status.SetText(T("Signed in to {{.Title}} as {{.Who}}.", "Title", title, "Who", SafeName(who)))
			})
		}()
	}, m.win)
	d.Resize(fyne.NewSize(460, 0))
	m.webdav.user, m.webdav.pass, m.webdav.passwordForm, m.webdav.passwordTitle = user, pass, d, heading
	m.showDialog(d)
	m.win.Canvas().Focus(user)
}

// needsPassword reports a sign-in that found no browser sign-in at the
// server: a plain WebDAV server, which takes a login name and password.
func needsPassword(err error) bool { return errors.Is(err, providers.ErrPasswordSignIn) }
