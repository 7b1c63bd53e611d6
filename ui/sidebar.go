package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/local"
)

func statusText(s app.AccountStatus) string {
	switch s {
	case app.StatusSignedIn:
		return ""
	case app.StatusNeedsSignIn:
		return T("Sign in again")
	case app.StatusOffline:
		return T("Offline")
	case app.StatusNoKeychain:
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
	sideRoot // one of an opened account's roots (Shared with me, a team space, a SharePoint library)
)

type sideRow struct {
	kind   sideKind
	label  string
	detail string
	icon   fyne.Resource
	place  providers.Entry // a This Computer place, or an account's root
	acct   app.Account
}

// sidebar lists This Computer's places, then the accounts grouped by
// provider with their status, then "Add account".
type sidebar struct {
	m    *Main
	rows []sideRow
	list *widget.List
	menu *fyne.Menu // the last "Add account" menu shown
	// service holds the upload service's own sign-ins, for the menu.
	service []app.Account
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
	if r.kind == sideAccount && r.acct.Status == app.StatusNeedsSignIn {
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
		var accts []app.Account
		var acctErr error
		if m.deps.Accounts != nil {
			accts, acctErr = m.deps.Accounts.Accounts(ctx)
		}
		rows := []sideRow{{kind: sideHeader, label: T("This Computer"), icon: theme.ComputerIcon()}}
		for _, r := range roots {
			rows = append(rows, sideRow{kind: sidePlace, label: SafeName(r.Name), icon: placeIcon(r, places), place: r})
		}
		if acctErr != nil {
			rows = append(rows, sideRow{kind: sideNotice, label: T("Accounts cannot be read now"), icon: theme.WarningIcon()})
		}
		group := ""
		var service []app.Account
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
				name = a.ID
			}
			rows = append(rows, sideRow{kind: sideAccount, label: SafeName(name), detail: statusText(a.Status), icon: accountIcon(a.Status), acct: a})
		}
		rows = append(rows, sideRow{kind: sideAdd, label: T("Add account…"), icon: theme.ContentAddIcon()})
		onMain(func() {
			s.service = service
			s.rows = rows
			s.showRoots()
		})
	}()
}

// showRoots lists, under each opened account with more than one root,
// those roots — "Shared with me", shared drives and team spaces, SharePoint
// libraries — so each is one click away. UI goroutine.
func (s *sidebar) showRoots() {
	rows := make([]sideRow, 0, len(s.rows))
	for _, r := range s.rows {
		if r.kind == sideRoot {
			continue
		}
		rows = append(rows, r)
		if r.kind != sideAccount {
			continue
		}
		src := s.m.remotes[r.acct.Remote+"\x00"+r.acct.ID]
		if src == nil || len(src.Roots) < 2 {
			continue
		}
		for _, root := range src.Roots {
			rows = append(rows, sideRow{kind: sideRoot, label: "    " + SafeName(root.Name), icon: theme.FolderIcon(), place: root, acct: r.acct})
		}
	}
	s.rows = rows
	s.list.Refresh()
}

func accountIcon(st app.AccountStatus) fyne.Resource {
	switch st {
	case app.StatusNeedsSignIn:
		return theme.WarningIcon()
	case app.StatusOffline:
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
	case sideRoot:
		if src := s.m.remotes[r.acct.Remote+"\x00"+r.acct.ID]; src != nil {
			s.m.browser.openSource(src, r.place.ID)
		}
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

func (s *sidebar) presentAddMenu(srcs []app.Remote, err error) {
	m := s.m
	var items []*fyne.MenuItem
	if err != nil {
		items = append(items, fyne.NewMenuItem(T("Other sources cannot be listed now"), func() {
			m.showInfo(T("Add account"), T("The list of sources cannot be read now.")+" "+oneLine(err))
		}))
	}
	for _, src := range srcs {
		var unavailable string
		switch {
		case src.NeedsSetup:
			unavailable = needsSetupText(src.Title, src.Name)
		case src.Err != nil:
			unavailable = oneLine(src.Err)
		}
		label := src.Title
		if src.Name != "" && src.Name != src.Title {
			label = fmt.Sprintf("%s (%s)", src.Title, src.Name)
		}
		if unavailable != "" {
			label += " — " + T("needs setup")
		}
		items = append(items, fyne.NewMenuItem(label, func() {
			if unavailable != "" {
				m.showInfo(T("{{.Title}} is not set up", "Title", src.Title), unavailable)
				return
			}
			m.requestSignIn(src.Name, src.Title)
		}))
	}
	// A WebDAV or Nextcloud server needs nobody's setup: always offered.
	items = append(items, fyne.NewMenuItem(T("WebDAV or Nextcloud server…"), m.askWebDAVAddress))
	if !offersCloud(srcs) {
		items = append(items, fyne.NewMenuItem(T("Google Drive, Dropbox, OneDrive, Box…"), func() {
			m.showInfo(T("Cloud drives need your administrator"), T("Google Drive, Dropbox, OneDrive and Box let an app in only after the organisation registers it with them. Ask your administrator to set Ferry up (see the Configuration section of Ferry's README: https://github.com/ferry-app/ferry#configuration-for-admins). A WebDAV or Nextcloud server works without that."))
		}))
	}
	s.menu = fyne.NewMenu(T("Add account"), items...)
	m.addMenu = widget.NewPopUpMenu(s.menu, m.win.Canvas())
	m.addMenu.ShowAtPosition(fyne.NewPos(20, m.win.Canvas().Size().Height/2))
}

func needsSetupText(title, remote string) string {
	return T("Your administrator must register an app with {{.Title}} and set its client ID in Ferry's configuration (providers.{{.Type}}.client_id) before accounts can be added.", "Title", title, "Type", remote)
}

// offersCloud reports whether any OAuth cloud drive is among the remotes
// (set up or not): then each says for itself what it needs.
func offersCloud(srcs []app.Remote) bool {
	for _, r := range srcs {
		if r.Kind != "webdav" {
			return true
		}
	}
	return false
}
