package ui

// The window's start-up: Run builds the main screen over an application
// session, adapting the session's domain types to what the window uses.

import (
	"context"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/ferry-app/ferry/assets"
	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/internal/appdirs"
	"github.com/ferry-app/ferry/internal/portal"
	"github.com/ferry-app/ferry/upload"
)

// Run shows Ferry's window in a, built over s, and returns when the app
// quits (or ctx ends). show.Pick makes it a picker that quits when done or
// cancelled; show.Files are added at start, and each of show.Requests
// brings the window to the front and adds its files. a is created by main
// (the only place that may).
func Run(ctx context.Context, a fyne.App, s *app.Session, show app.Show) error {
	pick := show.Pick
	cfg, err := s.Config()
	if err != nil {
		return err
	}
	if err := LoadTranslations(cfg.UI.Language); err != nil {
		s.Log.Warn("translations not loaded", "err", err)
	}
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
	ApplyTheme(a, cfg.UI.Theme)
	deps := Deps{
		Uploads:          sessionUploads{s: s, picker: pick != nil},
		Accounts:         sessionAccounts{s},
		Preconnect:       true,
		Concurrency:      cfg.Upload.Concurrency,
		UploadAtOnce:     cfg.UI.UploadAtOnce,
		StateDir:         appdirs.DataDir(),
		ShowHidden:       cfg.UI.ShowHidden,
		Restrictions:     api.UploadInfo{MaxFileSize: cfg.Upload.MaxFileSize, AllowedTypes: cfg.Upload.AllowedTypes},
		ThumbnailCacheMB: cfg.UI.ThumbnailCacheMB,
		Settings: &Settings{
			Backend: cfg.Backend, BackendLocked: cfg.Locked("backend"),
			Concurrency: cfg.Upload.Concurrency, ConcurrencyLocked: cfg.Locked("upload.concurrency"),
			UploadAtOnce: cfg.UI.UploadAtOnce, UploadAtOnceLocked: cfg.Locked("ui.upload_at_once"),
			ThumbnailCacheMB: cfg.UI.ThumbnailCacheMB, Theme: cfg.UI.Theme, Language: cfg.UI.Language,
			StorageDir: s.BuiltInStorageDir(),
			Save:       s.SaveSettings,
		},
		About:      About{Version: s.Version, Licenses: licenses()},
		Chooser:    portal.FileChooser{}, // the session bus's portal
		Log:        s.Log,
		EventBatch: 100 * time.Millisecond,
	}
	if h, _ := s.History(); h != nil {
		deps.History = h
	}
	title := "Ferry"
	if pick != nil {
		// A picker ends the app when it is done or cancelled.
		p := *pick
		p.Done = func(got []upload.Result) { pick.Done(got); a.Quit() }
		p.Cancelled = func() { pick.Cancelled(); a.Quit() }
		deps.Pick = &p
		title = T("Ferry — choose files")
	}
	w := a.NewWindow(title)
	w.Resize(fyne.NewSize(1000, 680))
	w.SetMaster()
	m := Create(w, deps)
	defer m.Close()
	raise := func() { w.Show(); w.RequestFocus() }
	if pick == nil {
		raise = keepUploadingInTray(a, w, m)
	}
	if len(show.Files) > 0 {
		m.AddPaths(show.Files)
	}
	if show.Requests != nil {
		go func() {
			for req := range show.Requests {
				fyne.Do(func() {
					s.Log.Debug("another start of ferry", "files", len(req.Files))
					raise()
					if len(req.Files) > 0 {
						m.AddPaths(req.Files)
					}
				})
			}
		}()
	}
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	watchStalls(ctx, s.Log)
	softMemoryLimit()
	w.ShowAndRun()
	return nil
}

// keepUploadingInTray gives the app a system-tray icon where the desktop
// has one: closing the window while files upload hides it, the uploads go
// on, and the tray menu reopens the window or quits. It returns how to
// bring the window back to the front (UI goroutine).
func keepUploadingInTray(a fyne.App, w fyne.Window, m *Main) (raise func()) {
	hidden := false
	raise = func() { hidden = false; w.Show(); w.RequestFocus() }
	da, ok := a.(desktop.App)
	if !ok {
		return raise
	}
	// Registering with the desktop's tray host (D-Bus) takes about 100 ms:
	// done once the window is up, so it does not delay the first frame.
	a.Lifecycle().SetOnStarted(func() {
		go func() {
			if !trayHostReachable() {
				return
			}
			fyne.Do(func() {
				da.SetSystemTrayMenu(fyne.NewMenu("Ferry",
					fyne.NewMenuItem(T("Show Ferry"), raise),
				))
				da.SetSystemTrayIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
			})
		}()
	})
	w.SetCloseIntercept(func() {
		if m.Busy() {
			hidden = true
			w.Hide()
			return
		}
		a.Quit()
	})
	m.AfterBatch = func() {
		if hidden && !m.Busy() {
			a.Quit() // nothing left to upload, and the window is closed
		}
	}
	return raise
}

// sessionUploads is the session's upload service in the window's terms.
type sessionUploads struct {
	s      *app.Session
	picker bool // a picker offers no resume of an earlier run's uploads
}

func (u sessionUploads) Connect(ctx context.Context) (*upload.Client, *api.Discovery, upload.Options, error) {
	c, err := u.s.Backend(ctx)
	if err != nil {
		return nil, nil, upload.Options{}, err
	}
	return c.Client, c.Discovery, u.s.QueueOptions(c), nil
}

func (u sessionUploads) Unfinished(ctx context.Context) ([]upload.Source, error) {
	if u.picker {
		return nil, nil
	}
	if j, _ := u.s.Journal(); j == nil {
		return nil, nil
	}
	c, err := u.s.Backend(ctx)
	if err != nil {
		return nil, err
	}
	srcs, failed, err := u.s.Unfinished(ctx, c, nil)
	for _, f := range failed {
		u.s.Log.Warn("an unfinished upload cannot resume", "name", f.Name, "err", f.Err)
	}
	return srcs, err
}

// sessionAccounts is the session's accounts in the window's terms.
type sessionAccounts struct{ *app.Session }

func (a sessionAccounts) SignIn(ctx context.Context, remote string, opts auth.Options) (string, error) {
	acct, err := a.Session.SignIn(ctx, remote, opts)
	if err != nil {
		return "", err
	}
	return acct.Name(), nil
}

func (a sessionAccounts) SignInsNotKept(ctx context.Context) string {
	if v := a.Vault(ctx); !v.Persistent() {
		return v.Reason()
	}
	return ""
}

func (a sessionAccounts) SignInWithPassword(ctx context.Context, remote, user, password string) (string, error) {
	acct, err := a.SignInWebDAVPassword(ctx, remote, user, password)
	if err != nil {
		return "", err
	}
	return acct.Name(), nil
}

func (a sessionAccounts) SignOut(ctx context.Context, remote, account string) error {
	_, err := a.Session.SignOut(ctx, remote, account)
	return err
}

// licenses lists the modules this binary is built from (from its build
// information), for the About box.
func licenses() string {
	var sb strings.Builder
	sb.WriteString("Ferry is built with Go and these modules; each keeps its own license (see its repository):\n\n")
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			sb.WriteString(d.Path + " " + d.Version + "\n")
		}
	}
	return sb.String()
}

// windowMemoryLimit is the Go heap the window asks the garbage collector to
// stay near. Without it the heap grows to twice what is live before a
// collection: a queue of 20 000 files (about 60 MiB live) peaked at 280 MiB
// resident, where 96 MiB keeps it under 250 (bench/ui/bigfolder.sh) at the
// cost of more frequent collections. It is a soft limit: a larger live heap
// is never refused, only collected more often (Go caps the extra GC work).
const windowMemoryLimit = 96 << 20

// softMemoryLimit applies windowMemoryLimit unless GOMEMLIMIT chose one.
func softMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(windowMemoryLimit)
	}
}
