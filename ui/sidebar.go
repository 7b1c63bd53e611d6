package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/local"
)

// AccountStatus is what the sidebar says about an account.
type AccountStatus string

// Account statuses main reports (from the vault, and from trying the account).
const (
	StatusSignedIn    AccountStatus = "signed-in"
	StatusNeedsSignIn AccountStatus = "needs-sign-in"
	StatusOffline     AccountStatus = "offline"     // the service cannot be reached now
	StatusNoKeychain  AccountStatus = "no-keychain" // signed in for this session only
)

// AccountView is one signed-in account as the sidebar lists it.
type AccountView struct {
	Remote  string // the remote's name ("gdrive", "acme-cloud"): passed back to OpenRemote
	Title   string // the provider's title: "Google Drive"
	Account string // the vault's account ID: passed back to OpenRemote
	Name    string // display name or email
	Status  AccountStatus
	Reason  string // why, for a status other than signed in
	// Service marks the upload service's own sign-in: not browsable, so
	// not in the sidebar, but the menu offers to sign out of it.
	Service bool
}

// SourceView is one remote "Add account" offers.
type SourceView struct {
	Remote string // the remote's name, passed to SignIn
	Title  string // "Google Drive"
	// Unavailable says why the remote cannot be used yet (no client ID from
	// the administrator); "" when sign-in can start.
	Unavailable string
	// NeedsSetup marks an OAuth source without a client ID (the window
	// explains what the administrator must do); Err another reason it
	// cannot be used.
	NeedsSetup bool
	Err        error
}

func statusText(s AccountStatus) string {
	switch s {
	case StatusSignedIn:
		return ""
	case StatusNeedsSignIn:
		return T("Sign in again")
	case StatusOffline:
		return T("Offline")
	case StatusNoKeychain:
		return T("This session only")
	}
	return string(s)
}

type sideKind int

const (
	sideHeader sideKind = iota
	sidePlace
	sideAccount
	sideAdd
	sideNotice
)

type sideRow struct {
	kind   sideKind
	label  string
	detail string
	icon   fyne.Resource
	place  providers.Entry
	acct   AccountView
}

// sidebar lists This Computer's places, then the accounts grouped by
// provider with their status, then "Add account".
type sidebar struct {
	m    *Main
	rows []sideRow
	list *widget.List
	menu *fyne.Menu // the last "Add account" menu shown
	// service holds the upload service's own sign-ins, for the menu.
	service []AccountView
}

func newSidebar(m *Main) *sidebar {
	s := &sidebar{m: m}
	s.list = widget.NewList(func() int { return len(s.rows) }, s.createRow, s.updateRow)
	s.list.OnSelected = s.onSelected
	return s
}

func (s *sidebar) createRow() fyne.CanvasObject {
	label := &widget.Label{Text: "Documents", Truncation: fyne.TextTruncateEllipsis}
	detail := &widget.Label{Text: "Sign in again", Importance: widget.LowImportance}
	return container.NewBorder(nil, nil, widget.NewIcon(theme.FolderIcon()), detail, label)
}

func (s *sidebar) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(s.rows) {
		return
	}
	r := s.rows[i]
	c := o.(*fyne.Container)
	label, icon, detail := c.Objects[0].(*widget.Label), c.Objects[1].(*widget.Icon), c.Objects[2].(*widget.Label)
	label.TextStyle = fyne.TextStyle{Bold: r.kind == sideHeader}
	label.Importance = widget.MediumImportance
	if r.kind == sideNotice {
		label.Importance = widget.LowImportance
	}
	label.SetText(r.label)
	icon.SetResource(r.icon)
	detail.Importance = widget.LowImportance
	if r.kind == sideAccount && r.acct.Status == StatusNeedsSignIn {
		detail.Importance = widget.WarningImportance
	}
	detail.SetText(r.detail)
}

// placeIcon picks an icon for a This Computer root by its name.
func placeIcon(e providers.Entry, places []local.Place) fyne.Resource {
	for _, p := range places {
		if p.Path == e.ID {
			switch p.Kind {
			case local.KindHome:
				return theme.HomeIcon()
			case local.KindDesktop:
				return theme.ComputerIcon()
			case local.KindDocuments:
				return theme.DocumentIcon()
			case local.KindDownloads:
				return theme.DownloadIcon()
			case local.KindVolume:
				return theme.StorageIcon()
			}
		}
	}
	return theme.FolderIcon()
}

// reload rebuilds the rows off the UI goroutine: the places of This
// Computer, the accounts (Deps.Accounts; none when main wires none).
func (s *sidebar) reload() {
	m := s.m
	m.browser.jobs.Add(1)
	go func() {
		defer m.browser.jobs.Done()
		ctx, cancel := context.WithTimeout(m.ctx, providerTimeout)
		defer cancel()
		roots, _ := m.local.Prov.Roots(ctx)
		var places []local.Place
		if lp, ok := m.local.Prov.(*local.Provider); ok {
			places = lp.Places()
		}
		var accts []AccountView
		var acctErr error
		if m.deps.Accounts != nil {
			accts, acctErr = m.deps.Accounts(ctx)
		}
		rows := []sideRow{{kind: sideHeader, label: T("This Computer"), icon: theme.ComputerIcon()}}
		for _, r := range roots {
			rows = append(rows, sideRow{kind: sidePlace, label: SafeName(r.Name), icon: placeIcon(r, places), place: r})
		}
		if acctErr != nil {
			rows = append(rows, sideRow{kind: sideNotice, label: T("Accounts cannot be read now"), icon: theme.WarningIcon()})
		}
		group := ""
		var service []AccountView
		for _, a := range accts {
			if a.Service {
				service = append(service, a)
				continue
			}
			if a.Title != group {
				group = a.Title
				rows = append(rows, sideRow{kind: sideHeader, label: SafeName(a.Title), icon: theme.StorageIcon()})
			}
			name := a.Name
			if name == "" {
				name = a.Account
			}
			rows = append(rows, sideRow{kind: sideAccount, label: SafeName(name), detail: statusText(a.Status), icon: accountIcon(a.Status), acct: a})
		}
		rows = append(rows, sideRow{kind: sideAdd, label: T("Add account…"), icon: theme.ContentAddIcon()})
		onMain(func() {
			s.service = service
			s.rows = rows
			s.list.Refresh()
		})
	}()
}

func accountIcon(st AccountStatus) fyne.Resource {
	switch st {
	case StatusNeedsSignIn:
		return theme.WarningIcon()
	case StatusOffline:
		return theme.CancelIcon()
	}
	return theme.AccountIcon()
}

func (s *sidebar) onSelected(i widget.ListItemID) {
	s.list.Unselect(i)
	if i >= len(s.rows) {
		return
	}
	r := s.rows[i]
	switch r.kind {
	case sidePlace:
		s.m.browser.openSource(s.m.local, r.place.ID)
	case sideAccount:
		s.m.openAccount(r.acct)
	case sideAdd:
		s.showAddMenu()
	}
}

// showAddMenu lists the remotes the configuration enables; one without a
// client ID explains that the administrator must set one.
func (s *sidebar) showAddMenu() {
	m := s.m
	m.browser.jobs.Add(1)
	go func() {
		defer m.browser.jobs.Done()
		ctx, cancel := context.WithTimeout(m.ctx, providerTimeout)
		defer cancel()
		srcs, err := m.sources(ctx)
		onMain(func() { s.presentAddMenu(srcs, err) })
	}()
}

func (s *sidebar) presentAddMenu(srcs []SourceView, err error) {
	m := s.m
	if err != nil || len(srcs) == 0 {
		msg := T("No cloud sources are set up. Your administrator can enable Google Drive, Dropbox, OneDrive, Box or WebDAV in Ferry's configuration.")
		if err != nil {
			msg = T("The list of sources cannot be read now.") + " " + oneLine(err)
		}
		m.showInfo(T("Add account"), msg)
		return
	}
	var items []*fyne.MenuItem
	for _, src := range srcs {
		switch {
		case src.Unavailable != "":
		case src.NeedsSetup:
			src.Unavailable = needsSetupText(src.Title, src.Remote)
		case src.Err != nil:
			src.Unavailable = oneLine(src.Err)
		}
		label := src.Title
		if src.Remote != "" && src.Remote != src.Title {
			label = fmt.Sprintf("%s (%s)", src.Title, src.Remote)
		}
		if src.Unavailable != "" {
			label += " — " + T("needs setup")
		}
		items = append(items, fyne.NewMenuItem(label, func() {
			if src.Unavailable != "" {
				m.showInfo(T("{{.Title}} is not set up", "Title", src.Title), src.Unavailable)
				return
			}
			m.requestSignIn(src.Remote, src.Title)
		}))
	}
	s.menu = fyne.NewMenu(T("Add account"), items...)
	m.addMenu = widget.NewPopUpMenu(s.menu, m.win.Canvas())
	m.addMenu.ShowAtPosition(fyne.NewPos(20, m.win.Canvas().Size().Height/2))
}

// defaultSources lists the registered kinds when main gives no Sources:
// OAuth kinds cannot be used before the administrator sets a client ID.
func defaultSources() []SourceView {
	var out []SourceView
	for _, k := range providers.Kinds() {
		if k.Type == "local" {
			continue
		}
		v := SourceView{Remote: k.Type, Title: k.Title}
		if k.NeedsClientID {
			v.Unavailable = needsSetupText(k.Title, k.Type)
		}
		out = append(out, v)
	}
	return out
}

func needsSetupText(title, remote string) string {
	return T("Your administrator must register an app with {{.Title}} and set its client ID in Ferry's configuration (providers.{{.Type}}.client_id) before accounts can be added.", "Title", title, "Type", remote)
}
