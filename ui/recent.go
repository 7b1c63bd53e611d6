package ui

import (
	"context"
	"io"

	"github.com/ferry-app/ferry/providers"
)

// recentID is the ID of the Recent folder; no OS path looks like it.
const recentID = "\x00recent"

// maxRecent bounds how many files Recent lists (each is looked at on disk).
const maxRecent = 200

// recentProvider is the Recent folder: the files of this computer the
// person picked or uploaded through Ferry (the upload history), newest
// first, that still exist inside This Computer's places. Everything but
// listing Recent itself is This Computer's.
type recentProvider struct {
	hist  UploadHistory
	local providers.Provider
}

func (p recentProvider) root() providers.Entry {
	return providers.Entry{ID: recentID, Name: T("Recent"), IsDir: true, Size: -1}
}

func (p recentProvider) Roots(context.Context) ([]providers.Entry, error) {
	return []providers.Entry{p.root()}, nil
}

func (p recentProvider) List(ctx context.Context, folderID, token string) (providers.Page, error) {
	if folderID != recentID {
		return p.local.List(ctx, folderID, token)
	}
	list, err := p.hist.List()
	if err != nil {
		return providers.Page{}, err
	}
	var out []providers.Entry
	seen := map[string]bool{}
	for _, e := range list {
		if len(out) == maxRecent || ctx.Err() != nil {
			break
		}
		path := e.Source.Path
		if e.Source.Provider != "local" || path == "" || seen[path] {
			continue
		}
		seen[path] = true
		if st, err := p.local.Stat(ctx, path); err == nil && !st.IsDir {
			out = append(out, st)
		}
	}
	return providers.Page{Entries: out}, ctx.Err()
}

func (p recentProvider) Stat(ctx context.Context, id string) (providers.Entry, error) {
	if id == recentID {
		return p.root(), nil
	}
	return p.local.Stat(ctx, id)
}

func (p recentProvider) Open(ctx context.Context, id string, offset int64) (io.ReadCloser, error) {
	return p.local.Open(ctx, id, offset)
}
