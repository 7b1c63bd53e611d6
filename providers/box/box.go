// Package box is the Box source, read through the Box API v2.0. Box's token
// endpoint requires the client secret, so the code exchange, every refresh
// and revocation go through the Ferry backend (exchange "backend"); Box
// refresh tokens are single-use, and the vault persists each rotated one
// before the new access token is used.
//
// IDs carry the item type ("d123" a folder, "f456" a file), because Box
// addresses folders and files under separate routes. Downloads follow the
// 302 from /files/{id}/content by hand, without the bearer token.
package box

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/internal/retry"
	"github.com/ferry-app/ferry/providers"
)

// Defaults for Settings fields left empty.
const (
	DefaultAPIBase  = "https://api.box.com"
	DefaultAuthBase = "https://account.box.com"
	// DefaultPageSize is the limit of a List page (Box allows up to 1000).
	DefaultPageSize = 500
	// RootID is the ID of "All Files", Box's folder 0.
	RootID = "d0"
)

// Kind is Box for the application's registry.
var Kind = providers.Kind{
	Type:          "box",
	Title:         "Box",
	NeedsClientID: true,
	// Box's token endpoint always wants the client secret.
	DefaultExchange: "backend",
	SignIn:          SignIn,
	New: func(ctx context.Context, s providers.Settings, d providers.Deps) (providers.Provider, error) {
		opts := Options{APIBase: s.APIBase, Tokens: d.Tokens, Logger: d.Logger}
		if d.Transport != nil {
			opts.HTTPClient = &http.Client{Transport: d.Transport}
		}
		return New(opts)
	},
}

// SignIn describes Box's sign-in: the authorization page under s.AuthBase
// (default account.box.com), token and revocation endpoints under s.APIBase
// (default api.box.com) — which Ferry reaches only through the backend,
// since Box requires the client secret there. Box scopes are set on the
// app; s.Scopes, if any, narrows them.
func SignIn(s providers.Settings) *providers.SignIn {
	auth := strings.TrimRight(cmp.Or(s.AuthBase, DefaultAuthBase), "/")
	api := strings.TrimRight(cmp.Or(s.APIBase, DefaultAPIBase), "/")
	return &providers.SignIn{
		AuthURL:   auth + "/api/oauth2/authorize",
		TokenURL:  api + "/oauth2/token",
		RevokeURL: api + "/oauth2/revoke",
		Scopes:    s.Scopes,
	}
}

// Options configure New.
type Options struct {
	// APIBase is the API root without the version (DefaultAPIBase when
	// empty): calls go to APIBase/2.0/…. It must be https, except on a
	// loopback address (tests).
	APIBase string
	// Tokens yields access tokens for the account (the vault's token source).
	Tokens oauth2.TokenSource
	// PageSize is the limit of List and Search pages; 0 means DefaultPageSize.
	PageSize int
	// HTTPClient does the requests (its CheckRedirect is replaced: Ferry
	// follows redirects itself); nil means providers.NewHTTPClient.
	HTTPClient *http.Client
	// Client tunes retries and concurrency; its HTTP, Authorize, Refresh
	// and MapError fields are set by New.
	Client *providers.Client
	Logger *slog.Logger
	// PendingWait bounds the total wait for something Box is still
	// preparing (202 + Retry-After: a thumbnail being generated, a file not
	// yet downloadable); default 30s.
	PendingWait time.Duration
}

// Provider is one signed-in Box account.
type Provider struct {
	api         *url.URL
	base        string // APIBase + "/2.0"
	pageSize    int
	pendingWait time.Duration
	c           *providers.Client
}

var (
	_ providers.Provider    = (*Provider)(nil)
	_ providers.Thumbnailer = (*Provider)(nil)
	_ providers.Searcher    = (*Provider)(nil)
	_ providers.AccountInfo = (*Provider)(nil)
	_ providers.QuotaInfo   = (*Provider)(nil)
)

// New checks opts and returns a Provider. It makes no request.
func New(opts Options) (*Provider, error) {
	if opts.Tokens == nil {
		return nil, errors.New("box: no token source (sign in first)")
	}
	u, err := providers.ParseAPIBase("box", opts.APIBase, DefaultAPIBase)
	if err != nil {
		return nil, err
	}
	hc := opts.HTTPClient
	if hc == nil {
		if hc, err = providers.NewHTTPClient(providers.TransportOptions{}); err != nil {
			return nil, fmt.Errorf("box: %w", err)
		}
	}
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p := &Provider{api: u, base: u.String() + "/2.0", pageSize: opts.PageSize,
		pendingWait: cmp.Or(opts.PendingWait, 30*time.Second)}
	if p.pageSize <= 0 || p.pageSize > 1000 {
		p.pageSize = DefaultPageSize
	}
	c := opts.Client
	if c == nil {
		c = &providers.Client{}
	}
	c.HTTP = &noRedirect
	c.Name = cmp.Or(c.Name, "box")
	bearer := &providers.Bearer{Tokens: opts.Tokens, Service: "Box", Trusted: p.trusted}
	c.Authorize = bearer.Authorize
	c.Refresh = bearer.Refresh
	c.MapError = mapError
	if c.Logger == nil {
		c.Logger = opts.Logger
	}
	p.c = c
	return p, nil
}

var idPattern = regexp.MustCompile(`^[df][0-9]{1,20}$`)

// parseID splits "d123"/"f456" into type and Box ID; "" is the root.
func parseID(id string) (folder bool, boxID string, err error) {
	if id == "" {
		return true, "0", nil
	}
	if !idPattern.MatchString(id) {
		return false, "", fmt.Errorf("box: malformed ID %q: %w", id, providers.ErrNotFound)
	}
	return id[0] == 'd', id[1:], nil
}

func (p *Provider) get(ctx context.Context, rawURL string) (*http.Response, error) {
	return p.c.Send(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err == nil {
			req.Header.Set("Accept", "application/json")
		}
		return req, err
	})
}

func (p *Provider) getJSON(ctx context.Context, rawURL string, v any) error {
	resp, err := p.get(ctx, rawURL)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return fmt.Errorf("box: unexpected answer %d from %s", resp.StatusCode, providers.RedactURL(resp.Request.URL))
	}
	return p.c.DecodeJSON(resp, v)
}

func (p *Provider) url(path string, q url.Values) string {
	s := p.base + path
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// entry converts a Box item; web links are listed but cannot be opened.
func entry(it boxItem) providers.Entry {
	e := providers.Entry{Name: it.Name, Size: -1}
	switch it.Type {
	case "folder":
		e.ID, e.IsDir = "d"+it.ID, true
		if it.ID == "0" {
			e.Path = "/"
		}
	case "file":
		e.ID = "f" + it.ID
		if it.Size != nil {
			e.Size = *it.Size
		}
		sha := it.SHA1
		if sha == "" && it.FileVersion != nil {
			sha = it.FileVersion.SHA1
		}
		if sha != "" {
			e.Hash = providers.Hash{Algorithm: "sha1", Value: strings.ToLower(sha)}
		}
		e.HasThumbnail = thumbnailable[strings.ToLower(cmp.Or(it.Extension, extOf(it.Name)))]
	default:
		e.ID = "w" + it.ID
		e.Err = fmt.Errorf("a Box %s cannot be downloaded: %w", it.Type, providers.ErrNotSupported)
	}
	if !idPattern.MatchString(e.ID) && e.Err == nil {
		e.Err = fmt.Errorf("Box sent an item ID Ferry cannot use: %w", providers.ErrNotSupported)
	}
	if t, err := time.Parse(time.RFC3339, cmp.Or(it.ContentModifiedAt, it.ModifiedAt)); err == nil {
		e.ModTime = t
	}
	switch {
	case it.FileVersion != nil && it.FileVersion.ID != "":
		e.Revision = it.FileVersion.ID // changes with each upload, not with a rename
	case it.ETag != nil:
		e.Revision = *it.ETag
	}
	return e
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return ""
}

// thumbnailable are the extensions Box makes previews for: images and
// videos (thumbnail.png and representations), documents and PDFs
// (representations).
var thumbnailable = map[string]bool{"pdf": true, "doc": true, "docx": true, "xls": true, "xlsx": true,
	"ppt": true, "pptx": true, "jpg": true, "jpeg": true, "png": true, "gif": true, "bmp": true, "tif": true,
	"tiff": true, "svg": true, "heic": true, "webp": true, "3g2": true, "3gp": true, "avi": true, "m2v": true,
	"m2ts": true, "m4v": true, "mkv": true, "mov": true, "mp4": true, "mpeg": true, "mpg": true, "ogg": true,
	"mts": true, "qt": true, "wmv": true}

// Roots is "All Files": Box shows shared folders there too.
func (p *Provider) Roots(ctx context.Context) ([]providers.Entry, error) {
	e, err := p.Stat(ctx, RootID)
	if err != nil {
		return nil, err
	}
	return []providers.Entry{e}, nil
}

// Stat returns the item with this ID.
func (p *Provider) Stat(ctx context.Context, id string) (providers.Entry, error) {
	folder, bid, err := parseID(id)
	if err != nil {
		return providers.Entry{}, err
	}
	kind, fields := "/files/", fileFields
	if folder {
		kind, fields = "/folders/", folderFields
	}
	var it boxItem
	if err := p.getJSON(ctx, p.url(kind+bid, url.Values{"fields": {fields}}), &it); err != nil {
		return providers.Entry{}, fmt.Errorf("box: %q: %w", id, err)
	}
	return entry(it), nil
}

// List returns one page of a folder's items (marker paging).
func (p *Provider) List(ctx context.Context, folderID, pageToken string) (providers.Page, error) {
	folder, bid, err := parseID(folderID)
	if err != nil {
		return providers.Page{}, err
	}
	if !folder {
		if _, err := p.Stat(ctx, folderID); err != nil {
			return providers.Page{}, err
		}
		return providers.Page{}, fmt.Errorf("box: %q: %w", folderID, providers.ErrNotFolder)
	}
	q := url.Values{"fields": {itemFields}, "usemarker": {"true"}, "limit": {strconv.Itoa(p.pageSize)}}
	if pageToken != "" {
		q.Set("marker", pageToken)
	}
	var page itemsPage
	if err := p.getJSON(ctx, p.url("/folders/"+bid+"/items", q), &page); err != nil {
		var he *providers.HTTPError
		if pageToken != "" && errors.As(err, &he) && he.StatusCode == http.StatusBadRequest {
			err = fmt.Errorf("%w: %w", providers.ErrPageExpired, err)
		}
		return providers.Page{}, fmt.Errorf("box: listing %q: %w", folderID, err)
	}
	out := providers.Page{}
	if page.NextMarker != nil {
		out.NextPageToken = *page.NextMarker
	}
	for _, it := range page.Entries {
		out.Entries = append(out.Entries, entry(it))
	}
	return out, nil
}

// Search finds files by name and content anywhere in the account
// (GET /search, type=file, under folder 0; offset paging).
func (p *Provider) Search(ctx context.Context, query, pageToken string) (providers.Page, error) {
	if strings.TrimSpace(query) == "" {
		return providers.Page{}, nil
	}
	offset := 0
	if pageToken != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(pageToken, "o"))
		if !strings.HasPrefix(pageToken, "o") || err != nil || n < 0 {
			return providers.Page{}, providers.ErrPageExpired
		}
		offset = n
	}
	q := url.Values{"query": {query}, "type": {"file"}, "ancestor_folder_ids": {"0"}, "fields": {itemFields},
		"limit": {strconv.Itoa(min(p.pageSize, 200))}, "offset": {strconv.Itoa(offset)}}
	var page itemsPage
	if err := p.getJSON(ctx, p.url("/search", q), &page); err != nil {
		return providers.Page{}, fmt.Errorf("box: search: %w", err)
	}
	out := providers.Page{}
	for _, it := range page.Entries {
		out.Entries = append(out.Entries, entry(it))
	}
	if next := offset + len(page.Entries); len(page.Entries) > 0 && next < page.TotalCount {
		out.NextPageToken = "o" + strconv.Itoa(next)
	}
	return out, nil
}

// Open downloads the file from offset: /files/{id}/content answers 302 to a
// download URL, fetched with a Range header and without the bearer token.
func (p *Provider) Open(ctx context.Context, id string, offset int64) (io.ReadCloser, error) {
	folder, bid, err := parseID(id)
	if err != nil {
		return nil, err
	}
	if folder {
		if _, err := p.Stat(ctx, id); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("box: %q: %w", id, providers.ErrIsFolder)
	}
	// A download URL is short-lived: one that expired before it was
	// fetched is replaced by asking /content again, once.
	for attempt := 0; ; attempt++ {
		resp, err := p.notPending(ctx, p.url("/files/"+bid+"/content", nil), p.pendingWait)
		if err != nil {
			return nil, fmt.Errorf("box: opening %q: %w", id, err)
		}
		rc, _, err := p.c.FollowDownload(ctx, resp, offset)
		if errors.Is(err, providers.ErrLinkExpired) && attempt == 0 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("box: opening %q: %w", id, err)
		}
		return rc, nil
	}
}

// notPending GETs an API URL, waiting out 202 Accepted answers ("not
// ready yet": a file still being processed, a thumbnail being generated)
// as their Retry-After asks, up to wait in total.
func (p *Provider) notPending(ctx context.Context, rawURL string, wait time.Duration) (*http.Response, error) {
	deadline := time.Now().Add(wait)
	for {
		resp, err := p.get(ctx, rawURL)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusAccepted {
			return resp, nil
		}
		resp.Body.Close()
		d := providers.ParseRetryAfter(resp.Header, time.Now())
		if d <= 0 {
			d = time.Second
		}
		if time.Now().Add(d).After(deadline) {
			return nil, providers.Transient(&providers.RateLimitError{RetryAfter: d,
				Err: errors.New("Box is still preparing it")})
		}
		if err := retry.Sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// thumbSizes are the PNG thumbnail sizes Box documents.
var thumbSizes = []int{32, 64, 128, 256}

// Thumbnail returns a preview through the representations API (see
// representation), falling back to GET /files/{id}/thumbnail.png: the
// largest documented PNG size not above size. A 202 (being generated) is
// retried as its Retry-After asks, within Options.PendingWait; a 302
// (Box cannot make one; Location is a generic placeholder) is ErrNotFound.
func (p *Provider) Thumbnail(ctx context.Context, id string, size int) (io.ReadCloser, string, error) {
	folder, bid, err := parseID(id)
	if err != nil {
		return nil, "", err
	}
	if folder {
		return nil, "", fmt.Errorf("box: %q: %w", id, providers.ErrNotFound)
	}
	rc, ct, err := p.representation(ctx, bid, size)
	switch {
	case err == nil:
		return rc, ct, nil
	case ctx.Err() != nil, errors.Is(err, providers.ErrNeedsSignIn), errors.Is(err, providers.ErrRateLimited):
		return nil, "", fmt.Errorf("box: preview of %q: %w", id, err)
	}
	s := thumbSizes[0]
	for _, v := range thumbSizes {
		if v <= size {
			s = v
		}
	}
	n := strconv.Itoa(s)
	q := url.Values{"min_width": {n}, "min_height": {n}, "max_width": {n}, "max_height": {n}}
	resp, err := p.notPending(ctx, p.url("/files/"+bid+"/thumbnail.png", q), p.pendingWait)
	if err != nil {
		return nil, "", fmt.Errorf("box: thumbnail of %q: %w", id, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		if resp.StatusCode == http.StatusFound {
			return nil, "", fmt.Errorf("box: Box makes no thumbnail for %q: %w", id, providers.ErrNotFound)
		}
		return nil, "", fmt.Errorf("box: thumbnail of %q: unexpected answer %d", id, resp.StatusCode)
	}
	ct = resp.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "image/") {
		ct = "image/png"
	}
	return resp.Body, ct, nil
}

// AccountInfo reports the signed-in user (GET /users/me).
func (p *Provider) AccountInfo(ctx context.Context) (providers.Account, error) {
	u, err := p.me(ctx)
	if err != nil {
		return providers.Account{}, err
	}
	if u.ID == "" {
		return providers.Account{}, errors.New("box: /users/me answered without an id")
	}
	return providers.Account{ID: u.ID, Name: u.Name, Email: u.Login}, nil
}

// Quota reports the account's storage use.
func (p *Provider) Quota(ctx context.Context) (providers.Quota, error) {
	u, err := p.me(ctx)
	if err != nil {
		return providers.Quota{}, err
	}
	q := providers.Quota{Used: -1, Total: -1, Free: -1}
	if u.SpaceUsed != nil {
		q.Used = *u.SpaceUsed
	}
	// Box reports unlimited space as a huge number; treat ≥ 1 EiB as unknown.
	if u.SpaceAmount != nil && *u.SpaceAmount < 1<<60 {
		q.Total = *u.SpaceAmount
		if q.Used >= 0 {
			q.Free = q.Total - q.Used
		}
	}
	return q, nil
}

func (p *Provider) me(ctx context.Context) (boxUser, error) {
	var u boxUser
	err := p.getJSON(ctx, p.url("/users/me", url.Values{"fields": {"id,name,login,space_amount,space_used"}}), &u)
	if err != nil {
		return boxUser{}, fmt.Errorf("box: who am I: %w", err)
	}
	return u, nil
}
