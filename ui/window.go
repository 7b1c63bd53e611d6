package ui

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/internal/appdirs"
	"github.com/ferry-app/ferry/internal/humanize"
	"github.com/ferry-app/ferry/internal/thumbs"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/local"
	"github.com/ferry-app/ferry/upload"
)

// Deps is what the window needs from the composition root. Only Connect is
// required; every other field has a working default, so the window works
// for This Computer alone and grows as main wires accounts.
type Deps struct {
	// Uploads is the upload service; required.
	Uploads Uploads
	// Accounts are the cloud accounts and sign-ins; nil: This Computer only.
	Accounts Accounts
	// Preconnect connects at start, so the discovery document's upload
	// restrictions grey out excluded files before the first upload.
	Preconnect bool
	// StartDir is the folder shown first (default: the home folder).
	StartDir string
	// Concurrency is how many files upload at once (0: the queue options').
	Concurrency int
	// UploadAtOnce starts dropped files at once (ui.upload_at_once); without
	// it a drop becomes a batch the person reviews and starts.
	UploadAtOnce bool
	// StateDir is where the window keeps its size, dividers, view mode and
	// last folders across restarts (window.json). "": nothing is kept.
	StateDir string

	// Local is This Computer. Nil: one over local.DefaultPlaces() (plus
	// StartDir when it lies outside them), closed by Close.
	Local providers.Provider
	// ShowHidden shows dot files in the default This Computer (ui.show_hidden).
	ShowHidden bool
	// Restrictions are the upload limits known before discovery answers
	// (the configuration's upload.max_file_size and upload.allowed_types).
	Restrictions api.UploadInfo

	// Thumbs makes thumbnails. Nil: a loader caching in ThumbnailDir
	// (default internal/appdirs.CacheDir()/thumbs) up to ThumbnailCacheMB
	// (default 256).
	Thumbs           *thumbs.Loader
	ThumbnailDir     string
	ThumbnailCacheMB int

	// History keeps finished uploads across restarts (an *upload.History);
	// the menu's "Upload history…" lists them. Nil: no history.
	History UploadHistory
	// Settings backs the Settings dialog; nil shows the values of Deps.
	Settings *Settings
	// About is shown in the About box.
	About About
	// Pick turns the window into a picker for another program (ferry pick).
	Pick *app.Pick
	// Chooser is the desktop's file chooser "Add files…" and "Add folder…"
	// open first (portal.go). Nil: Ferry's own chooser.
	Chooser FileChooser
	// Log receives what the window shows as it changes (a folder listed, the
	// view mode, a preview ready) at debug level — names, never secrets.
	// Nil: discarded.
	Log *slog.Logger
	// EventBatch gathers upload events for this long before the window
	// applies them, and spaces the queue list's whole redraws by twice
	// that (0: at once, as tests want). Run sets 100 ms: a person sees
	// no difference, and a folder of 20 000 files is not 80 000 redraws.
	EventBatch time.Duration
}

// Uploads is the upload service as the window uses it. Its methods are
// called off the UI goroutine.
type Uploads interface {
	// Connect returns a ready backend client, its discovery document and
	// the queue's options (journal, limits, part concurrency, logger). It
	// is called once, the first time something is uploaded (or at start
	// with Preconnect).
	Connect(ctx context.Context) (*upload.Client, *api.Discovery, upload.Options, error)
	// Unfinished returns the uploads an earlier run left unfinished that
	// can resume; the window offers them at start.
	Unfinished(ctx context.Context) ([]upload.Source, error)
}

// Accounts are the cloud accounts the sidebar lists and the sign-ins that
// add them. Every method but ServiceSignsIn is called off the UI goroutine.
type Accounts interface {
	// Accounts lists the signed-in accounts with their status.
	Accounts(ctx context.Context) ([]app.Account, error)
	// Remotes lists what "Add account" offers.
	Remotes(ctx context.Context) ([]app.Remote, error)
	// Open returns a provider for one account of a remote.
	Open(ctx context.Context, remote, account string) (providers.Provider, error)
	// SignIn runs the browser sign-in for a remote (app.BackendRemote: the
	// upload service) and stores the account, returning who signed in.
	// opts carries the dialog's hooks; ctx ends when the person cancels.
	SignIn(ctx context.Context, remote string, opts auth.Options) (who string, err error)
	// SignOut revokes and forgets one account; ForgetAll every one.
	SignOut(ctx context.Context, remote, account string) error
	ForgetAll(ctx context.Context) error
	// ServiceSignsIn reports, without waiting, whether the upload service
	// signs people in (the menu then offers it). Called on the UI goroutine.
	ServiceSignsIn() bool
	// AddWebDAV adds a WebDAV or Nextcloud server by its address to the
	// person's configuration and returns its remote name.
	AddWebDAV(ctx context.Context, address string) (remote string, err error)
	// SignInWithPassword checks a login name and password at a WebDAV
	// remote and keeps them, returning who signed in.
	SignInWithPassword(ctx context.Context, remote, user, password string) (who string, err error)
	// SignInsNotKept says why sign-ins last only until Ferry quits (no
	// reachable keychain), or "" when they are kept; the window then shows
	// a banner the person can dismiss.
	SignInsNotKept(ctx context.Context) string
}

// providerTimeout bounds the short provider calls the sidebar makes.
const providerTimeout = 30 * time.Second

// Main is Ferry's main screen: sidebar, folder browser, preview, drop hint,
// selection bar and the upload queue.
type Main struct {
	win  fyne.Window
	deps Deps
	log  *slog.Logger

	local    *source
	ownLocal io.Closer // the default This Computer, closed by Close
	rules    restrictions
	remotes  map[string]*source // opened accounts, by remote and account

	browser  *browser
	preview  *preview
	sidebar  *sidebar
	queue    *queueView
	review   *review     // dropped files waiting for Start
	panel    *queuePanel // the queue's folding panel
	status   *widget.Label
	selLabel *widget.Label
	upBtn    *widget.Button
	addMenu  *widget.PopUpMenu
	menuBtn  *widget.Button
	thumbs   *thumbs.Loader
	signIn   *signInDialog   // the sign-in in progress, if any
	webdav   webdavDialogs   // the last WebDAV address and password forms
	dialogs  []dialog.Dialog // open dialogs, the top one last (Esc closes it)
	pick     *picker
	addFiles *addFilesDialog // the last "Add files…" dialog opened
	chooser  chooserState    // the desktop's file chooser
	banner   *banner

	// AfterBatch, when set, runs on the UI goroutine after each batch of
	// uploads ends (the tray quits a hidden window's app then).
	AfterBatch func()

	store     *stateStore
	state     windowState    // as loaded, then as changed (UI goroutine)
	saves     sync.WaitGroup // state writes under way
	splits    [3]*container.Split
	work      *fyne.Container   // the file list, and the queue's line or split
	filesPane fyne.CanvasObject // the file list with its selection bar

	pending sync.WaitGroup // AddPaths calls still walking or connecting
	connMu  sync.Mutex     // held while connecting; guards q
	q       *upload.Queue
	ctx     context.Context
	cancel  context.CancelFunc
}

// Create builds the main screen inside w, installs the window-wide drop
// handler and keyboard shortcuts, starts listing the start folder and
// returns the screen. Call Close when the window closes.
func Create(w fyne.Window, deps Deps) *Main {
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	store := &stateStore{}
	if deps.StateDir != "" {
		store.path = filepath.Join(deps.StateDir, stateFileName)
	}
	state, err := store.load()
	if err != nil {
		deps.Log.Warn("window state not read; starting afresh", "err", err)
	}
	if deps.StartDir == "" {
		deps.StartDir, _ = os.UserHomeDir()
		if dir := state.Folders["local"]; dir != "" {
			if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
				deps.StartDir = dir // where the person was last time
			}
		}
	}
	// Create is UI code that starts workers and goes on building widgets.
	// In the app their onMain functions run later on the UI goroutine; the
	// test driver runs them at once on the worker, so hold the lock they take.
	uiMu.Lock()
	defer uiMu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	m := &Main{win: w, deps: deps, log: deps.Log, queue: newQueueView(), review: newReview(), ctx: ctx, cancel: cancel,
		rules: restrictionsFrom(deps.Restrictions), remotes: map[string]*source{},
		status:   &widget.Label{Wrapping: fyne.TextWrapWord},
		selLabel: widget.NewLabel(T("Nothing selected")),
		store:    store, state: state}
	m.queue.minRefresh = 2 * deps.EventBatch
	if m.state.Folders == nil {
		m.state.Folders = map[string]string{}
	}
	if deps.Pick != nil {
		m.pick = &picker{opts: *deps.Pick}
		m.rules.Accept = deps.Pick.Accept
	}
	m.local = m.localSource()
	dir := deps.ThumbnailDir
	if dir == "" {
		dir = filepath.Join(appdirs.CacheDir(), "thumbs")
	}
	opts := thumbs.Options{Dir: dir, DiskBytes: int64(cmp.Or(deps.ThumbnailCacheMB, 256)) << 20}
	loader := deps.Thumbs
	if loader == nil {
		loader = thumbs.NewLoader(opts)
	}
	m.thumbs = loader
	// The preview has a worker of its own, so it never waits behind a
	// screenful of thumbnails.
	opts.Workers = 1
	m.browser = newBrowser(ctx, loader, func() restrictions { return m.rules })
	m.browser.log = deps.Log
	m.preview = newPreview(ctx, thumbs.NewLoader(opts), &m.browser.jobs)
	m.preview.log = deps.Log
	m.sidebar = newSidebar(m)
	m.upBtn = &widget.Button{Text: T("Upload"), Icon: theme.UploadIcon(), Importance: widget.HighImportance, OnTapped: m.uploadSelection}
	m.upBtn.Disable()
	m.menuBtn = &widget.Button{Icon: theme.MenuIcon(), Importance: widget.LowImportance, OnTapped: m.showMenu}
	m.queue.retry = func(src upload.Source) {
		m.pending.Add(1)
		go func() {
			defer m.pending.Done()
			m.enqueue([]upload.Source{src})
		}()
	}
	m.queue.details = func(i int, r queueRow) {
		act := m.serviceSignIn(r.Problem)
		if pf, ok := r.Src.(*upload.ProviderFile); ok && r.Problem.Remedy == remedyConfirm {
			act = func() {
				m.queue.retryRowWith(i, func(upload.Source) upload.Source {
					confirmed := *pf
					confirmed.Confirmed = true
					return &confirmed
				})
			}
		}
		m.presentProblem(SafeName(r.Name), r.Problem, act)
	}
	m.queue.ended = m.batchEnded
	m.review.onStart = func(srcs []upload.Source) {
		m.pending.Add(1)
		go func() {
			defer m.pending.Done()
			m.enqueue(srcs)
		}()
	}
	m.browser.onSelectionChanged = m.selectionChanged
	m.browser.onLocation = m.rememberFolder
	m.browser.onViewMode = m.rememberViewMode
	m.browser.onCursorChanged = func(it *item) { m.preview.show(m.browser.loc.src, it) }
	w.SetOnDropped(m.onDropped)
	w.SetContent(m.content())
	w.Canvas().AddShortcut(&fyne.ShortcutSelectAll{}, func(fyne.Shortcut) { m.browser.selectAll() })
	w.Canvas().AddShortcut(shortcutFind, func(fyne.Shortcut) { m.browser.focusSearch() })
	w.Canvas().AddShortcut(shortcutList, func(fyne.Shortcut) { m.browser.setGrid(false) })
	w.Canvas().AddShortcut(shortcutGrid, func(fyne.Shortcut) { m.browser.setGrid(true) })
	w.Canvas().AddShortcut(shortcutHidden, func(fyne.Shortcut) { m.browser.toggleHidden() })
	w.Canvas().AddShortcut(shortcutUpload, m.onShortcut)
	w.Canvas().AddShortcut(shortcutSettings, m.onShortcut)
	m.browser.onShortcut = m.onShortcut
	m.browser.onEscape = m.onEscape
	w.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape {
			m.escape()
		}
	})
	w.Canvas().Focus(m.browser.nav) // the keyboard works from the start
	if state.Grid {
		m.browser.setGrid(true)
	}
	if state.Width >= 400 && state.Height >= 300 {
		w.Resize(fyne.NewSize(min(state.Width, 10000), min(state.Height, 10000)))
	}
	m.sidebar.reload()
	if m.local != nil {
		m.browser.openSource(m.local, filepath.Clean(deps.StartDir))
	}
	if deps.Preconnect {
		m.pending.Add(1)
		go func() {
			defer m.pending.Done()
			_, _ = m.connect()
		}()
	}
	if m.pick == nil {
		m.offerResume()
	}
	if deps.Accounts != nil {
		m.pending.Add(1)
		go func() {
			defer m.pending.Done()
			if why := deps.Accounts.SignInsNotKept(m.ctx); why != "" {
				onMain(func() {
					m.banner.show(T("Sign-ins last only until Ferry quits: {{.Reason}}", "Reason", sentence(why)))
				})
			}
		}()
	}
	if m.pick != nil {
		m.pick.start(m)
	}
	return m
}

// localSource returns This Computer: Deps.Local, or one over the default
// places plus StartDir.
func (m *Main) localSource() *source {
	p := m.deps.Local
	if p == nil {
		places := local.DefaultPlaces()
		start := filepath.Clean(m.deps.StartDir)
		inside := false
		for _, pl := range places {
			if rel, err := filepath.Rel(pl.Path, start); err == nil && !strings.HasPrefix(rel, "..") {
				inside = true
			}
		}
		if !inside && start != "" {
			places = append(places, local.Place{Name: filepath.Base(start), Path: start, Kind: local.KindFolder})
		}
		lp, err := local.New(local.Options{Places: places, ShowHidden: m.deps.ShowHidden})
		if err != nil {
			m.status.SetText(T("This Computer cannot be shown: no folders to show."))
			return nil
		}
		p, m.ownLocal = lp, lp
	}
	return &source{Key: "local", Title: T("This Computer"), Prov: p, Feat: providers.FeaturesOf(p), Local: true}
}

// content lays the window out: across the top the status line (it wraps,
// so no message is cut off) with Add files, Add folder and the menu; below
// it the sidebar, the files with the upload queue's panel under them, and
// the preview.
func (m *Main) content() fyne.CanvasObject {
	addFiles := &widget.Button{Text: T("Add files…"), Icon: theme.FileIcon(), OnTapped: func() { m.choose(false) }}
	addFolder := &widget.Button{Text: T("Add folder…"), Icon: theme.FolderIcon(), OnTapped: func() { m.choose(true) }}
	top := container.NewBorder(nil, nil, nil, container.NewHBox(addFiles, addFolder, m.menuBtn), m.status)

	actions := fyne.CanvasObject(m.upBtn)
	if m.pick != nil {
		actions = container.NewHBox(m.pick.cancelBtn(m), m.upBtn)
	}
	// One line under the files says what the folder holds and what is
	// selected, so the list keeps the height of a row more.
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(m.selLabel, actions), m.browser.status)
	m.filesPane = container.NewBorder(m.browser.toolbar, bar, nil, nil, m.browser.nav)
	m.panel = newQueuePanel(m.queue, m.review)
	queueSplit := container.NewVSplit(m.filesPane, m.panel.full())
	queueSplit.Offset = clampOffset(m.state.QueueSplit, 0.55)
	m.work = container.NewStack()
	m.splits[2] = queueSplit
	m.panel.arrange = m.arrangeQueue
	m.arrangeQueue(false)
	center := container.NewHSplit(m.work, m.preview.view())
	center.Offset = clampOffset(m.state.PreviewSplit, 0.7)
	body := container.NewHSplit(m.sidebar.list, center)
	body.Offset = clampOffset(m.state.SidebarSplit, 0.2) // "This Computer" and account names fit at the default size
	m.splits[0], m.splits[1] = body, center
	m.banner = newBanner()
	return container.NewBorder(container.NewVBox(m.banner.box, top), nil, nil, nil, body)
}

// arrangeQueue shows the queue folded to its line under the files, or
// expanded in a split the person can resize.
func (m *Main) arrangeQueue(expanded bool) {
	m.log.Debug("queue panel", "expanded", expanded)
	if expanded {
		s := m.splits[2]
		s.Leading, s.Trailing = m.filesPane, m.panel.full()
		m.work.Objects = []fyne.CanvasObject{s}
		s.Refresh()
	} else {
		m.work.Objects = []fyne.CanvasObject{container.NewBorder(nil, m.panel.header, nil, nil, m.filesPane)}
	}
	m.work.Refresh()
}

// rememberFolder keeps the folder just opened as its source's last one.
func (m *Main) rememberFolder(loc location) {
	if loc.src == nil || loc.query != "" || len(loc.trail) == 0 {
		return
	}
	key, id := stateKey(loc.src), loc.folder().ID
	if m.state.Folders[key] == id {
		return
	}
	m.state.Folders[key] = id
	m.saveState(false)
}

func (m *Main) rememberViewMode(grid bool) {
	if m.state.Grid != grid {
		m.state.Grid = grid
		m.saveState(false)
	}
}

// saveState writes the window's state: at once (wait, when the window
// closes) or off the UI goroutine.
func (m *Main) saveState(wait bool) {
	st := m.state
	st.Folders = make(map[string]string, len(m.state.Folders))
	for k, v := range m.state.Folders {
		st.Folders[k] = v
	}
	if sz := m.win.Canvas().Size(); sz.Width > 0 && sz.Height > 0 {
		st.Width, st.Height = sz.Width, sz.Height
	}
	st.SidebarSplit, st.PreviewSplit, st.QueueSplit = m.splits[0].Offset, m.splits[1].Offset, m.splits[2].Offset
	m.store.seq++
	seq := m.store.seq
	write := func() {
		if err := m.store.save(st, seq); err != nil {
			m.log.Warn("window state not saved", "err", err)
		}
	}
	if wait {
		write()
		return
	}
	// Not m.pending: a listing saves this from the UI goroutine, while Wait
	// may be waiting on m.pending elsewhere (an Add racing a Wait).
	m.saves.Add(1)
	go func() {
		defer m.saves.Done()
		write()
	}()
}

// selectionChanged updates the bar: "N selected (size) — Upload".
func (m *Main) selectionChanged(sel []*item) {
	if len(sel) == 0 {
		m.selLabel.SetText(T("Nothing selected"))
		m.upBtn.Disable()
		return
	}
	var size int64
	folders := 0
	for _, it := range sel {
		if it.IsDir {
			folders++
		} else if it.Size > 0 {
			size += it.Size
		}
	}
	if folders > 0 {
		m.selLabel.SetText(T("{{.N}} selected ({{.Size}} {{.Folders}})", "N", len(sel), "Size", humanize.Bytes(size), "Folders", N("+ {{.Count}} folders", folders)))
	} else {
		m.selLabel.SetText(T("{{.N}} selected ({{.Size}})", "N", len(sel), "Size", humanize.Bytes(size)))
	}
	m.upBtn.Enable()
}

// openAccount browses an account, or asks to sign in again when it must.
func (m *Main) openAccount(a app.Account) {
	if a.Status == app.StatusNeedsSignIn {
		m.requestSignIn(a.Remote, a.Title)
		return
	}
	key := a.Remote + "\x00" + a.ID
	if src, ok := m.remotes[key]; ok {
		m.browser.openSource(src, "")
		return
	}
	m.status.SetText(T("Opening {{.Title}}…", "Title", SafeName(a.Title)))
	last := m.state.Folders[strings.ReplaceAll(key, "\x00", ":")]
	m.browser.jobs.Add(1)
	go func() {
		defer m.browser.jobs.Done()
		p, err := m.deps.Accounts.Open(m.ctx, a.Remote, a.ID)
		var roots []providers.Entry
		if err == nil {
			ctx, cancel := context.WithTimeout(m.ctx, providerTimeout)
			roots, _ = p.Roots(ctx) // shown in the sidebar; opening goes on without them
			cancel()
		}
		// The folder the person was in last time, if it is still there.
		if last != "" && err == nil {
			ctx, cancel := context.WithTimeout(m.ctx, providerTimeout)
			if e, serr := p.Stat(ctx, last); serr != nil || !e.IsDir {
				last = ""
			}
			cancel()
		}
		onMain(func() {
			if err != nil {
				m.status.SetText(T("Cannot open {{.Title}}: {{.Reason}}", "Title", SafeName(a.Title), "Reason", oneLine(err)))
				if explain(err).Remedy == remedySignIn {
					m.showProblem(T("Cannot open {{.Title}}", "Title", SafeName(a.Title)), err, func() { m.requestSignIn(a.Remote, a.Title) })
				}
				return
			}
			title := a.Title
			if a.Name != "" {
				title += " — " + a.Name
			}
			src := &source{Key: key, Title: SafeName(title), Remote: a.Remote, Account: a.ID, Prov: p, Feat: providers.FeaturesOf(p), Roots: roots}
			m.remotes[key] = src
			m.sidebar.showRoots()
			m.status.SetText("")
			m.browser.openSource(src, last)
		})
	}()
}

func (m *Main) sources(ctx context.Context) ([]app.Remote, error) {
	if m.deps.Accounts == nil {
		return nil, nil
	}
	return m.deps.Accounts.Remotes(ctx)
}

// RefreshAccounts re-reads the account list (after a sign-in or sign-out).
func (m *Main) RefreshAccounts() { m.sidebar.reload() }

func (m *Main) onDropped(pos fyne.Position, uris []fyne.URI) {
	if m.sidebar.dropped(pos, uris) {
		return
	}
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	if len(paths) == 0 {
		m.status.SetText(T("Only files and folders from this computer can be dropped."))
		return
	}
	m.dropPaths(paths)
}

// dropPaths turns dropped files and folders into a batch the person
// reviews before it starts — or starts it at once with "Upload at once"
// (or in a picker, whose program waits for the files).
func (m *Main) dropPaths(paths []string) {
	if m.deps.UploadAtOnce || m.pick != nil {
		m.AddPaths(paths)
		return
	}
	m.status.SetText(N("Adding {{.Count}} items…", len(paths)))
	m.pending.Add(1)
	go func() {
		defer m.pending.Done()
		srcs, skipped := upload.Expand(paths)
		var left []skippedItem
		for _, s := range skipped {
			left = append(left, skippedItem{name: s.Name, reason: oneLine(s.Err)})
		}
		onMain(func() {
			if len(srcs) > 0 {
				m.review.add(srcs)
				m.status.SetText(N("{{.Count}} files are ready to upload: review them, then press Start upload.", len(srcs)))
			} else {
				m.status.SetText(T("Nothing could be added."))
			}
			if len(left) > 0 {
				m.status.SetText(m.status.Text + " " + N("{{.Count}} skipped.", len(left)))
				m.showSkipped(left)
			}
		})
	}()
}

// uploadSelection queues the selected items: local files and folders by
// path (folders recursively, keeping relative paths), cloud ones through
// Deps.RemoteSources. Ctrl+U does the same.
func (m *Main) uploadSelection() {
	sel := m.browser.Selection()
	src := m.browser.loc.src
	if len(sel) == 0 || src == nil {
		return
	}
	if m.pick != nil && !m.pick.allows(m, sel) {
		return
	}
	// After Ctrl+A, the items that could not be selected are reported as
	// skipped, so the person learns why they were left out.
	var left []skippedItem
	if len(sel) == m.browser.selectableShown() {
		for _, it := range m.browser.shown {
			if it.reason != "" {
				left = append(left, skippedItem{name: it.Name, reason: it.reason})
			}
		}
	}
	m.browser.clearSelection()
	if src.Local {
		paths := make([]string, len(sel))
		for i, it := range sel {
			paths[i] = it.ID
		}
		m.addPaths(paths, left)
		return
	}
	entries := make([]providers.Entry, len(sel))
	for i, it := range sel {
		entries[i] = it.Entry
	}
	m.addRemote(src, entries)
}

// addRemote queues cloud entries through Deps.RemoteSources.
func (m *Main) addRemote(src *source, entries []providers.Entry) {
	m.status.SetText(N("Adding {{.Count}} items…", len(entries)))
	m.pending.Add(1)
	go func() {
		defer m.pending.Done()
		srcs, err := upload.ExpandEntries(m.ctx, src.Prov, src.Remote, entries)
		if err != nil {
			onMain(func() {
				m.status.SetText(T("Cannot add the selection.") + " " + oneLine(err))
				m.showProblem(T("Cannot add the selection"), err, func() { m.requestSignIn(src.Remote, src.Title) })
			})
			return
		}
		m.enqueue(srcs)
	}()
}

// AddPaths queues files and folders (folders recursively, keeping relative
// paths). Walking the folders and connecting to the backend happen off the
// UI goroutine.
func (m *Main) AddPaths(paths []string) { m.addPaths(paths, nil) }

// addPaths queues what can be uploaded of paths and lists what was left
// out (with left, the items of the selection that were left out already):
// one unreadable item never rejects the rest.
func (m *Main) addPaths(paths []string, left []skippedItem) {
	m.status.SetText(N("Adding {{.Count}} items…", len(paths)))
	m.pending.Add(1)
	go func() {
		defer m.pending.Done()
		srcs, skipped := upload.Expand(paths)
		for _, s := range skipped {
			left = append(left, skippedItem{name: s.Name, reason: oneLine(s.Err)})
		}
		queued := len(srcs) > 0 && m.enqueue(srcs)
		if len(left) == 0 {
			return
		}
		onMain(func() {
			if queued {
				m.status.SetText(N("Queued {{.Count}} files.", len(srcs)) + " " + N("{{.Count}} skipped.", len(left)))
			} else if len(srcs) == 0 {
				m.status.SetText(T("Nothing could be added.") + " " + N("{{.Count}} skipped.", len(left)))
			}
			m.showSkipped(left)
		})
	}()
}

// enqueue connects (once) and queues srcs, reporting whether they were
// queued. It runs off the UI goroutine.
func (m *Main) enqueue(srcs []upload.Source) bool {
	if m.pick != nil {
		var skipped int
		srcs, skipped = m.pick.filter(srcs)
		if skipped > 0 {
			onMain(func() {
				m.status.SetText(N("{{.Count}} files were left out: the program that opened Ferry does not accept their type.", skipped))
			})
		}
		if len(srcs) == 0 {
			return false
		}
	}
	q, err := m.connect()
	if err != nil {
		onMain(func() {
			m.status.SetText(T("Cannot reach the upload service.") + " " + oneLine(err))
			m.showProblem(T("Cannot reach the upload service"), err, m.serviceSignIn(explain(err)))
		})
		return false
	}
	onMain(m.queue.beginBatch) // listed above the earlier batches
	// Remember each job's source before its events reach the rows, so
	// Retry and the picker know what each row is.
	ids := q.Add(srcs...)
	onMain(func() {
		for i, id := range ids {
			m.queue.remember(id, srcs[i])
		}
		m.status.SetText(N("Queued {{.Count}} files.", len(srcs)))
		if m.pick != nil && m.pick.waitSrc {
			m.pick.batchEnded(m, m.queue.totals())
		}
	})
	return true
}

// connect connects to the backend (again after a failure, so a service
// that was unreachable at start is used once it answers) and returns the
// queue.
func (m *Main) connect() (*upload.Queue, error) {
	m.connMu.Lock()
	defer m.connMu.Unlock()
	if m.q != nil {
		return m.q, nil
	}
	client, d, opts, err := m.deps.Uploads.Connect(m.ctx)
	if err != nil {
		return nil, err
	}
	onMain(func() {
		accept := m.rules.Accept
		m.rules = restrictionsFrom(d.Upload)
		m.rules.Accept = accept
		m.browser.reapplyRules(m.rules)
	})
	opts.Concurrency = cmp.Or(m.deps.Concurrency, opts.Concurrency)
	states := map[upload.JobID]upload.State{} // UI goroutine only
	// Events are applied in batches: one redraw for all that arrived since
	// the last, never one UI call per event (a 20 000-file folder sends
	// about 80 000), so the window keeps up and a quit is not queued behind
	// them.
	var evMu sync.Mutex
	var pending []upload.Event
	flush := func() {
		evMu.Lock()
		evs := pending
		pending = nil
		evMu.Unlock()
		for _, e := range evs {
			if prev, ok := states[e.ID]; !ok || prev != e.State {
				states[e.ID] = e.State
				m.log.Debug("upload", "name", e.Name, "state", e.State.String())
			}
			if e.State.Final() {
				delete(states, e.ID) // a job's last event: keep no entry per finished file
			}
		}
		m.queue.applyAll(evs)
	}
	opts.OnEvent = func(e upload.Event) {
		if e.State == upload.Done && e.Result != nil && m.deps.History != nil {
			_ = m.deps.History.Add(*e.Result) // a lost entry only shortens the history
		}
		evMu.Lock()
		pending = append(pending, e)
		first := len(pending) == 1
		evMu.Unlock()
		if first && m.deps.EventBatch > 0 {
			time.AfterFunc(m.deps.EventBatch, func() { onMain(flush) })
		} else if first {
			onMain(flush)
		}
	}
	q := upload.NewQueue(client, d, opts)
	m.q = q
	onMain(func() { m.queue.ctl = q })
	return m.q, nil
}

// queueIfConnected returns the queue, or nil before a connection.
func (m *Main) queueIfConnected() *upload.Queue {
	if !m.connMu.TryLock() {
		return nil // connecting: nothing was queued yet
	}
	defer m.connMu.Unlock()
	return m.q
}

// batchEnded tells the desktop when a batch finished or failed, and hands
// a picker's results to its program.
func (m *Main) batchEnded(t queueTotals) {
	// The desktop's notification may be read with the window hidden; the
	// status line is read inside it. Neither asks to open Ferry, and a file
	// the person cancelled is no failure.
	var n *fyne.Notification
	switch {
	case t.Failed > 0:
		n = fyne.NewNotification(T("Some uploads failed"), batchText(t)+" "+T("Retry them from Ferry's upload list."))
		m.status.SetText(batchText(t) + " " + T("Retry them from the upload list below."))
	case t.Cancelled > 0:
		n = fyne.NewNotification(T("Uploads finished"), batchText(t))
		m.status.SetText(n.Content)
	default:
		n = fyne.NewNotification(T("Uploads finished"), N("{{.Count}} files uploaded.", t.Done))
		m.status.SetText(n.Content)
	}
	if a := fyne.CurrentApp(); a != nil {
		a.SendNotification(n)
	}
	if m.pick != nil {
		m.pick.batchEnded(m, t)
	}
	if m.AfterBatch != nil {
		m.AfterBatch()
	}
}

// Busy reports whether some upload has not finished (UI goroutine).
func (m *Main) Busy() bool {
	t := m.queue.totals()
	return t.Active+t.Waiting+t.Paused > 0
}

// serviceSignIn returns the "Sign in again" action for a problem the
// upload service's sign-in fixes, or nil.
func (m *Main) serviceSignIn(p problem) func() {
	if p.Remedy != remedySignIn || m.deps.Accounts == nil {
		return nil
	}
	return func() { m.requestSignIn(app.BackendRemote, T("the upload service")) }
}

// offerResume asks, after a restart, whether to resume the uploads the
// journal holds.
func (m *Main) offerResume() {
	m.pending.Add(1)
	go func() {
		defer m.pending.Done()
		srcs, err := m.deps.Uploads.Unfinished(m.ctx)
		if err != nil || len(srcs) == 0 {
			return
		}
		onMain(func() {
			d := dialog.NewConfirm(T("Resume uploads?"),
				N("{{.Count}} uploads did not finish when Ferry last ran. Resume them now? Only the missing parts are sent.", len(srcs)),
				func(ok bool) {
					if !ok {
						return
					}
					m.pending.Add(1)
					go func() {
						defer m.pending.Done()
						m.enqueue(srcs)
					}()
				}, m.win)
			d.SetConfirmText(T("Resume"))
			d.SetDismissText(T("Not now"))
			m.showDialog(d)
		})
	}()
}

// showDialog shows d and keeps it on the stack Esc closes from the top.
func (m *Main) showDialog(d dialog.Dialog) {
	m.dialogs = append(m.dialogs, d)
	d.SetOnClosed(func() {
		for i, o := range m.dialogs {
			if o == d {
				m.dialogs = append(m.dialogs[:i], m.dialogs[i+1:]...)
				break
			}
		}
	})
	d.Show()
}

// closeTopDialog is Esc: it closes the top dialog (a sign-in in progress
// is cancelled by its dialog's closing).
func (m *Main) closeTopDialog() {
	if n := len(m.dialogs); n > 0 {
		m.dialogs[n-1].Hide()
	}
}

func (m *Main) showInfo(title, msg string) {
	l := &widget.Label{Text: msg, Wrapping: fyne.TextWrapWord}
	d := dialog.NewCustom(title, T("Close"), l, m.win)
	d.Resize(fyne.NewSize(460, 0))
	m.showDialog(d)
}

// Wait blocks until every upload queued so far has finished (for tests and
// the picker).
func (m *Main) Wait() {
	m.pending.Wait()
	if q := m.queueIfConnected(); q != nil {
		q.Wait()
	}
}

// Close cancels unfinished uploads, listings and thumbnails.
func (m *Main) Close() {
	m.saveState(true) // the size and dividers as the person left them
	m.saves.Wait()
	m.cancel()
	if m.ownLocal != nil {
		defer m.ownLocal.Close()
	}
	m.connMu.Lock() // a connection in progress ends with m.ctx
	q := m.q
	m.connMu.Unlock()
	if q != nil {
		q.Close()
	}
}
