package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/upload"
)

// Journal opens the upload journal once; nil with the reason when uploads
// cannot resume after a crash (the folder is not writable, say).
func (s *Session) Journal() (*upload.Journal, error) {
	return s.journal.get(func() (*upload.Journal, error) { return upload.OpenJournal(upload.DefaultJournalDir()) },
		s.Log, "uploads cannot resume after a crash")
}

// History opens the history of finished uploads once; nil with the reason
// when it cannot be kept.
func (s *Session) History() (*upload.History, error) {
	return s.history.get(func() (*upload.History, error) { return upload.OpenHistory(upload.DefaultHistoryPath()) },
		s.Log, "finished uploads are not kept in a history")
}

// opened is a file-backed store the session opens once, on first use.
type opened[T any] struct {
	once sync.Once
	v    *T
	err  error
}

// get opens the store the first time (a failure is logged as why, and
// remembered: the store is then nil) and returns it.
func (o *opened[T]) get(open func() (*T, error), log *slog.Logger, why string) (*T, error) {
	o.once.Do(func() {
		if o.v, o.err = open(); o.err != nil {
			log.Warn(why, "err", o.err)
			o.v = nil
		}
	})
	return o.v, o.err
}

// BuiltInStorageDir is where the built-in upload service (the embedded
// backend, used when no backend is configured) stores uploads.
func (s *Session) BuiltInStorageDir() string {
	return filepath.Join(builtInBackendDir(), "files")
}

// QueueOptions are the upload queue's options for conn from the
// configuration: concurrency, limits, the journal and the logger.
func (s *Session) QueueOptions(conn *Conn) upload.Options {
	o := upload.Options{BackendID: conn.ID(), Logger: s.Log}
	if j, _ := s.Journal(); j != nil {
		o.Journal = j
	}
	if cfg, err := s.Config(); err == nil {
		o.Concurrency = cfg.Upload.Concurrency
		o.PartConcurrency = cfg.Upload.PartConcurrency
		o.Restrictions = upload.Restrictions{
			MaxFileSize:  cfg.Upload.MaxFileSize,
			MaxFiles:     cfg.Upload.MaxFiles,
			AllowedTypes: cfg.Upload.AllowedTypes,
		}
	}
	return o
}

// Unresumable is an unfinished upload that cannot go on, and why.
type Unresumable struct {
	Name string
	Err  error
}

// Unfinished rebuilds the journal's unfinished uploads to conn's backend
// that are not already among have: local files, and cloud files through
// their signed-in account (providers opened for them close with the
// session). Those that cannot resume are returned with the reason.
func (s *Session) Unfinished(ctx context.Context, conn *Conn, have []upload.Source) ([]upload.Source, []Unresumable, error) {
	j, err := s.Journal()
	if j == nil {
		return nil, nil, err
	}
	pending, err := j.Pending()
	if err != nil || len(pending) == 0 {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for _, src := range have {
		seen[src.Origin()] = true
	}
	var (
		out    []upload.Source
		failed []Unresumable
	)
	opened := map[string]providers.Provider{}
	for _, e := range pending {
		if e.Backend != conn.ID() || seen[e.Origin] {
			continue
		}
		var src upload.Source
		if e.LocalPath() != "" {
			src, err = e.Source()
		} else {
			src, err = s.cloudPending(ctx, opened, e)
		}
		if err != nil {
			failed = append(failed, Unresumable{Name: e.Name, Err: err})
			continue
		}
		seen[e.Origin] = true
		out = append(out, src)
	}
	return out, failed, nil
}

// cloudPending rebuilds a cloud file's journal entry: Origin is
// "REMOTE[@ACCOUNT]:FILEID" (upload.ProviderFile.Origin); the file is looked
// up again so a changed revision restarts instead of mixing.
func (s *Session) cloudPending(ctx context.Context, opened map[string]providers.Provider, e upload.JournalEntry) (upload.Source, error) {
	name, id, ok := strings.Cut(e.Origin, ":")
	if !ok || name == "" || id == "" {
		return nil, fmt.Errorf("%s: unknown origin", e.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	p := opened[name]
	if p == nil {
		remote, account, _ := strings.Cut(name, "@")
		var err error
		if p, err = s.Open(ctx, remote, account); err != nil {
			return nil, err
		}
		opened[name] = p
		if c, ok := p.(io.Closer); ok {
			s.CloseLater(c)
		}
	}
	entry, err := p.Stat(ctx, id)
	if err != nil {
		return nil, err
	}
	return upload.NewProviderFile(p, name, entry, e.Name), nil
}
