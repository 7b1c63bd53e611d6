package providers

import (
	"context"
	"fmt"
	"strings"
)

// ResolvePath finds the entry at a "/"-separated path under p's default
// root ("" or "/" is the root itself). It uses p's PathResolver when it has
// one, and otherwise walks folder listings name by name (IDs that are not
// paths: Drive, OneDrive, Box). A missing component is ErrNotFound.
func ResolvePath(ctx context.Context, p Provider, path string) (Entry, error) {
	if r, ok := p.(PathResolver); ok {
		return r.ResolvePath(ctx, path)
	}
	cur, err := p.Stat(ctx, "")
	if err != nil {
		return Entry{}, err
	}
	for _, name := range strings.Split(path, "/") {
		if name == "" || name == "." {
			continue
		}
		if !cur.IsDir {
			return Entry{}, fmt.Errorf("%q: %w", cur.Path, ErrNotFolder)
		}
		next, err := findChild(ctx, p, cur.ID, name)
		if err != nil {
			return Entry{}, err
		}
		cur = next
	}
	return cur, nil
}

func findChild(ctx context.Context, p Provider, folderID, name string) (Entry, error) {
	token := ""
	for {
		page, err := p.List(ctx, folderID, token)
		if err != nil {
			return Entry{}, err
		}
		for _, e := range page.Entries {
			if e.Name == name {
				return e, nil
			}
		}
		if page.NextPageToken == "" {
			return Entry{}, fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		token = page.NextPageToken
	}
}
