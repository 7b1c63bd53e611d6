package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
	sideRoot     // one of an opened account's roots (Shared with me, a team space, a SharePoint library)
	sideRecent   // the files picked or uploaded through Ferry
	sideBookmark // a folder the person added (or GTK's bookmarks, read-only)
)

type sideRow struct {
	kind   sideKind
	label  string
	detail string
	icon   fyne.Resource
	place  providers.Entry // a This Computer place, or an account's root
	acct   app.Account
	mark   bookmark
}

// sidebar lists This Computer's places and Recent, the mounted volumes,
// the folders the person added, then the accounts grouped by provider with
// their status, then "Add account".
type sidebar struct {
	m    *Main
	rows []sideRow
	list *sideList
	menu *fyne.Menu // the last "Add account" or row menu shown
	// service holds the upload service's own sign-ins, for the menu.
	service []app.Account
	// bookmarksFile is Ferry's bookmarks.json; gtkFile GTK's bookmarks.
	bookmarksFile, gtkFile string
	recent                 *source // the Recent folder; nil without a history
}

func newSidebar(m *Main) *sidebar {
	s := &sidebar{m: m, bookmarksFile: bookmarksPath(), gtkFile: gtkBookmarksPath()}
	s.list = &sideList{esc: m.escape}
	s.list.Length = func() int { return len(s.rows) }
	s.list.CreateItem = s.createRow
	s.list.UpdateItem = s.updateRow
	s.list.ExtendBaseWidget(s.list)
	s.list.OnSelected = s.onSelected
	m.browser.onBookmark = s.addBookmark
	if m.deps.History != nil && m.local != nil {
		rp := recentProvider{hist: m.deps.History, local: m.local.Prov}
		s.recent = &source{Key: "local", Title: T("Recent"), Prov: rp, Feat: providers.FeaturesOf(rp), Local: true}
	}
	return s
}

// sideList is the sidebar's list; Esc on it does what Esc does elsewhere.
type sideList struct {
	widget.List
	esc func()
}

func (l *sideList) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && l.esc != nil {
		l.esc()
		return
	}
	l.List.TypedKey(ev)
}

// sideItem is one row; a right click on it opens the row's menu.
type sideItem struct {
	widget.BaseWidget
	s   *sidebar
	idx int
	c   *fyne.Container
}

func (r *sideItem) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.c) }

func (r *sideItem) TappedSecondary(ev *fyne.PointEvent) { r.s.showRowMenu(r.idx, ev.AbsolutePosition) }

func (s *sidebar) createRow() fyne.CanvasObject {
	label := &widget.Label{Text: "Documents", Truncation: fyne.TextTruncateEllipsis}
	detail := &widget.Label{Text: "Sign in again", Importance: widget.LowImportance}
	r := &sideItem{s: s, idx: -1, c: container.NewBorder(nil, nil, widget.NewIcon(theme.FolderIcon()), detail, label)}
	r.ExtendBaseWidget(r)
	return r
}

// rowMenu returns the context menu of row i: "Remove from sidebar" for a
// folder the person added.
func (s *sidebar) rowMenu(i int) *fyne.Menu {
	if i < 0 || i >= len(s.rows) {
		return nil
	}
	r := s.rows[i]
	if r.kind != sideBookmark || r.mark.gtk {
		return nil
	}
	path := r.mark.Path
	return fyne.NewMenu("", fyne.NewMenuItem(T("Remove from sidebar"), func() { s.removeBookmark(path) }))
}

func (s *sidebar) showRowMenu(i int, at fyne.Position) {
	menu := s.rowMenu(i)
	c := fyne.CurrentApp().Driver().CanvasForObject(s.list)
	if menu == nil || c == nil {
		return
	}
	s.menu = menu
	widget.ShowPopUpMenuAtPosition(menu, c, at)
}

func (s *sidebar) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(s.rows) {
		return
	}
	r := s.rows[i]
	item := o.(*sideItem)
	item.idx = i
	c := item.c
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
			case local.KindPictures:
				return theme.MediaPhotoIcon()
			case local.KindMusic:
				return theme.MediaMusicIcon()
			case local.KindVideos:
				return theme.MediaVideoIcon()
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
		var volumes []sideRow
		for _, r := range roots {
			row := sideRow{kind: sidePlace, label: placeName(r, places), icon: placeIcon(r, places), place: r}
			if isVolume(r, places) {
				volumes = append(volumes, row)
				continue
			}
			rows = append(rows, row)
		}
		if s.recent != nil {
			rows = append(rows, sideRow{kind: sideRecent, label: T("Recent"), icon: theme.HistoryIcon()})
		}
		if len(volumes) > 0 {
			rows = append(rows, sideRow{kind: sideHeader, label: T("Devices"), icon: theme.StorageIcon()})
			rows = append(rows, volumes...)
		}
		rows = append(rows, s.bookmarkRows(roots)...)
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
	case sideRecent:
		s.m.browser.openSource(s.recent, "")
	case sideBookmark:
		s.m.browser.openSource(s.m.local, r.mark.Path)
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

// placeName is a place's name in the sidebar: the known folders' names
// translated, others (volumes, folders) as they are.
func placeName(e providers.Entry, places []local.Place) string {
	for _, p := range places {
		if p.Path != e.ID {
			continue
		}
		switch p.Kind {
		case local.KindHome:
			return T("Home")
		case local.KindDesktop:
			return T("Desktop")
		case local.KindDocuments:
			return T("Documents")
		case local.KindDownloads:
			return T("Downloads")
		case local.KindPictures:
			return T("Pictures")
		case local.KindMusic:
			return T("Music")
		case local.KindVideos:
			return T("Videos")
		}
	}
	return SafeName(e.Name)
}

func isVolume(e providers.Entry, places []local.Place) bool {
	for _, p := range places {
		if p.Path == e.ID {
			return p.Kind == local.KindVolume
		}
	}
	return false
}

// bookmarkRows are the folders the person added, then GTK's bookmarks not
// among them, under a "Bookmarks" heading; off the UI goroutine. Folders
// that no longer exist are left out (and kept in the file: a volume may be
// unplugged), and so are folders outside This Computer's places (roots),
// which browsing never leaves.
func (s *sidebar) bookmarkRows(roots []providers.Entry) []sideRow {
	var rows []sideRow
	own, err := loadBookmarks(s.bookmarksFile)
	if err != nil {
		rows = append(rows, sideRow{kind: sideNotice, label: T("Your sidebar folders cannot be read"), icon: theme.WarningIcon()})
	}
	seen := map[string]bool{}
	for _, b := range append(own, loadGTKBookmarks(s.gtkFile)...) {
		if seen[b.Path] || !isDir(b.Path) || !insideAny(b.Path, roots) {
			continue
		}
		seen[b.Path] = true
		rows = append(rows, sideRow{kind: sideBookmark, label: SafeName(b.label()), icon: theme.FolderIcon(), mark: b})
	}
	if len(rows) == 0 {
		return nil
	}
	return append([]sideRow{{kind: sideHeader, label: T("Bookmarks"), icon: theme.FolderIcon()}}, rows...)
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// insideAny reports whether path is one of the roots or lies inside one.
func insideAny(path string, roots []providers.Entry) bool {
	for _, r := range roots {
		if rel, err := filepath.Rel(r.ID, path); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}
