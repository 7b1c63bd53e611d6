// Package webdav is the WebDAV provider, Nextcloud and ownCloud included.
//
// IDs are the decoded path below the configured URL: "/" for that folder,
// "/Photos/" for a folder (the trailing slash marks folders), "/Photos/a.jpg"
// for a file. A folder is listed with one PROPFIND Depth: 1 whose 207 answer
// is decoded as a stream and handed out a page at a time: the open answer
// waits between pages (for a while; see List), so a 100 000-entry folder
// never sits in memory.
//
// Against Nextcloud (a URL under /remote.php/, or Options.Nextcloud) it also
// asks for oc:fileid, oc:checksums, oc:size and nc:has-preview, and offers
// thumbnails through /index.php/core/preview. LoginFlow signs in with
// Nextcloud Login Flow v2 and yields an app password for the vault.
package webdav

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferry-app/ferry/providers"
)

// DefaultPageSize is the number of entries in a full List page.
const DefaultPageSize = 500

// Options configure New.
type Options struct {
	// URL is the folder to show, e.g.
	// https://cloud.example.com/remote.php/dav/files/ana/. It must be
	// https, except on a loopback address.
	URL string
	// User and Password for HTTP basic authentication (a Nextcloud app
	// password); empty User sends no credentials.
	User, Password string
	// CABundle is a PEM file of extra trusted CAs (an admin's private CA).
	CABundle string
	// Nextcloud forces Nextcloud/ownCloud extensions on even when URL is
	// not under /remote.php/.
	Nextcloud bool
	// PageSize is the number of entries per List page; 0 means
	// DefaultPageSize.
	PageSize int
	// HTTPClient, if set, replaces the client built from CABundle (tests).
	HTTPClient *http.Client
	// Client tunes retries and concurrency (MaxAttempts, backoff,
	// Concurrency); its HTTP, Authorize and MapError fields are set by New.
	Client *providers.Client
}

// Provider is one WebDAV account. Close it to drop listings in progress.
type Provider struct {
	base      *url.URL // always ends in "/"
	baseSegs  []string // decoded segments of base's path
	user      string
	nextcloud bool
	ncRoot    *url.URL // Nextcloud's web root (…/index.php lives under it)
	pageSize  int
	c         *providers.Client

	mu      sync.Mutex
	cursors map[string]*cursor
	fileIDs map[string]string // path → oc:fileid, for previews
}

var (
	_ providers.Provider      = (*Provider)(nil)
	_ providers.PathResolver  = (*Provider)(nil)
	_ providers.Thumbnailer   = (*Provider)(nil)
	_ providers.QuotaInfo     = (*Provider)(nil)
	_ providers.AccountInfo   = (*Provider)(nil)
	_ providers.FeatureMasker = (*Provider)(nil)
)

// New checks opts and returns a Provider. It makes no request.
func New(opts Options) (*Provider, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("webdav: %q is not an http(s) URL", opts.URL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("webdav: the URL must not carry user info, a query or a fragment")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("webdav: %s must use https (plain http is only allowed on a loopback address)", providers.RedactURL(u))
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	p := &Provider{
		base:     u,
		baseSegs: splitEscaped(u.EscapedPath()),
		user:     opts.User,
		pageSize: opts.PageSize,
		cursors:  map[string]*cursor{},
		fileIDs:  map[string]string{},
	}
	if p.pageSize <= 0 {
		p.pageSize = DefaultPageSize
	}
	if strings.Contains(u.Path, "/remote.php/") || opts.Nextcloud {
		p.nextcloud = true
		p.ncRoot = ServerRoot(u)
	}
	hc := opts.HTTPClient
	if hc == nil {
		if hc, err = providers.NewHTTPClient(providers.TransportOptions{CABundle: opts.CABundle}); err != nil {
			return nil, fmt.Errorf("webdav: %w", err)
		}
	}
	c := opts.Client
	if c == nil {
		c = &providers.Client{}
	}
	c.HTTP = hc
	if c.Name == "" {
		c.Name = "webdav"
	}
	if opts.User != "" {
		user, pass := opts.User, opts.Password
		c.Authorize = func(r *http.Request) error {
			// Credentials go only to the configured server, never to a
			// host a redirect names.
			if r.URL.Host == u.Host {
				r.SetBasicAuth(user, pass)
			}
			return nil
		}
	}
	c.MapError = mapError
	p.c = c
	return p, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// mapError adds WebDAV's statuses to the default mapping.
func mapError(resp *http.Response, _ []byte) error {
	switch resp.StatusCode {
	case http.StatusRequestedRangeNotSatisfiable:
		return errRangeNotSatisfiable
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return errMethodNotAllowed
	}
	return nil
}

var (
	errRangeNotSatisfiable = errors.New("webdav: range not satisfiable")
	errMethodNotAllowed    = errors.New("webdav: method not allowed here")
)

// Close ends listings in progress.
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, c := range p.cursors {
		c.close()
		delete(p.cursors, k)
	}
	return nil
}

// MaskFeatures implements providers.FeatureMasker: previews exist only on
// Nextcloud/ownCloud.
func (p *Provider) MaskFeatures(f *providers.Features) {
	if !p.nextcloud {
		f.Thumbnailer = nil
	}
}

// --- IDs and URLs ---

// splitEscaped splits an escaped path into decoded segments, dropping empty
// ones. A segment that does not decode is kept as is.
func splitEscaped(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s == "" {
			continue
		}
		if d, err := url.PathUnescape(s); err == nil {
			s = d
		}
		out = append(out, s)
	}
	return out
}

// segments validates an ID and returns its names. An ID is "" or starts
// with "/"; no name may be empty, ".", ".." or contain "/" — such an ID
// cannot name anything on a WebDAV server, and refusing it here keeps every
// request inside the base URL.
func segments(id string) ([]string, bool, error) {
	if id == "" || id == "/" {
		return nil, true, nil
	}
	if !strings.HasPrefix(id, "/") {
		return nil, false, fmt.Errorf("webdav: %q: %w", id, providers.ErrNotFound)
	}
	dir := strings.HasSuffix(id, "/")
	segs := strings.Split(strings.Trim(id, "/"), "/")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return nil, false, fmt.Errorf("webdav: %q: %w", id, providers.ErrNotFound)
		}
	}
	return segs, dir, nil
}

// makeID is the ID of the entry at segs.
func makeID(segs []string, dir bool) string {
	if len(segs) == 0 {
		return "/"
	}
	id := "/" + strings.Join(segs, "/")
	if dir {
		id += "/"
	}
	return id
}

// urlFor returns the URL of segs below the base, every name escaped.
func (p *Provider) urlFor(segs []string, dir bool) *url.URL {
	var b strings.Builder
	b.WriteString(p.base.EscapedPath())
	for i, s := range segs {
		b.WriteString(url.PathEscape(s))
		if i < len(segs)-1 || dir {
			b.WriteByte('/')
		}
	}
	u := *p.base
	u.RawPath = b.String()
	u.Path, _ = url.PathUnescape(u.RawPath)
	return &u
}

// hrefSegments resolves a DAV:href (absolute URL, absolute path or
// relative to the request) and returns its names below the base. ok is
// false for an href outside the base or one that names no valid entry.
// Only the path counts: behind a reverse proxy an absolute href (RFC 4918
// §8.3) may spell the default port out (https://host:443/…) or name the
// server's internal host, and mature clients (rclone, davfs2) compare the
// path under the base. No request ever goes to the href's host.
func (p *Provider) hrefSegments(req *url.URL, href string) (segs []string, ok bool) {
	h, err := url.Parse(href)
	if err != nil {
		// Some servers send spaces or other bytes unescaped.
		if h, err = url.Parse(strings.ReplaceAll(href, " ", "%20")); err != nil {
			return nil, false
		}
	}
	abs := req.ResolveReference(h)
	raw := abs.EscapedPath()
	var all []string
	for _, s := range strings.Split(raw, "/") {
		if s == "" {
			continue
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		all = append(all, d)
	}
	if len(all) < len(p.baseSegs) {
		return nil, false
	}
	for i, s := range p.baseSegs {
		if all[i] != s {
			return nil, false
		}
	}
	rel := all[len(p.baseSegs):]
	for _, s := range rel {
		if s == "." || s == ".." || strings.Contains(s, "/") {
			return nil, false
		}
	}
	return rel, true
}

// --- PROPFIND ---

const propfindDAV = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:getcontentlength/><d:getlastmodified/><d:getcontenttype/><d:getetag/></d:prop></d:propfind>`

const propfindNextcloud = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns"><d:prop><d:resourcetype/><d:getcontentlength/><d:getlastmodified/><d:getcontenttype/><d:getetag/><oc:fileid/><oc:size/><oc:checksums/><nc:has-preview/></d:prop></d:propfind>`

const propfindQuota = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:quota-available-bytes/><d:quota-used-bytes/></d:prop></d:propfind>`

// propfind sends a PROPFIND and returns the open 207 answer.
func (p *Provider) propfind(ctx context.Context, u *url.URL, depth, body string) (*http.Response, error) {
	resp, err := p.c.Send(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, "PROPFIND", u.String(), strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Depth", depth)
		req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
		return req, nil
	})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusMultiStatus {
		resp.Body.Close()
		return nil, fmt.Errorf("webdav: PROPFIND %s answered %s, not 207 Multi-Status", providers.RedactURL(u), resp.Status)
	}
	return resp, nil
}

func (p *Provider) propBody() string {
	if p.nextcloud {
		return propfindNextcloud
	}
	return propfindDAV
}

// entry turns one decoded response into an Entry.
func (p *Provider) entry(segs []string, r *davResponse) providers.Entry {
	pr := r.props
	e := providers.Entry{
		ID:           makeID(segs, pr.isDir),
		Path:         "/" + strings.Join(segs, "/"),
		IsDir:        pr.isDir,
		Size:         pr.length,
		ModTime:      pr.modTime,
		Revision:     pr.etag,
		HasThumbnail: pr.hasPreview && p.nextcloud && pr.fileID != "",
	}
	if len(segs) > 0 {
		e.Name = segs[len(segs)-1]
	} else {
		e.Name = p.rootName()
	}
	// A server can percent-encode any bytes into a name; the ID keeps them
	// exact (so the file still opens), the shown name is valid text.
	e.Name = strings.ToValidUTF8(e.Name, "\uFFFD")
	if pr.isDir {
		e.Size = pr.folderSize
	} else {
		e.MIMEType = pr.contentType
		if e.MIMEType == "" {
			e.MIMEType = mime.TypeByExtension(path.Ext(e.Name))
		}
		e.Hash = pickHash(pr.checksums)
	}
	return e
}

func (p *Provider) rootName() string {
	if n := len(p.baseSegs); n > 0 {
		return p.baseSegs[n-1]
	}
	return p.base.Host
}

// pickHash chooses the strongest of ownCloud's "ALGO:hex" checksums.
func pickHash(sums []string) providers.Hash {
	var best providers.Hash
	rank := map[string]int{"md5": 1, "sha1": 2, "sha256": 3}
	for _, s := range sums {
		algo, val, ok := strings.Cut(s, ":")
		algo = strings.ToLower(algo)
		if !ok || rank[algo] == 0 || rank[algo] <= rank[best.Algorithm] {
			continue
		}
		best = providers.Hash{Algorithm: algo, Value: strings.ToLower(val)}
	}
	return best
}

// Roots implements providers.Provider: the configured folder.
func (p *Provider) Roots(ctx context.Context) ([]providers.Entry, error) {
	e, err := p.Stat(ctx, "/")
	if err != nil {
		return nil, err
	}
	return []providers.Entry{e}, nil
}

// ResolvePath implements providers.PathResolver: paths are IDs here.
func (p *Provider) ResolvePath(ctx context.Context, path string) (providers.Entry, error) {
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return p.Stat(ctx, path)
}

// Stat implements providers.Provider with a PROPFIND Depth: 0.
func (p *Provider) Stat(ctx context.Context, id string) (providers.Entry, error) {
	segs, dir, err := segments(id)
	if err != nil {
		return providers.Entry{}, err
	}
	u := p.urlFor(segs, dir)
	resp, err := p.propfind(ctx, u, "0", p.propBody())
	if err != nil {
		return providers.Entry{}, wrap(id, err)
	}
	defer resp.Body.Close()
	dec := newPropDecoder(resp.Body)
	for {
		r, err := dec.next()
		if err == io.EOF {
			return providers.Entry{}, fmt.Errorf("webdav: %q: %w (no answer for it)", id, providers.ErrNotFound)
		}
		if err != nil {
			return providers.Entry{}, wrap(id, err)
		}
		got, ok := p.hrefSegments(u, r.href)
		if !ok || !equalSegs(got, segs) {
			continue
		}
		if r.status >= 400 {
			return providers.Entry{}, wrap(id, statusError(r.status))
		}
		e := p.entry(segs, r)
		p.rememberFileID(e, r.props.fileID)
		return e, nil
	}
}

func statusError(code int) error {
	switch code {
	case http.StatusNotFound, http.StatusGone:
		return providers.ErrNotFound
	case http.StatusForbidden:
		return providers.ErrPermissionDenied
	case http.StatusUnauthorized:
		return providers.ErrNeedsSignIn
	}
	return &providers.HTTPError{StatusCode: code}
}

func wrap(id string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("webdav: %q: %w", id, err)
}

func equalSegs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (p *Provider) rememberFileID(e providers.Entry, fileID string) {
	if !e.HasThumbnail {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.fileIDs) >= 50000 {
		clear(p.fileIDs)
	}
	p.fileIDs[e.ID] = fileID
}

// --- List ---

// cursor is an open PROPFIND answer being handed out page by page.
type cursor struct {
	folder  []string
	reqURL  *url.URL
	body    io.ReadCloser
	dec     *propDecoder
	cancel  context.CancelFunc // ends the request
	emitted int                // children handed out so far
	sum     uint64             // running hash of their names, in order
	pending *providers.Entry   // read ahead to know whether more follow
	idle    *time.Timer
}

func (c *cursor) close() {
	if c.idle != nil {
		c.idle.Stop()
	}
	c.cancel()
	c.body.Close()
}

const (
	// maxCursors stays below the Client's default concurrency: every open
	// answer holds one of its slots.
	maxCursors = 4
	// cursorIdle: an answer nobody reads for this long is closed (the
	// server would time out anyway); a later page reopens it and skips.
	cursorIdle = 30 * time.Second
)

type pageToken struct {
	Folder  string `json:"f"`
	Emitted int    `json:"n"`
	Sum     uint64 `json:"h"`
	Cursor  string `json:"c"`
}

// addName folds a name into a cursor's running FNV-1a hash.
func addName(sum uint64, name string) uint64 {
	if sum == 0 {
		sum = 14695981039346656037
	}
	for i := 0; i < len(name); i++ {
		sum ^= uint64(name[i])
		sum *= 1099511628211
	}
	sum ^= '/'
	return sum * 1099511628211
}

// List implements providers.Provider. One PROPFIND Depth: 1 serves all
// pages of a walk: its answer is decoded as pages are asked for. If the
// next page is not asked for within 30 s, or more than four listings are
// in progress, the answer is dropped and the next page re-sends the
// PROPFIND and skips what was handed out. That needs the server to answer
// in the same order again (Nextcloud, Apache and x/net/webdav over a disk
// do); the token carries a hash of the names handed out, and if the
// skipped names differ List returns ErrPageExpired rather than repeat or
// lose entries.
func (p *Provider) List(ctx context.Context, folderID, token string) (providers.Page, error) {
	segs, _, err := segments(folderID)
	if err != nil {
		return providers.Page{}, err
	}
	folder := makeID(segs, true)
	var c *cursor
	key := ""
	skip, sum := 0, uint64(0)
	if token != "" {
		var tok pageToken
		raw, derr := base64.RawURLEncoding.DecodeString(token)
		if derr != nil || json.Unmarshal(raw, &tok) != nil || tok.Folder != folder || tok.Emitted < 0 || tok.Cursor == "" {
			return providers.Page{}, fmt.Errorf("webdav: %w", providers.ErrPageExpired)
		}
		key, skip, sum = tok.Cursor, tok.Emitted, tok.Sum
		c = p.take(key)
		if c != nil && c.emitted != tok.Emitted {
			c.close()
			c = nil
		}
	} else {
		key = rand.Text()
	}
	if err := ctx.Err(); err != nil {
		if c != nil {
			c.close()
		}
		return providers.Page{}, err
	}
	if c == nil {
		if c, err = p.openCursor(ctx, segs); err != nil {
			return providers.Page{}, wrap(folder, err)
		}
	}

	// While this call reads, its ctx governs the answer; between calls the
	// cursor's own context keeps it open.
	stop := context.AfterFunc(ctx, c.cancel)
	page, done, err := p.fill(c, skip, sum)
	if !stop() || ctx.Err() != nil {
		c.close()
		return providers.Page{}, ctx.Err()
	}
	if err != nil || done {
		c.close()
		if err != nil {
			return providers.Page{}, wrap(folder, err)
		}
		return page, nil
	}
	p.park(key, c)
	raw, _ := json.Marshal(pageToken{Folder: folder, Emitted: c.emitted, Sum: c.sum, Cursor: key})
	page.NextPageToken = base64.RawURLEncoding.EncodeToString(raw)
	return page, nil
}

func (p *Provider) openCursor(ctx context.Context, segs []string) (*cursor, error) {
	u := p.urlFor(segs, true)
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	resp, err := p.propfind(rctx, u, "1", p.propBody())
	stop()
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return &cursor{folder: segs, reqURL: u, body: resp.Body, dec: newPropDecoder(resp.Body), cancel: cancel}, nil
}

// fill hands out the next page: it skips children a re-sent PROPFIND
// already handed out (up to skip), and reads one entry ahead to know
// whether another page follows.
func (p *Provider) fill(c *cursor, skip int, sum uint64) (providers.Page, bool, error) {
	entries := make([]providers.Entry, 0, min(p.pageSize, 64))
	if c.pending != nil {
		entries = append(entries, *c.pending)
		c.pending = nil
	}
	// emit counts the page's entries as handed out.
	emit := func(es []providers.Entry) {
		for _, e := range es {
			c.sum = addName(c.sum, e.Name)
		}
		c.emitted += len(es)
	}
	resumed := c.emitted < skip
	for {
		r, err := c.dec.next()
		if err == io.EOF {
			if c.emitted < skip || (resumed && c.sum != sum) {
				return providers.Page{}, false, providers.ErrPageExpired
			}
			emit(entries)
			return providers.Page{Entries: entries}, true, nil
		}
		if err != nil {
			return providers.Page{}, false, err
		}
		segs, ok := p.hrefSegments(c.reqURL, r.href)
		if !ok {
			continue
		}
		if equalSegs(segs, c.folder) { // the folder itself
			if r.status >= 400 {
				return providers.Page{}, false, statusError(r.status)
			}
			if !r.props.isDir {
				return providers.Page{}, false, providers.ErrNotFolder
			}
			continue
		}
		if len(segs) != len(c.folder)+1 || !equalSegs(segs[:len(c.folder)], c.folder) || r.status >= 400 {
			continue // not a child, or an error entry
		}
		if c.emitted < skip {
			c.emitted++
			c.sum = addName(c.sum, segs[len(segs)-1])
			continue
		}
		if resumed {
			if c.sum != sum {
				return providers.Page{}, false, providers.ErrPageExpired
			}
			resumed = false
		}
		e := p.entry(segs, r)
		p.rememberFileID(e, r.props.fileID)
		if len(entries) == p.pageSize {
			c.pending = &e
			emit(entries)
			return providers.Page{Entries: entries}, false, nil
		}
		entries = append(entries, e)
	}
}

func (p *Provider) take(key string) *cursor {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.cursors[key]
	if c != nil {
		delete(p.cursors, key)
		c.idle.Stop()
	}
	return c
}

func (p *Provider) park(key string, c *cursor) {
	// Every parked answer holds one of the Client's concurrency slots;
	// leave at least one free for other calls.
	limit := maxCursors
	if n := p.c.Concurrency; n > 0 && n-1 < limit {
		limit = n - 1
	}
	if limit <= 0 {
		c.close()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.cursors) >= limit {
		// Drop an arbitrary one: the next page of it reopens.
		for k, o := range p.cursors {
			o.close()
			delete(p.cursors, k)
			break
		}
	}
	p.cursors[key] = c
	c.idle = time.AfterFunc(cursorIdle, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.cursors[key] == c {
			delete(p.cursors, key)
			c.cancel()
			c.body.Close()
		}
	})
}

// --- Open ---

// Open implements providers.Provider with a GET, ranged when offset > 0.
// A server that ignores Range is read from the start and the first offset
// bytes are discarded.
func (p *Provider) Open(ctx context.Context, id string, offset int64) (io.ReadCloser, error) {
	segs, dir, err := segments(id)
	if err != nil {
		return nil, err
	}
	if dir || len(segs) == 0 {
		if _, err := p.Stat(ctx, id); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("webdav: %q: %w", id, providers.ErrIsFolder)
	}
	u := p.urlFor(segs, false)
	resp, err := p.c.Send(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		if offset > 0 {
			req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
		}
		// Content as stored: no transparent decompression that would
		// shift offsets.
		req.Header.Set("Accept-Encoding", "identity")
		return req, nil
	})
	switch {
	case errors.Is(err, errRangeNotSatisfiable):
		return io.NopCloser(strings.NewReader("")), nil
	case errors.Is(err, errMethodNotAllowed):
		if e, serr := p.Stat(ctx, id+"/"); serr == nil && e.IsDir {
			return nil, fmt.Errorf("webdav: %q: %w", id, providers.ErrIsFolder)
		}
		return nil, wrap(id, err)
	case err != nil:
		return nil, wrap(id, err)
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		start, ok := contentRangeStart(resp.Header.Get("Content-Range"))
		if !ok || start != offset {
			resp.Body.Close()
			return nil, fmt.Errorf("webdav: %q: server sent range %q for offset %d", id, resp.Header.Get("Content-Range"), offset)
		}
		return resp.Body, nil
	case http.StatusOK:
		if offset > 0 {
			if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
				resp.Body.Close()
				if err == io.EOF {
					return io.NopCloser(strings.NewReader("")), nil
				}
				return nil, wrap(id, err)
			}
		}
		return resp.Body, nil
	}
	resp.Body.Close()
	return nil, fmt.Errorf("webdav: GET %q answered %s", id, resp.Status)
}

// contentRangeStart reads the first byte position of "bytes 100-199/200".
func contentRangeStart(v string) (int64, bool) {
	v, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(v, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(first), 10, 64)
	return n, err == nil
}

// --- Capabilities ---

// Thumbnail implements providers.Thumbnailer with Nextcloud's preview
// endpoint (/index.php/core/preview?fileId=&x=&y=&a=1). Entries whose
// HasThumbnail is false answer ErrNotFound.
func (p *Provider) Thumbnail(ctx context.Context, id string, size int) (io.ReadCloser, string, error) {
	if !p.nextcloud {
		return nil, "", fmt.Errorf("webdav: thumbnails: %w", providers.ErrNotSupported)
	}
	p.mu.Lock()
	fileID := p.fileIDs[id]
	p.mu.Unlock()
	if fileID == "" {
		e, err := p.Stat(ctx, id)
		if err != nil {
			return nil, "", err
		}
		p.mu.Lock()
		fileID = p.fileIDs[e.ID]
		p.mu.Unlock()
		if fileID == "" {
			return nil, "", fmt.Errorf("webdav: %q has no preview: %w", id, providers.ErrNotFound)
		}
	}
	size = max(16, min(size, 2048))
	u := *p.ncRoot
	u.Path = path.Join(p.ncRoot.Path, "index.php/core/preview")
	q := url.Values{"fileId": {fileID}, "x": {strconv.Itoa(size)}, "y": {strconv.Itoa(size)}, "a": {"1"}}
	u.RawQuery = q.Encode()
	resp, err := p.c.Send(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	})
	if err != nil {
		return nil, "", wrap(id, err)
	}
	ct := resp.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "image/") {
		resp.Body.Close()
		return nil, "", fmt.Errorf("webdav: preview of %q is %q, not an image", id, ct)
	}
	return resp.Body, ct, nil
}

// Quota implements providers.QuotaInfo with RFC 4331's properties on the
// configured folder. A server without them answers ErrNotSupported.
func (p *Provider) Quota(ctx context.Context) (providers.Quota, error) {
	u := p.urlFor(nil, true)
	resp, err := p.propfind(ctx, u, "0", propfindQuota)
	if err != nil {
		return providers.Quota{}, wrap("/", err)
	}
	defer resp.Body.Close()
	r, err := newPropDecoder(resp.Body).next()
	if err != nil {
		return providers.Quota{}, wrap("/", err)
	}
	q := providers.Quota{Used: r.props.quotaUsed, Free: r.props.quotaAvail, Total: -1}
	if q.Used < 0 && q.Free < 0 {
		return providers.Quota{}, fmt.Errorf("webdav: quota: %w", providers.ErrNotSupported)
	}
	// Nextcloud reports unlimited/unknown space as a negative number.
	q.Used, q.Free = max(q.Used, -1), max(q.Free, -1)
	if q.Used >= 0 && q.Free >= 0 {
		q.Total = q.Used + q.Free
	}
	return q, nil
}

// AccountInfo implements providers.AccountInfo: the user at the server.
// WebDAV has no account API; the configured user is the identity.
func (p *Provider) AccountInfo(ctx context.Context) (providers.Account, error) {
	id := p.base.Host + p.base.Path
	if p.user != "" {
		id = p.user + "@" + id
	}
	return providers.Account{ID: id, Name: p.user}, ctx.Err()
}

// ServerRoot is the web root of the Nextcloud or ownCloud server a WebDAV
// URL lies under (…/nc/remote.php/dav/files/alice/ → …/nc/), or the URL's
// origin for other servers. index.php (previews, Login Flow v2) lives there.
func ServerRoot(u *url.URL) *url.URL {
	root := *u
	root.Path, root.RawPath = "/", ""
	if i := strings.Index(u.Path, "/remote.php/"); i >= 0 {
		root.Path = u.Path[:i+1]
	}
	return &root
}
