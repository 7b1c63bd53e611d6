package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/upload"
)

// Pick makes the window a picker for another program (ferry pick): the
// person chooses files, presses Upload, and when every upload has finished
// Done receives what was uploaded. Cancel (the button or Esc with no dialog
// open) calls Cancelled. Both run on the UI goroutine, at most one of
// them, once.
type Pick struct {
	Multiple  bool     // more than one file (or a folder) may be chosen
	Accept    []string // MIME types ("image/*") and extensions (".pdf"); empty: any
	Source    string   // the remote to show first ("local" or a remote name)
	Done      func([]Picked)
	Cancelled func()
}

// Picked is one uploaded file as ferry pick --json prints it.
type Picked struct {
	Name     string       `json:"name"`
	Size     int64        `json:"size"`
	Type     string       `json:"type"`
	SHA256   string       `json:"sha256"`
	Key      string       `json:"key"`
	Location string       `json:"location"`
	Source   PickedSource `json:"source"`
}

// PickedSource says where a picked file came from.
type PickedSource struct {
	Provider string `json:"provider"` // "local" or the remote's name
	Path     string `json:"path"`
}

// picker is the picker mode's state (UI goroutine only).
type picker struct {
	opts    Pick
	over    bool // Done or Cancelled was called
	waitSrc bool // the batch ended before every row knew its source
	cancel  *widget.Button
}

func (p *picker) cancelBtn(m *Main) fyne.CanvasObject {
	p.cancel = &widget.Button{Text: T("Cancel"), Icon: theme.CancelIcon(), OnTapped: func() { p.finishCancelled(m) }}
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
		var accts []AccountView
		if m.deps.Accounts != nil {
			accts, _ = m.deps.Accounts(ctx)
		}
		title := remote
		if srcs, err := m.sources(ctx); err == nil {
			for _, s := range srcs {
				if s.Remote == remote && s.Title != "" {
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
		if typeAllowed(p.opts.Accept, s.Name(), s.ContentType()) {
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
	out := make([]Picked, 0, len(rows))
	for _, r := range rows {
		if r.State != upload.Done || r.Result == nil {
			return // a retry is on its way
		}
		if r.Src == nil {
			p.waitSrc = true
			return
		}
		out = append(out, pickedFrom(r))
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

// pickedFrom turns a finished row into what the program receives.
func pickedFrom(r queueRow) Picked {
	res := r.Result
	out := Picked{Name: res.Name, Size: res.Size, Type: res.Type, SHA256: res.SHA256, Key: res.Key, Location: res.Location}
	switch s := r.Src.(type) {
	case *upload.LocalFile:
		out.Source = PickedSource{Provider: "local", Path: s.Path}
	case *upload.ProviderFile:
		out.Source = PickedSource{Provider: s.Remote, Path: providerPath(s)}
	default:
		prov, path, _ := strings.Cut(r.Src.Origin(), ":")
		out.Source = PickedSource{Provider: prov, Path: path}
	}
	return out
}

// providerPath is a cloud file's human-readable path: the provider's own
// when it tells, else the relative name it was uploaded under.
func providerPath(s *upload.ProviderFile) string {
	if s.Entry.Path != "" {
		return s.Entry.Path
	}
	rel := s.Rel
	if rel == "" {
		rel = s.Entry.Name
	}
	return "/" + strings.TrimPrefix(rel, "/")
}
