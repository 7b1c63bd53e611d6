package ui

// "Add files…" and "Add folder…": the desktop's own file chooser through
// the XDG desktop portal where one runs, Ferry's own chooser (addfiles.go)
// where none does. Fyne's file dialog is never used: it chooses one file.

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"

	"github.com/ferry-app/ferry/internal/portal"
)

// FileChooser is the desktop's file chooser (a portal.FileChooser in the
// app). OpenFile is called off the UI goroutine and blocks while the person
// chooses; portal.ErrUnavailable makes the window use its own chooser from
// then on, portal.ErrCancelled means the person chose nothing.
type FileChooser interface {
	OpenFile(ctx context.Context, opts portal.OpenOptions) (portal.Selection, error)
}

// chooserState is the desktop chooser's state (UI goroutine).
type chooserState struct {
	open        bool // a desktop chooser is showing
	unavailable bool // the desktop has none: use Ferry's own
}

// choose is "Add files…" (folders false) and "Add folder…" (folders true).
func (m *Main) choose(folders bool) {
	here := m.localFolder()
	start := here
	if start == "" {
		start = m.deps.StartDir
	}
	if m.deps.Chooser == nil || m.chooser.unavailable {
		m.ownChooser(folders, start)
		return
	}
	if m.chooser.open {
		return // the desktop's chooser is already up, in front of the window
	}
	opts := portal.OpenOptions{Title: T("Add files"), AcceptLabel: T("Add"), Multiple: true,
		Directory: folders, CurrentFolder: here, ParentWindow: parentWindow(m.win)}
	if folders {
		opts.Title = T("Add folder")
	}
	m.chooser.open = true
	m.pending.Add(1)
	go func() {
		defer m.pending.Done()
		sel, err := m.deps.Chooser.OpenFile(m.ctx, opts)
		onMain(func() {
			m.chooser.open = false
			switch {
			case errors.Is(err, portal.ErrCancelled), m.ctx.Err() != nil:
			case errors.Is(err, portal.ErrUnavailable):
				m.log.Debug("no desktop file chooser; using Ferry's own", "err", err)
				m.chooser.unavailable = true
				m.ownChooser(folders, start)
			case err != nil:
				// The portal ended the chooser without an answer (response
				// 2) or failed: the person still wants to choose.
				m.log.Warn("the desktop file chooser failed; using Ferry's own", "err", err)
				m.ownChooser(folders, start)
			default:
				m.addChosen(sel)
			}
		})
	}()
}

// addChosen queues what the desktop's chooser returned; addresses that are
// not files on this computer are listed as left out.
func (m *Main) addChosen(sel portal.Selection) {
	var left []skippedItem
	for _, u := range sel.Skipped {
		left = append(left, skippedItem{name: u, reason: T("It is not a file on this computer.")})
	}
	if len(sel.Paths) == 0 && len(left) == 0 {
		return
	}
	m.addPaths(sel.Paths, left)
}

// localFolder is the This Computer folder being browsed, or "".
func (m *Main) localFolder() string {
	loc := m.browser.loc
	if loc.src == nil || !loc.src.Local || loc.query != "" || len(loc.trail) == 0 {
		return ""
	}
	return loc.folder().ID // This Computer's IDs are paths
}

// parentWindow names w for the portal, so its chooser opens in front of
// it: "x11:<hex XID>" on X11. A Wayland surface would need an
// xdg-foreign export handle, which the toolkit does not give: "".
func parentWindow(w fyne.Window) string {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return ""
	}
	var id string
	nw.RunNative(func(ctx any) {
		if x, ok := ctx.(driver.X11WindowContext); ok && x.WindowHandle != 0 {
			id = fmt.Sprintf("x11:%x", x.WindowHandle)
		}
	})
	return id
}
