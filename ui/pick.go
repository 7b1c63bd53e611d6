package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/upload"
)

// picker is the picker mode's state (UI goroutine only).
type picker struct {
	opts    app.Pick
	over    bool // Done or Cancelled was called
	waitSrc bool // the batch ended before every row knew its source
	cancel  *focusButton
}

func (p *picker) cancelBtn(m *Main) fyne.CanvasObject {
	// Esc on the focused Cancel button cancels too (the browser's order
	// first: a filter, a selection).
	p.cancel = newFocusButton(T("Cancel"), theme.CancelIcon(), widget.MediumImportance, func() { p.finishCancelled(m) }, m.escape)
	return p.cancel
}

// start opens the requested source once the accounts are known.
func (p *picker) start(m *Main) {
	m.upBtn.SetText(T("Upload and finish"))
	if p.opts.Multiple {
		m.status.SetText(T("Choose files for the program that opened Ferry, then press Upload and finish."))
	} else {
		m.status.SetText(T("Choose one file for the program that opened Ferry, then press Upload and finish."))
	}
	p.openSource(m, true)
}

// openSource opens the first account of the requested source; without
// one it asks to sign in (once: after a sign-in it only opens).
func (p *picker) openSource(m *Main, signIn bool) {
	if p.opts.Source == "" || p.opts.Source == "local" {
		return
	}
	remote := p.opts.Source
	m.browser.jobs.Add(1)
	go func() {
		defer m.browser.jobs.Done()
		ctx, cancel := context.WithTimeout(m.ctx, providerTimeout)
		defer cancel()
		var accts []app.Account
		if m.deps.Accounts != nil {
			accts, _ = m.deps.Accounts.Accounts(ctx)
		}
		title := remote
		if srcs, err := m.sources(ctx); err == nil {
			for _, s := range srcs {
				if s.Name == remote && s.Title != "" {
					title = s.Title
				}
			}
		}
		onMain(func() {
			for _, a := range accts {
				if a.Remote == remote {
					m.openAccount(a)
					return
				}
			}
			if signIn {
				m.requestSignIn(remote, title)
			}
		})
	}()
}

// allows checks the selection against --multiple.
func (p *picker) allows(m *Main, sel []*item) bool {
	if p.opts.Multiple {
		return true
	}
	if len(sel) != 1 || sel[0].IsDir {
		m.status.SetText(T("Choose exactly one file."))
		return false
	}
	return true
}

// filter drops sources the program does not accept (files found inside
// chosen folders).
func (p *picker) filter(srcs []upload.Source) ([]upload.Source, int) {
	if len(p.opts.Accept) == 0 {
		return srcs, 0
	}
	var out []upload.Source
	for _, s := range srcs {
		if api.TypeAllowed(p.opts.Accept, s.Name(), s.ContentType()) {
			out = append(out, s)
		}
	}
	return out, len(srcs) - len(out)
}

// batchEnded finishes the pick when every file was uploaded; after a
// failure the window stays, so the person can retry or cancel.
func (p *picker) batchEnded(m *Main, t queueTotals) {
	if p.over {
		return
	}
	if t.Failed+t.Cancelled > 0 || t.Done == 0 {
		p.waitSrc = false
		m.status.SetText(T("Some files were not uploaded. Retry them, or press Cancel."))
		return
	}
	rows := m.queue.Rows()
	out := make([]upload.Result, 0, len(rows))
	for _, r := range rows {
		if r.State != upload.Done || r.Result == nil {
			return // a retry is on its way
		}
		if r.Src == nil {
			p.waitSrc = true
			return
		}
		out = append(out, *r.Result)
	}
	p.over = true
	p.waitSrc = false
	if p.opts.Done != nil {
		p.opts.Done(out)
	}
}

func (p *picker) finishCancelled(m *Main) {
	if p.over {
		return
	}
	p.over = true
	// The program was told "cancelled": what was queued for it must not be
	// offered to resume when Ferry starts next (nor keep uploading).
	if q := m.queueIfConnected(); q != nil {
		q.CancelAll()
	}
	if p.opts.Cancelled != nil {
		p.opts.Cancelled()
	}
}
