package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/internal/app"
)

// Keyboard: Ctrl+U (Cmd+U on macOS) uploads the selection; Ctrl+, opens
// the settings.
var (
	shortcutUpload   = &desktop.CustomShortcut{KeyName: fyne.KeyU, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutSettings = &desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault}
)

// onShortcut runs the window's own shortcuts, wherever focus is.
func (m *Main) onShortcut(s fyne.Shortcut) {
	switch s.ShortcutName() {
	case shortcutUpload.ShortcutName():
		m.uploadSelection()
	case shortcutSettings.ShortcutName():
		if len(m.dialogs) == 0 {
			m.showSettings()
		}
	}
}

// onEscape is Esc: it closes the top dialog (cancelling a sign-in); with
// none open, a picker is cancelled.
func (m *Main) onEscape() {
	if len(m.dialogs) > 0 {
		m.closeTopDialog()
		return
	}
	if m.pick != nil {
		m.pick.finishCancelled(m)
	}
}

// menuItems is the window menu: settings, the accounts (sign out of one,
// forget all), about.
func (m *Main) menuItems() []*fyne.MenuItem {
	items := []*fyne.MenuItem{
		fyne.NewMenuItem(T("Settings…"), func() { m.showSettings() }),
		fyne.NewMenuItemSeparator(),
	}
	if m.deps.History != nil {
		items = append(items[:1], append([]*fyne.MenuItem{fyne.NewMenuItem(T("Upload history…"), m.showHistory)}, items[1:]...)...)
	}
	for _, r := range m.sidebar.rows {
		if r.kind != sideAccount {
			continue
		}
		a := r.acct
		name := SafeName(a.Name)
		if name == "" {
			name = SafeName(a.ID)
		}
		if a.Status == app.StatusNeedsSignIn {
			items = append(items, fyne.NewMenuItem(T("Sign in to {{.Title}} again ({{.Name}})", "Title", SafeName(a.Title), "Name", name), func() {
				m.requestSignIn(a.Remote, a.Title)
			}))
		}
		if m.deps.Accounts != nil {
			items = append(items, fyne.NewMenuItem(T("Sign out of {{.Title}} ({{.Name}})…", "Title", SafeName(a.Title), "Name", name), func() {
				m.confirmSignOut(a, name)
			}))
		}
	}
	for _, a := range m.sidebar.service {
		a := a
		a.Title = T("the upload service")
		name := SafeName(cmpOr(a.Name, a.ID))
		if a.Status == app.StatusNeedsSignIn {
			items = append(items, fyne.NewMenuItem(T("Sign in to the upload service again ({{.Name}})", "Name", name), func() {
				m.requestSignIn(a.Remote, a.Title)
			}))
		}
		if m.deps.Accounts != nil {
			items = append(items, fyne.NewMenuItem(T("Sign out of the upload service ({{.Name}})…", "Name", name), func() {
				m.confirmSignOut(a, name)
			}))
		}
	}
	if len(m.sidebar.service) == 0 && m.deps.Accounts != nil && m.deps.Accounts.ServiceSignsIn() {
		items = append(items, fyne.NewMenuItem(T("Sign in to the upload service…"), func() {
			m.requestSignIn(app.BackendRemote, T("the upload service"))
		}))
	}
	if m.deps.Accounts != nil {
		items = append(items, fyne.NewMenuItem(T("Forget all accounts…"), m.confirmForgetAll))
	}
	items = append(items, fyne.NewMenuItemSeparator(), fyne.NewMenuItem(T("About Ferry"), func() { m.showAbout() }))
	return items
}

// showMenu pops the menu up under its button.
func (m *Main) showMenu() {
	menu := fyne.NewMenu(T("Menu"), m.menuItems()...)
	pop := widget.NewPopUpMenu(menu, m.win.Canvas())
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(m.menuBtn)
	pop.ShowAtPosition(pos.AddXY(0, m.menuBtn.Size().Height))
}

func (m *Main) confirmSignOut(a app.Account, name string) {
	d := dialog.NewConfirm(T("Sign out?"),
		T("Ferry will ask {{.Title}} to withdraw its access and forget the account {{.Name}} on this computer.", "Title", SafeName(a.Title), "Name", name),
		func(ok bool) {
			if !ok {
				return
			}
			m.runAccountChange(T("Signed out of {{.Title}}.", "Title", SafeName(a.Title)), T("Signing out did not finish"), func(ctx context.Context) error {
				return m.deps.Accounts.SignOut(ctx, a.Remote, a.ID)
			})
			delete(m.remotes, a.Remote+"\x00"+a.ID)
		}, m.win)
	d.SetConfirmText(T("Sign out"))
	d.SetDismissText(T("Cancel"))
	m.showDialog(d)
}

func (m *Main) confirmForgetAll() {
	d := dialog.NewConfirm(T("Forget all accounts?"),
		T("Ferry will forget every saved sign-in on this computer. You can sign in again at any time."),
		func(ok bool) {
			if !ok {
				return
			}
			m.runAccountChange(T("All accounts forgotten."), T("Forgetting the accounts did not finish"), m.deps.Accounts.ForgetAll)
			m.remotes = map[string]*source{}
		}, m.win)
	d.SetConfirmText(T("Forget all"))
	d.SetDismissText(T("Cancel"))
	m.showDialog(d)
}

// runAccountChange runs a sign-out off the UI goroutine, then reloads the
// accounts and says how it went.
func (m *Main) runAccountChange(ok, failedTitle string, f func(ctx context.Context) error) {
	m.browser.jobs.Add(1)
	go func() {
		defer m.browser.jobs.Done()
		ctx, cancel := context.WithTimeout(m.ctx, providerTimeout)
		err := f(ctx)
		cancel()
		onMain(func() {
			m.sidebar.reload()
			if err != nil {
				m.showProblem(failedTitle, err, nil)
				return
			}
			m.status.SetText(ok)
		})
	}()
}
