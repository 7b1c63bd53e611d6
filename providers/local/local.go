// Package local is the "This Computer" provider: the person's own folders
// (home, Desktop, Documents, Downloads, mounted volumes) as a read-only tree.
//
// IDs are absolute, cleaned OS paths. Each place is a root that browsing
// never leaves: every access goes through an os.Root opened on the place,
// and symbolic links are resolved by this package one component at a time,
// so a link is followed only while its target stays inside the same place
// (relative or absolute). A link leading out is listed with Entry.Err set
// and cannot be opened or listed.
//
// Listing is paged over an open directory handle (ReadDir(n)), so a folder
// of 100 000 entries costs one page of lstat calls before its first page
// shows, never a stat of the whole folder.
package local

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ferry-app/ferry/providers"
)

// DefaultPageSize is the number of entries in a full List page.
const DefaultPageSize = 500

// Options configure New.
type Options struct {
	// Places are the roots; nil means DefaultPlaces().
	Places []Place
	// ShowHidden shows dot files (and, on Windows, hidden-attribute files).
	ShowHidden bool
	// PageSize is the number of entries per List page; 0 means DefaultPageSize.
	PageSize int
}

// Provider is This Computer. Close it to release open directory handles.
type Provider struct {
	roots      []*root
	pageSize   int
	showHidden atomic.Bool

	mu      sync.Mutex
	cursors map[string]*cursor
}

var (
	_ providers.Provider     = (*Provider)(nil)
	_ providers.PathResolver = (*Provider)(nil)
)

type root struct {
	place   Place
	logical string // cleaned absolute path, as IDs spell it
	real    string // logical with symlinks resolved: where the os.Root points

	once sync.Once
	r    *os.Root
	err  error
}

// open opens the os.Root lazily: a volume may be unplugged when the
// provider is built and plugged in later.
func (r *root) open() (*os.Root, error) {
	r.once.Do(func() {
		r.r, r.err = os.OpenRoot(r.real)
	})
	return r.r, r.err
}

// cursor is an open directory being paged through.
type cursor struct {
	f        *os.File
	folder   string
	consumed int // directory entries read so far, hidden ones included
	used     time.Time
}

const (
	maxCursors = 16
	cursorIdle = 2 * time.Minute
)

// New returns a Provider over opts.Places (or the default places).
func New(opts Options) (*Provider, error) {
	places := opts.Places
	if places == nil {
		places = DefaultPlaces()
	}
	if len(places) == 0 {
		return nil, errors.New("local: no places to show")
	}
	p := &Provider{pageSize: opts.PageSize, cursors: map[string]*cursor{}}
	if p.pageSize <= 0 {
		p.pageSize = DefaultPageSize
	}
	p.showHidden.Store(opts.ShowHidden)
	for _, pl := range places {
		abs, err := filepath.Abs(pl.Path)
		if err != nil {
			return nil, fmt.Errorf("local: place %q: %w", pl.Path, err)
		}
		r := &root{place: pl, logical: filepath.Clean(abs)}
		if r.real, err = filepath.EvalSymlinks(r.logical); err != nil {
			r.real = r.logical // missing now; open() reports it
		}
		if r.place.Name == "" {
			r.place.Name = filepath.Base(r.logical)
		}
		p.roots = append(p.roots, r)
	}
	return p, nil
}

// SetShowHidden switches hidden files on or off for later List calls.
func (p *Provider) SetShowHidden(show bool) { p.showHidden.Store(show) }

// ShowsHidden reports whether hidden files are listed.
func (p *Provider) ShowsHidden() bool { return p.showHidden.Load() }

// Places returns the places the provider shows, in order.
func (p *Provider) Places() []Place {
	out := make([]Place, len(p.roots))
	for i, r := range p.roots {
		out[i] = r.place
	}
	return out
}

// Close releases open directory handles and roots.
func (p *Provider) Close() error {
	p.mu.Lock()
	for k, c := range p.cursors {
		c.f.Close()
		delete(p.cursors, k)
	}
	p.mu.Unlock()
	for _, r := range p.roots {
		if rr, err := r.open(); err == nil {
			rr.Close()
		}
	}
	return nil
}

// Roots implements providers.Provider: the places.
func (p *Provider) Roots(ctx context.Context) ([]providers.Entry, error) {
	out := make([]providers.Entry, 0, len(p.roots))
	for _, r := range p.roots {
		e, err := p.stat(r, ".", r.logical)
		if err != nil {
			e = providers.Entry{ID: r.logical, Name: r.place.Name, Path: r.logical, IsDir: true, Size: -1, Err: err}
		}
		out = append(out, e)
	}
	return out, ctx.Err()
}

// ResolvePath implements providers.PathResolver: an absolute path, or a
// path relative to the first place.
func (p *Provider) ResolvePath(ctx context.Context, path string) (providers.Entry, error) {
	if path == "" {
		return p.Stat(ctx, "")
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.roots[0].logical, path)
	}
	return p.Stat(ctx, filepath.Clean(path))
}

// locate finds the place an ID lies in and the ID's path relative to it.
func (p *Provider) locate(id string) (*root, string, error) {
	if id == "" {
		return p.roots[0], ".", nil
	}
	if !filepath.IsAbs(id) {
		return nil, "", fmt.Errorf("local: %q: %w", id, providers.ErrNotFound)
	}
	id = filepath.Clean(id)
	var best *root
	for _, r := range p.roots {
		if within(r.logical, id) && (best == nil || len(r.logical) > len(best.logical)) {
			best = r
		}
	}
	if best == nil {
		return nil, "", fmt.Errorf("local: %q: %w", id, providers.ErrOutsideRoot)
	}
	rel, err := filepath.Rel(best.logical, id)
	if err != nil {
		return nil, "", fmt.Errorf("local: %q: %w", id, providers.ErrOutsideRoot)
	}
	return best, rel, nil
}

// within reports whether path is base or lies under it.
func within(base, path string) bool {
	if path == base {
		return true
	}
	if !strings.HasSuffix(base, string(filepath.Separator)) {
		base += string(filepath.Separator)
	}
	return strings.HasPrefix(path, base)
}

// resolve turns a path relative to the place into one without symbolic
// links, following each link only while it stays inside the place. The
// result is still opened through the os.Root, which refuses any escape a
// concurrent change might introduce.
func (r *root) resolve(rel string) (string, error) {
	rr, err := r.open()
	if err != nil {
		return "", mapErr(r.logical, err)
	}
	parts := splitPath(rel)
	var done []string
	for hops := 0; len(parts) > 0; {
		name := parts[0]
		parts = parts[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return "", providers.ErrOutsideRoot
			}
			done = done[:len(done)-1]
			continue
		}
		cand := filepath.Join(append(done, name)...)
		fi, err := rr.Lstat(cand)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = append(done, name)
			continue
		}
		if hops++; hops > 40 {
			return "", syscall.ELOOP
		}
		target, err := rr.Readlink(cand)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			target = filepath.Clean(target)
			var base string
			switch {
			case within(r.real, target):
				base = r.real
			case within(r.logical, target):
				base = r.logical
			default:
				return "", providers.ErrOutsideRoot
			}
			t, _ := filepath.Rel(base, target)
			done = nil
			parts = append(splitPath(t), parts...)
		} else {
			parts = append(splitPath(target), parts...)
		}
	}
	if len(done) == 0 {
		return ".", nil
	}
	return filepath.Join(done...), nil
}

func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(c rune) bool { return c == '/' || c == filepath.Separator })
}

// mapErr maps OS errors onto the providers sentinels, keeping the original.
func mapErr(id string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, providers.ErrOutsideRoot):
		return fmt.Errorf("local: %q: %w", id, err)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ENAMETOOLONG):
		return fmt.Errorf("local: %q: %w (%w)", id, providers.ErrNotFound, err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("local: %q: %w (%w)", id, providers.ErrPermissionDenied, err)
	case errors.Is(err, syscall.ELOOP):
		return fmt.Errorf("local: %q: too many symbolic links: %w", id, err)
	}
	return fmt.Errorf("local: %q: %w", id, err)
}

// Stat implements providers.Provider. A file whose extension names no type
// has its first 512 bytes sniffed.
func (p *Provider) Stat(ctx context.Context, id string) (providers.Entry, error) {
	if err := ctx.Err(); err != nil {
		return providers.Entry{}, err
	}
	r, rel, err := p.locate(id)
	if err != nil {
		return providers.Entry{}, err
	}
	e, err := p.stat(r, rel, filepath.Join(r.logical, rel))
	if err != nil {
		return providers.Entry{}, err
	}
	if !e.IsDir && e.MIMEType == "" && e.Err == nil {
		e.MIMEType = p.sniff(r, rel)
	}
	return e, nil
}

func (p *Provider) stat(r *root, rel, id string) (providers.Entry, error) {
	real, err := r.resolve(rel)
	if err != nil {
		return providers.Entry{}, mapErr(id, err)
	}
	rr, _ := r.open()
	fi, err := rr.Stat(real)
	if err != nil {
		return providers.Entry{}, mapErr(id, err)
	}
	name := filepath.Base(id)
	if rel == "." {
		name = r.place.Name
	}
	e := entryFromInfo(id, name, fi)
	if !canRead(filepath.Join(r.real, real), e.IsDir) {
		e.Err = fmt.Errorf("%w: cannot read %q", providers.ErrPermissionDenied, name)
	}
	return e, nil
}

func (p *Provider) sniff(r *root, rel string) string {
	real, err := r.resolve(rel)
	if err != nil {
		return ""
	}
	rr, _ := r.open()
	f, err := rr.OpenFile(real, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	buf := make([]byte, 512)
	n, _ := io.ReadFull(f, buf)
	if n == 0 {
		return ""
	}
	return http.DetectContentType(buf[:n])
}

func entryFromInfo(id, name string, fi fs.FileInfo) providers.Entry {
	e := providers.Entry{ID: id, Name: name, Path: id, IsDir: fi.IsDir(), Size: -1, ModTime: fi.ModTime()}
	switch {
	case fi.IsDir():
	case fi.Mode().IsRegular():
		e.Size = fi.Size()
		e.MIMEType = mime.TypeByExtension(filepath.Ext(name))
		e.Revision = fmt.Sprintf("%x-%x", fi.ModTime().UnixNano(), fi.Size())
	default:
		e.Err = fmt.Errorf("%w: %q is a %s, not a regular file", providers.ErrNotSupported, name, kind(fi.Mode()))
	}
	return e
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// Open implements providers.Provider.
func (p *Provider) Open(ctx context.Context, id string, offset int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, rel, err := p.locate(id)
	if err != nil {
		return nil, err
	}
	real, err := r.resolve(rel)
	if err != nil {
		return nil, mapErr(id, err)
	}
	rr, _ := r.open()
	f, err := rr.OpenFile(real, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, mapErr(id, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, mapErr(id, err)
	}
	if fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("local: %q: %w", id, providers.ErrIsFolder)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("local: %q: %w: not a regular file", id, providers.ErrNotSupported)
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, mapErr(id, err)
		}
	}
	return &ctxFile{ctx: ctx, f: f}, nil
}

// ctxFile stops reading once its context ends.
type ctxFile struct {
	ctx context.Context
	f   *os.File
}

func (c *ctxFile) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.f.Read(b)
}

func (c *ctxFile) Close() error { return c.f.Close() }

type pageToken struct {
	Folder   string `json:"f"`
	Consumed int    `json:"n"`
	Cursor   string `json:"c"`
}

// List implements providers.Provider. Entries come in directory order.
func (p *Provider) List(ctx context.Context, folderID, token string) (providers.Page, error) {
	if err := ctx.Err(); err != nil {
		return providers.Page{}, err
	}
	r, rel, err := p.locate(folderID)
	if err != nil {
		return providers.Page{}, err
	}
	folder := filepath.Join(r.logical, rel)
	real, err := r.resolve(rel)
	if err != nil {
		return providers.Page{}, mapErr(folder, err)
	}

	var c *cursor
	var key string
	if token != "" {
		var tok pageToken
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || json.Unmarshal(raw, &tok) != nil || tok.Folder != folder || tok.Consumed < 0 || tok.Cursor == "" {
			return providers.Page{}, fmt.Errorf("local: %w", providers.ErrPageExpired)
		}
		key = tok.Cursor
		p.mu.Lock()
		c = p.cursors[key]
		delete(p.cursors, key)
		p.mu.Unlock()
		if c != nil && (c.folder != folder || c.consumed != tok.Consumed) {
			c.f.Close()
			c = nil
		}
		if c == nil {
			// The handle was evicted: reopen and skip what was read.
			if c, err = p.openDir(r, real, folder); err != nil {
				return providers.Page{}, err
			}
			for c.consumed < tok.Consumed {
				names, err := c.f.Readdirnames(min(1024, tok.Consumed-c.consumed))
				c.consumed += len(names)
				if err != nil {
					c.f.Close()
					if err == io.EOF {
						return providers.Page{}, nil
					}
					return providers.Page{}, mapErr(folder, err)
				}
			}
		}
	} else {
		if c, err = p.openDir(r, real, folder); err != nil {
			return providers.Page{}, err
		}
		key = rand.Text()
	}

	page, done, err := p.fill(ctx, r, real, c)
	if err != nil || done {
		c.f.Close()
		return page, err
	}
	c.used = time.Now()
	p.park(key, c)
	raw, _ := json.Marshal(pageToken{Folder: folder, Consumed: c.consumed, Cursor: key})
	page.NextPageToken = base64.RawURLEncoding.EncodeToString(raw)
	return page, nil
}

func (p *Provider) openDir(r *root, real, folder string) (*cursor, error) {
	rr, _ := r.open()
	f, err := rr.OpenFile(real, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, mapErr(folder, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, mapErr(folder, err)
	}
	if !fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("local: %q: %w", folder, providers.ErrNotFolder)
	}
	return &cursor{f: f, folder: folder}, nil
}

// fill reads up to one page of visible entries.
func (p *Provider) fill(ctx context.Context, r *root, realDir string, c *cursor) (providers.Page, bool, error) {
	show := p.showHidden.Load()
	entries := make([]providers.Entry, 0, min(p.pageSize, 64))
	for len(entries) < p.pageSize {
		if err := ctx.Err(); err != nil {
			return providers.Page{}, false, err
		}
		des, err := c.f.ReadDir(p.pageSize - len(entries))
		c.consumed += len(des)
		for _, de := range des {
			name := de.Name()
			var info fs.FileInfo
			if !show {
				if !strings.HasPrefix(name, ".") {
					info, _ = de.Info()
				}
				if isHidden(name, info) {
					continue
				}
			}
			entries = append(entries, p.entry(r, realDir, c.folder, de, info))
		}
		if err == io.EOF || (err == nil && len(des) == 0) {
			return providers.Page{Entries: entries}, true, nil
		}
		if err != nil {
			return providers.Page{}, false, mapErr(c.folder, err)
		}
	}
	return providers.Page{Entries: entries}, false, nil
}

// entry builds the Entry of one directory item: lstat for ordinary items,
// the resolved target for a link that stays inside the place, Err for one
// that does not.
func (p *Provider) entry(r *root, realDir, folder string, de fs.DirEntry, info fs.FileInfo) providers.Entry {
	name := de.Name()
	id := filepath.Join(folder, name)
	realPath := filepath.Join(realDir, name)
	if de.Type()&fs.ModeSymlink != 0 {
		e := providers.Entry{ID: id, Name: name, Path: id, Size: -1}
		target, err := r.resolve(realPath)
		if err != nil {
			if errors.Is(err, providers.ErrOutsideRoot) {
				e.Err = fmt.Errorf("%w: the link %q leads outside %s", providers.ErrOutsideRoot, name, r.place.Name)
			} else {
				e.Err = fmt.Errorf("broken link %q: %w", name, mapErr(id, err))
			}
			return e
		}
		rr, _ := r.open()
		fi, err := rr.Stat(target)
		if err != nil {
			e.Err = mapErr(id, err)
			return e
		}
		realPath = target
		info = fi
	}
	if info == nil {
		fi, err := de.Info()
		if err != nil { // removed since ReadDir
			return providers.Entry{ID: id, Name: name, Path: id, Size: -1, Err: mapErr(id, err)}
		}
		info = fi
	}
	e := entryFromInfo(id, name, info)
	if e.Err == nil && !canRead(filepath.Join(r.real, realPath), e.IsDir) {
		e.Err = fmt.Errorf("%w: cannot read %q", providers.ErrPermissionDenied, name)
	}
	return e
}

// park keeps a cursor for the next page, closing idle and surplus ones.
func (p *Provider) park(key string, c *cursor) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	var oldestKey string
	for k, o := range p.cursors {
		if now.Sub(o.used) > cursorIdle {
			o.f.Close()
			delete(p.cursors, k)
			continue
		}
		if oldestKey == "" || o.used.Before(p.cursors[oldestKey].used) {
			oldestKey = k
		}
	}
	if len(p.cursors) >= maxCursors && oldestKey != "" {
		p.cursors[oldestKey].f.Close()
		delete(p.cursors, oldestKey)
	}
	p.cursors[key] = c
}
