package ui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/internal/thumbs"
	"github.com/ferry-app/ferry/providers"
)

// source is one place to browse: This Computer or one cloud account.
type source struct {
	Key     string // identity for thumbnail keys: "local", or remote and account
	Title   string // "This Computer", "Google Drive — ann@example.com"
	Remote  string // the remote's name; "" for This Computer
	Account string
	Prov    providers.Provider
	Feat    providers.Features
	Local   bool // IDs are OS paths (This Computer)
	// Roots are a cloud account's top folders, once known (UI goroutine).
	Roots []providers.Entry
}

// location is what the browser shows: a folder (the trail of folders from
// a root to it) or, with query set, the provider's search results.
type location struct {
	src   *source
	trail []providers.Entry // root first; the last is the folder listed
	query string
	// focus is the ID of the item the cursor goes to once it is listed
	// (the folder Up or Back came from); "" for the first item.
	focus string
}

func (l location) folder() providers.Entry {
	if len(l.trail) == 0 {
		return providers.Entry{}
	}
	return l.trail[len(l.trail)-1]
}

// publishEvery spaces out how often a folder still loading hands a new
// snapshot to the UI goroutine: the first page shows at once, later pages
// arrive in batches so a 100 000-entry folder costs a few dozen refreshes.
const publishEvery = 150 * time.Millisecond

// browser is the folder view: toolbar (back, forward, up, breadcrumbs,
// search, sort, list/grid), the virtualised list or grid, and a status line.
// All fields are owned by the UI goroutine; listing and thumbnails run on
// goroutines that hand results back through onMain.
type browser struct {
	log    *slog.Logger // what the person sees change, for tests that watch the real window
	ctx    context.Context
	thumbs *thumbs.Loader
	rules  func() restrictions

	loc        location
	back, fwd  []location
	gen        int // bumps on every navigation: stale results are dropped
	cancel     context.CancelFunc
	lst        *listing
	all, shown []*item
	loading    bool
	loadErr    string
	spec       sortSpec
	filter     string
	gridMode   bool

	selected   map[string]*item // by ID
	anchor     int              // index in view where a Shift range starts
	cursor     int              // keyboard cursor, index in view
	navFocused bool

	// Type-to-find: the letters typed in quick succession and when the
	// last came; now is the clock (tests set their own).
	findPrefix string
	findAt     time.Time
	now        func() time.Time

	jobs sync.WaitGroup // listing, search and thumbnail goroutines (tests wait on it)

	crumbs                *breadcrumb
	backBtn, fwdBtn, upBt *focusButton
	search                *searchEntry
	sortSel               *escSelect
	orderBtn              *focusButton
	listBtn, gridBtn      *focusButton
	list                  *widget.List
	grid                  *widget.GridWrap
	nav                   *navArea
	status                *widget.Label
	bar                   *fyne.Container // back, forward, up, breadcrumb, list/grid
	root                  fyne.CanvasObject
	toolbar               fyne.CanvasObject // the window lays out toolbar, nav and status itself

	onSelectionChanged func([]*item)
	onCursorChanged    func(*item) // the preview follows the cursor
	// onShortcut receives the window's shortcuts the browser does not
	// handle while it has focus (Ctrl+U, Ctrl+,); onEscape an Esc with
	// no filter and nothing selected.
	onShortcut func(fyne.Shortcut)
	onEscape   func()
	// onBookmark adds a folder to the sidebar ("Add to sidebar"); nil
	// leaves the entry out of the context menu.
	onBookmark func(src *source, folder providers.Entry)
	// onLocation and onViewMode tell the window what to remember across
	// restarts: the folder shown, list or grid.
	onLocation func(location)
	onViewMode func(grid bool)
}

func newBrowser(ctx context.Context, loader *thumbs.Loader, rules func() restrictions) *browser {
	b := &browser{ctx: ctx, thumbs: loader, log: slog.New(slog.DiscardHandler), rules: rules, selected: map[string]*item{}, anchor: -1,
		status: &widget.Label{Truncation: fyne.TextTruncateEllipsis}, now: time.Now}
	b.crumbs = newBreadcrumb(b)
	b.backBtn = newFocusButton("", theme.NavigateBackIcon(), widget.LowImportance, b.goBack, b.escape)
	b.fwdBtn = newFocusButton("", theme.NavigateNextIcon(), widget.LowImportance, b.goForward, b.escape)
	b.upBt = newFocusButton("", theme.MoveUpIcon(), widget.LowImportance, b.goUp, b.escape)
	b.search = newSearchEntry(T("Filter this folder"))
	b.search.esc = b.escape
	b.search.OnChanged = b.setFilter
	b.search.OnSubmitted = b.submitSearch
	sortLabels := []string{T("Name"), T("Size"), T("Modified")}
	b.sortSel = newEscSelect(sortLabels, func(s string) {
		f := map[string]sortField{sortLabels[0]: sortName, sortLabels[1]: sortSize, sortLabels[2]: sortDate}[s]
		b.setSort(sortSpec{Field: f, Desc: b.spec.Desc})
	}, b.escape)
	b.sortSel.SetSelected(sortLabels[0])
	b.orderBtn = newFocusButton("", theme.MenuDropDownIcon(), widget.LowImportance, func() {
		b.setSort(sortSpec{Field: b.spec.Field, Desc: !b.spec.Desc})
	}, b.escape)
	b.listBtn = newFocusButton("", theme.ListIcon(), widget.HighImportance, func() { b.setGrid(false) }, b.escape)
	b.gridBtn = newFocusButton("", theme.GridIcon(), widget.LowImportance, func() { b.setGrid(true) }, b.escape)

	b.list = widget.NewList(b.length, func() fyne.CanvasObject { return newFileRow(b, false) },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*fileRow).bind(i, b.itemAt(i)) })
	b.grid = widget.NewGridWrap(b.length, func() fyne.CanvasObject { return newFileRow(b, true) },
		func(i widget.GridWrapItemID, o fyne.CanvasObject) { o.(*fileRow).bind(i, b.itemAt(i)) })
	b.grid.Hide()
	b.nav = newNavArea(b, container.NewStack(b.list, b.grid))
	b.updateButtons()

	b.bar = container.NewBorder(nil, nil, container.NewHBox(b.backBtn, b.fwdBtn, b.upBt),
		container.NewHBox(b.listBtn, b.gridBtn), b.crumbs.box)
	tools := container.NewBorder(nil, nil, nil, container.NewHBox(b.sortSel, b.orderBtn), b.search)
	toolbar := container.NewVBox(b.bar, tools)
	b.root = container.NewBorder(toolbar, b.status, nil, nil, b.nav)
	b.toolbar = toolbar
	return b
}

func (b *browser) view() fyne.CanvasObject { return b.root }

func (b *browser) theme() fyne.Theme { return fyne.CurrentApp().Settings().Theme() }

// length counts the rows: the items, plus the "loading more" row.
func (b *browser) length() int {
	if b.loading {
		return len(b.shown) + 1
	}
	return len(b.shown)
}

// itemAt returns the item of row i, or nil for the "loading more" row.
func (b *browser) itemAt(i int) *item {
	if i < 0 || i >= len(b.shown) {
		return nil
	}
	return b.shown[i]
}

func (b *browser) loadingText() string {
	if b.loc.query != "" {
		return T("Searching… {{.N}} found so far", "N", len(b.all))
	}
	return T("Loading more… {{.N}} items so far", "N", len(b.all))
}

// Wait blocks until listing, search and thumbnail work started so far has
// finished (tests; the UI never waits).
func (b *browser) Wait() { b.jobs.Wait() }

// open shows loc, remembering the current location for Back.
func (b *browser) open(loc location) {
	if b.loc.src != nil && len(b.loc.trail) > 0 {
		b.back = append(b.back, b.loc)
	}
	b.fwd = nil
	b.show(loc)
}

// openSource starts browsing src at the folder with this ID ("" for its
// default root), resolving the trail of folders off the UI goroutine.
func (b *browser) openSource(src *source, folderID string) {
	b.gen++
	gen := b.gen
	b.status.SetText(T("Opening {{.Title}}…", "Title", src.Title))
	b.jobs.Add(1)
	go func() {
		defer b.jobs.Done()
		trail, err := resolveTrail(b.ctx, src, folderID)
		onMain(func() {
			if gen != b.gen {
				return
			}
			if err != nil {
				b.status.SetText(T("Cannot open {{.Title}}: {{.Reason}}.", "Title", src.Title, "Reason", browseReason(err)))
				return
			}
			b.open(location{src: src, trail: trail})
		})
	}()
}

// resolveTrail finds the folders from a root down to folderID. Local IDs
// are paths, so the trail is the path's components below its root; for
// other sources only a root itself can be opened by ID.
func resolveTrail(ctx context.Context, src *source, folderID string) ([]providers.Entry, error) {
	roots, err := src.Prov.Roots(ctx)
	if err != nil {
		return nil, err
	}
	if len(roots) == 0 {
		return nil, providers.ErrNotFound
	}
	if folderID == "" {
		return []providers.Entry{roots[0]}, nil
	}
	// A local folder's trail starts at the outermost place holding it, so
	// Documents opened from the sidebar reads Home › Documents and Up
	// leads to Home.
	var best *providers.Entry
	for i, r := range roots {
		if r.ID == folderID && !src.Local {
			return []providers.Entry{r}, nil
		}
		if src.Local && (r.ID == folderID || strings.HasPrefix(folderID, strings.TrimSuffix(r.ID, string(filepath.Separator))+string(filepath.Separator))) &&
			(best == nil || len(r.ID) < len(best.ID)) {
			best = &roots[i]
		}
	}
	if best != nil && best.ID == folderID {
		return []providers.Entry{*best}, nil
	}
	if best == nil {
		e, err := src.Prov.Stat(ctx, folderID)
		if err != nil {
			return nil, err
		}
		return []providers.Entry{e}, nil
	}
	trail := []providers.Entry{*best}
	rel, err := filepath.Rel(best.ID, folderID)
	if err != nil {
		return nil, err
	}
	cur := best.ID
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		cur = filepath.Join(cur, part)
		trail = append(trail, providers.Entry{ID: cur, Name: part, Path: cur, IsDir: true, Size: -1})
	}
	if _, err := src.Prov.Stat(ctx, folderID); err != nil {
		return nil, err
	}
	return trail, nil
}

// openByPath opens a cloud folder found by search with the folders above
// it (found by its Path), so Up and the breadcrumb work as if it had been
// reached by browsing. When they cannot be found it opens on its own.
func (b *browser) openByPath(src *source, e providers.Entry) {
	b.gen++
	gen := b.gen
	b.status.SetText(T("Opening {{.Title}}…", "Title", SafeName(e.Name)))
	b.jobs.Add(1)
	go func() {
		defer b.jobs.Done()
		trail, err := trailByPath(b.ctx, src.Prov, e)
		onMain(func() {
			if gen != b.gen {
				return
			}
			if err != nil {
				trail = []providers.Entry{e}
			}
			b.open(location{src: src, trail: trail})
		})
	}()
}

// trailByPath finds the folders from the default root down to e by e.Path
// ("/Reports/2026"), one providers.ResolvePath per folder.
func trailByPath(ctx context.Context, p providers.Provider, e providers.Entry) ([]providers.Entry, error) {
	root, err := providers.ResolvePath(ctx, p, "/")
	if err != nil {
		return nil, err
	}
	trail := []providers.Entry{root}
	parts := strings.Split(strings.Trim(e.Path, "/"), "/")
	for i := 1; i < len(parts); i++ {
		f, err := providers.ResolvePath(ctx, p, "/"+strings.Join(parts[:i], "/"))
		if err != nil {
			return nil, err
		}
		trail = append(trail, f)
	}
	return append(trail, e), nil
}

// show replaces what the browser lists with loc and starts loading it.
func (b *browser) show(loc location) {
	if b.cancel != nil {
		b.cancel()
	}
	b.gen++
	b.loc = loc
	b.lst = &listing{spec: b.spec, want: b.spec}
	b.all, b.shown, b.loading, b.loadErr = nil, nil, true, ""
	b.selected = map[string]*item{}
	b.anchor, b.cursor = -1, 0
	if loc.query == "" && b.search.Text != "" {
		b.filter = ""
		b.search.OnChanged = nil
		b.search.SetText("")
		b.search.OnChanged = b.setFilter
	}
	if loc.src.Feat.Searcher != nil {
		b.search.SetPlaceHolder(T("Filter, or Enter to search {{.Title}}", "Title", loc.src.Title))
	} else {
		b.search.SetPlaceHolder(T("Filter this folder"))
	}
	b.crumbs.set(loc)
	b.updateButtons()
	if b.onLocation != nil {
		b.onLocation(loc)
	}
	b.status.SetText("")
	b.refreshRows()
	b.list.ScrollToTop()
	b.grid.ScrollToTop()
	b.notifySelection()
	b.notifyCursor()

	ctx, cancel := context.WithCancel(b.ctx)
	b.cancel = cancel
	b.jobs.Add(1)
	go b.load(ctx, b.gen, loc, b.lst, b.rules())
}

// load pages through the folder (or search) on its own goroutine and hands
// sorted snapshots to the UI goroutine: the first page at once, then at
// most every publishEvery.
func (b *browser) load(ctx context.Context, gen int, loc location, lst *listing, rules restrictions) {
	defer b.jobs.Done()
	var last time.Time
	token := ""
	for first := true; ; first = false {
		var page providers.Page
		var err error
		if loc.query != "" {
			page, err = loc.src.Feat.Searcher.Search(ctx, loc.query, token)
		} else {
			page, err = loc.src.Prov.List(ctx, loc.folder().ID, token)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			onMain(func() {
				if gen == b.gen {
					b.loading = false
					b.loadErr = T("Cannot list {{.Name}}: {{.Reason}}.", "Name", SafeName(loc.folder().Name), "Reason", browseReason(err))
					b.publish(lst.snapshot(b.spec))
					b.updateStatus()
				}
			})
			return
		}
		items := make([]*item, len(page.Entries))
		for i, e := range page.Entries {
			items[i] = newItem(e, rules)
		}
		lst.add(items)
		token = page.NextPageToken
		done := token == ""
		if first || done || time.Since(last) >= publishEvery {
			last = time.Now()
			snap, spec := lst.current()
			onMain(func() {
				if gen != b.gen {
					return
				}
				if spec != b.spec { // the order changed meanwhile
					snap = lst.snapshot(b.spec)
				}
				b.loading = !done
				b.publish(snap)
				if done {
					b.log.Debug("folder listed", "source", loc.src.Title, "folder", loc.folder().Name, "entries", len(b.shown))
				}
			})
		}
		if done {
			return
		}
	}
}

// publish shows a new snapshot, keeping the selection and cursor on the
// same items.
func (b *browser) publish(all []*item) {
	var cur *item
	if b.cursor >= 0 && b.cursor < len(b.shown) {
		cur = b.shown[b.cursor]
	}
	b.all = all
	b.shown = filterItems(all, b.filter)
	b.cursor = b.indexOf(cur)
	b.anchor = -1
	if b.loc.focus != "" {
		for i, it := range b.shown {
			if it.ID == b.loc.focus {
				b.cursor, cur, b.loc.focus = i, nil, ""
				break
			}
		}
	}
	b.refreshRows()
	b.updateStatus()
	if cur == nil {
		b.scrollToCursor()
		b.notifyCursor()
	}
}

func (b *browser) indexOf(it *item) int {
	if it == nil {
		return 0
	}
	for i, v := range b.shown {
		if v == it {
			return i
		}
	}
	return 0
}

func (b *browser) refreshRows() {
	if b.gridMode {
		b.grid.Refresh()
	} else {
		b.list.Refresh()
	}
}

func (b *browser) updateStatus() {
	switch {
	case b.loadErr != "":
		b.status.SetText(b.loadErr)
	case b.filter != "" && b.loc.query == "":
		b.status.SetText(fmt.Sprintf("%d of %d items match “%s”", len(b.shown), len(b.all), SafeName(b.filter)))
	case b.loc.query != "" && !b.loading:
		b.status.SetText(fmt.Sprintf("%d results for “%s”", len(b.all), SafeName(b.loc.query)))
	case !b.loading && len(b.all) == 0:
		b.status.SetText(T("This folder is empty."))
	case !b.loading:
		b.status.SetText(N("{{.Count}} items", len(b.all)))
	default:
		b.status.SetText("")
	}
}

// setSort re-sorts off the UI goroutine (100 000 entries take a moment).
func (b *browser) setSort(spec sortSpec) {
	if spec == b.spec {
		return
	}
	b.spec = spec
	if spec.Desc {
		b.orderBtn.SetIcon(theme.MenuDropUpIcon())
	} else {
		b.orderBtn.SetIcon(theme.MenuDropDownIcon())
	}
	lst, gen := b.lst, b.gen
	if lst == nil {
		return
	}
	lst.setWant(spec)
	b.jobs.Add(1)
	go func() {
		defer b.jobs.Done()
		snap := lst.snapshot(spec)
		onMain(func() {
			if gen == b.gen && spec == b.spec {
				b.publish(snap)
			}
		})
	}()
}

// setFilter narrows the current folder to names containing q, as typed.
func (b *browser) setFilter(q string) {
	b.filter = q
	if b.loc.query != "" {
		return // the search box holds the provider search's text
	}
	b.publish(b.all)
}

// submitSearch runs the provider's own search (account-wide) when it has
// one; without, Enter just keeps the filter.
func (b *browser) submitSearch(q string) {
	q = strings.TrimSpace(q)
	if b.loc.src == nil || b.loc.src.Feat.Searcher == nil || q == "" {
		return
	}
	loc := location{src: b.loc.src, trail: b.loc.trail, query: q}
	b.open(loc)
}

func (b *browser) focusSearch() {
	if c := fyne.CurrentApp().Driver().CanvasForObject(b.search); c != nil {
		c.Focus(b.search)
	}
}

func (b *browser) setGrid(on bool) {
	b.gridMode = on
	if on {
		b.list.Hide()
		b.grid.Show()
		b.grid.Refresh()
		b.gridBtn.Importance, b.listBtn.Importance = widget.HighImportance, widget.LowImportance
	} else {
		b.grid.Hide()
		b.list.Show()
		b.list.Refresh()
		b.gridBtn.Importance, b.listBtn.Importance = widget.LowImportance, widget.HighImportance
	}
	b.gridBtn.Refresh()
	b.listBtn.Refresh()
	b.scrollToCursor()
	mode := "list"
	if on {
		mode = "grid"
	}
	b.log.Debug("view", "mode", mode, "items", len(b.shown))
	if b.onViewMode != nil {
		b.onViewMode(on)
	}
}

func (b *browser) goBack() {
	if len(b.back) == 0 {
		return
	}
	prev := b.back[len(b.back)-1]
	b.back = b.back[:len(b.back)-1]
	b.fwd = append(b.fwd, b.loc)
	prev.focus = b.loc.folder().ID
	b.show(prev)
}

func (b *browser) goForward() {
	if len(b.fwd) == 0 {
		return
	}
	next := b.fwd[len(b.fwd)-1]
	b.fwd = b.fwd[:len(b.fwd)-1]
	b.back = append(b.back, b.loc)
	b.show(next)
}

// goUp opens the parent folder with the cursor on the folder it came
// from; from search results, the folder searched from.
func (b *browser) goUp() {
	switch {
	case b.loc.src == nil:
	case b.loc.query != "":
		b.open(location{src: b.loc.src, trail: b.loc.trail})
	case len(b.loc.trail) > 1:
		b.open(location{src: b.loc.src, trail: b.loc.trail[:len(b.loc.trail)-1], focus: b.loc.folder().ID})
	}
}

// escape is Esc anywhere in the browser: it clears the filter (or leaves
// search results) first, then the selection, then hands over to the
// window (close a dialog, cancel the picker).
func (b *browser) escape() {
	switch {
	case b.loc.query != "":
		b.open(location{src: b.loc.src, trail: b.loc.trail})
	case b.search.Text != "":
		b.search.SetText("")
	case len(b.selected) > 0:
		b.clearSelection()
	case b.onEscape != nil:
		b.onEscape()
	}
}

func (b *browser) updateButtons() {
	setEnabled(b.backBtn, len(b.back) > 0)
	setEnabled(b.fwdBtn, len(b.fwd) > 0)
	setEnabled(b.upBt, b.loc.query != "" || len(b.loc.trail) > 1)
}

func setEnabled(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

// activate opens a folder, or moves the preview to a file.
func (b *browser) activate(i int) {
	it := b.itemAt(i)
	if it == nil || it.Err != nil {
		return
	}
	if it.IsDir {
		trail := b.loc.trail
		if b.loc.query != "" {
			if b.loc.src.Local { // its path tells the folders above it
				b.openSource(b.loc.src, it.ID)
				return
			}
			if it.Path != "" {
				b.openByPath(b.loc.src, it.Entry)
				return
			}
			trail = nil // the folders above a result without a path are not known
		}
		b.open(location{src: b.loc.src, trail: append(append([]providers.Entry{}, trail...), it.Entry)})
		return
	}
	b.setCursor(i)
}

// click selects as a desktop file manager does: a plain click selects only
// this item, Ctrl (Cmd) toggles it, Shift extends from the anchor.
func (b *browser) click(i int, mod fyne.KeyModifier) {
	it := b.itemAt(i)
	if it == nil {
		return
	}
	b.focusNav()
	switch {
	case mod&fyne.KeyModifierShift != 0 && b.anchor >= 0:
		if mod&fyne.KeyModifierShortcutDefault == 0 {
			b.selected = map[string]*item{}
		}
		lo, hi := min(b.anchor, i), max(b.anchor, i)
		for j := lo; j <= hi; j++ {
			b.selectItem(b.shown[j])
		}
	case mod&(fyne.KeyModifierShortcutDefault|fyne.KeyModifierControl) != 0:
		b.toggle(it)
		b.anchor = i
	default:
		b.selected = map[string]*item{}
		b.selectItem(it)
		b.anchor = i
	}
	b.setCursor(i)
	b.refreshRows()
	b.notifySelection()
}

// selectItem adds it unless the restrictions exclude it.
func (b *browser) selectItem(it *item) {
	if it.reason == "" {
		b.selected[it.ID] = it
	}
}

func (b *browser) toggle(it *item) {
	if _, ok := b.selected[it.ID]; ok {
		delete(b.selected, it.ID)
	} else {
		b.selectItem(it)
	}
}

func (b *browser) isSelected(it *item) bool {
	_, ok := b.selected[it.ID]
	return ok
}

// selectAll selects every item shown (the filter applies) that may be uploaded.
func (b *browser) selectAll() {
	for _, it := range b.shown {
		b.selectItem(it)
	}
	b.refreshRows()
	b.notifySelection()
}

func (b *browser) clearSelection() {
	b.selected = map[string]*item{}
	b.anchor = -1
	b.refreshRows()
	b.notifySelection()
}

// Selection returns the selected items in the order shown.
func (b *browser) Selection() []*item {
	out := make([]*item, 0, len(b.selected))
	if len(b.selected) == 0 {
		return out
	}
	seen := 0
	for _, it := range b.all {
		if _, ok := b.selected[it.ID]; ok {
			out = append(out, it)
			seen++
		}
	}
	if seen < len(b.selected) { // selected, then the listing moved on
		for _, it := range b.selected {
			if b.indexIn(b.all, it) < 0 {
				out = append(out, it)
			}
		}
	}
	return out
}

func (b *browser) indexIn(s []*item, it *item) int {
	for i, v := range s {
		if v.ID == it.ID {
			return i
		}
	}
	return -1
}

func (b *browser) notifySelection() {
	if b.onSelectionChanged != nil {
		b.onSelectionChanged(b.Selection())
	}
}

func (b *browser) setCursor(i int) {
	if i < 0 || i >= len(b.shown) {
		return
	}
	old := b.cursor
	b.cursor = i
	b.refreshRow(old)
	b.refreshRow(i)
	b.scrollToCursor()
	b.notifyCursor()
}

func (b *browser) refreshRow(i int) {
	if b.gridMode {
		b.grid.RefreshItem(i)
	} else {
		b.list.RefreshItem(i)
	}
}

func (b *browser) scrollToCursor() {
	if b.cursor < 0 || b.cursor >= len(b.shown) {
		return
	}
	if b.gridMode {
		b.grid.ScrollTo(b.cursor)
	} else {
		b.list.ScrollTo(b.cursor)
	}
}

func (b *browser) notifyCursor() {
	if b.onCursorChanged != nil {
		b.onCursorChanged(b.itemAt(b.cursor))
	}
}

func (b *browser) focusNav() {
	if c := fyne.CurrentApp().Driver().CanvasForObject(b.nav); c != nil && c.Focused() != b.nav {
		c.Focus(b.nav)
	}
}

// thumbRequest says whether it gets a thumbnail and how to make it: the
// provider's own thumbnail for cloud files, the file itself for local
// images. Cloud images without a provider thumbnail keep their icon rather
// than being downloaded whole.
func (b *browser) thumbRequest(it *item) (thumbs.Request, bool) {
	src := b.loc.src
	if b.thumbs == nil || src == nil || it.IsDir || it.Err != nil {
		return thumbs.Request{}, false
	}
	id := it.ID
	if tn := src.Feat.Thumbnailer; tn != nil && it.HasThumbnail {
		rev := it.Revision
		if rev == "" {
			rev = fmt.Sprintf("%d-%d", it.Size, it.ModTime.UnixNano())
		}
		return thumbs.Request{Key: src.Key + "\x00" + id + "\x00" + rev, Size: thumbPixels,
			Fetch: func(ctx context.Context) (io.ReadCloser, error) {
				rc, _, err := tn.Thumbnail(ctx, id, thumbPixels)
				return rc, err
			}}, true
	}
	if src.Local && isImageName(it.Name, entryType(it.Entry)) {
		prov := src.Prov
		return thumbs.Request{Key: thumbs.FileKey(id, it.Size, it.ModTime), Size: thumbPixels,
			Fetch: func(ctx context.Context) (io.ReadCloser, error) { return prov.Open(ctx, id, 0) }}, true
	}
	return thumbs.Request{}, false
}

// isImageName reports formats the thumbnail engine decodes.
func isImageName(name, mime string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".hif", ".avif":
		return true
	}
	switch mime {
	case "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff", "image/heic", "image/heif", "image/avif":
		return true
	}
	return false
}

// isTextType reports files the preview shows as text.
func isTextType(name, mime string) bool {
	if strings.HasPrefix(mime, "text/") {
		return true
	}
	switch mime {
	case "application/json", "application/xml", "application/javascript", "application/x-sh", "application/toml", "application/yaml":
		return true
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".txt", ".md", ".csv", ".tsv", ".log", ".json", ".xml", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf",
		".go", ".py", ".js", ".ts", ".html", ".css", ".sh", ".c", ".h", ".rs", ".java", ".rb", ".sql":
		return true
	}
	return false
}

// reapplyRules recomputes which items the restrictions exclude (when the
// discovery document arrives) and drops excluded ones from the selection.
func (b *browser) reapplyRules(r restrictions) {
	for _, it := range b.all {
		it.reason = r.reason(it.Entry)
		if it.reason != "" {
			delete(b.selected, it.ID)
		}
	}
	b.refreshRows()
	b.notifySelection()
}

// selectableShown counts the shown items that can be selected.
func (b *browser) selectableShown() int {
	n := 0
	for _, it := range b.shown {
		if it.reason == "" {
			n++
		}
	}
	return n
}
