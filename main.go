//go:build !ci

package main

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/ferry-app/ferry/assets"
	"github.com/ferry-app/ferry/ui"
)

// runGUI is the composition root of the window: the only place that creates
// the Fyne app. The window's dependencies come from guiDeps.
func runGUI(ctx context.Context, env *Env, opts guiOptions) error {
	cfg, err := env.Config()
	if err != nil {
		return err
	}
	if err := ui.LoadTranslations(cfg.UI.Language); err != nil {
		env.Log.Warn("translations not loaded", "err", err)
	}
	deps, err := guiDeps(env, opts)
	if err != nil {
		return err
	}
	a := app.NewWithID(appID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
	ui.ApplyTheme(a, cfg.UI.Theme)
	title := "Ferry"
	if opts.pick != nil {
		// A picker ends the app when it is done or cancelled.
		pick := *opts.pick
		done, cancelled := pick.Done, pick.Cancelled
		pick.Done = func(p []ui.Picked) { done(p); a.Quit() }
		pick.Cancelled = func() { cancelled(); a.Quit() }
		deps.Pick = &pick
		title = ui.T("Ferry — choose files")
	}
	w := a.NewWindow(title)
	w.Resize(fyne.NewSize(1000, 680))
	w.SetMaster()
	m := ui.Create(w, deps)
	defer m.Close()
	if opts.pick == nil {
		keepUploadingInTray(a, w, m)
	}
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return nil
}

// keepUploadingInTray gives the app a system-tray icon where the desktop
// has one: closing the window while files upload hides it, the uploads go
// on, and the tray menu reopens the window or quits.
func keepUploadingInTray(a fyne.App, w fyne.Window, m *ui.Main) {
	da, ok := a.(desktop.App)
	if !ok {
		return
	}
	hidden := false
	// Registering with the desktop's tray host (D-Bus) takes about 100 ms:
	// done once the window is up, so it does not delay the first frame.
	a.Lifecycle().SetOnStarted(func() {
		go fyne.Do(func() {
			da.SetSystemTrayMenu(fyne.NewMenu("Ferry",
				fyne.NewMenuItem(ui.T("Show Ferry"), func() { hidden = false; w.Show(); w.RequestFocus() }),
			))
			da.SetSystemTrayIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
		})
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
}
