// Package onedrive is the OneDrive source: a person's own drive (personal
// or work/school), their other drives, and "Shared with me", read through
// Microsoft Graph v1.0. Sign-in is the Microsoft identity platform's public
// client flow with PKCE (no client secret); the vault keeps the rotating
// refresh tokens.
//
// Downloads and thumbnails follow Graph's 302 to a pre-authenticated URL by
// hand: the bearer token goes to the Graph host only, never to the download
// host (which needs none).
package onedrive

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

	"github.com/ferry-app/ferry/providers"
)

// Defaults for Settings fields left empty.
const (
	DefaultAPIBase  = "https://graph.microsoft.com/v1.0"
	DefaultAuthBase = "https://login.microsoftonline.com"
	DefaultTenant   = "common"
	// DefaultPageSize is the $top of a List page.
	DefaultPageSize = 200
	// SharedID is the ID of the virtual "Shared with me" folder.
	SharedID = "@sharedWithMe"
)

// Scopes are the delegated permissions Ferry asks for: read every file the
// person can reach — their own, items others shared with them (Graph's
// drive-sharedwithme reference: shared items cannot be opened without a
// *.All permission) and their SharePoint sites' libraries (Sites.Read.All,
// as user-list-followedsites requires) — stay signed in, know who they are.
var Scopes = []string{"Files.Read.All", "Sites.Read.All", "offline_access", "User.Read"}

// Kind is OneDrive (Microsoft Graph) for the application's registry.
var Kind = providers.Kind{
	Type:          "onedrive",
	Title:         "OneDrive",
	NeedsClientID: true,
	SignIn:        SignIn,
	New: func(ctx context.Context, s providers.Settings, d providers.Deps) (providers.Provider, error) {
		opts := Options{APIBase: s.APIBase, Tokens: d.Tokens, Logger: d.Logger}
		if d.Transport != nil {
			opts.HTTPClient = &http.Client{Transport: d.Transport}
		}
		return New(opts)
	},
}

// SignIn describes the Microsoft identity platform sign-in for s: the v2.0
// endpoints of s.Tenant (default "common") under s.AuthBase (default
// login.microsoftonline.com), Scopes unless s.Scopes says otherwise. There
// is no revocation endpoint: signing out forgets the tokens.
func SignIn(s providers.Settings) *providers.SignIn {
	base := strings.TrimRight(cmp.Or(s.AuthBase, DefaultAuthBase), "/")
	tenant := url.PathEscape(cmp.Or(s.Tenant, DefaultTenant))
	scopes := s.Scopes
	if len(scopes) == 0 {
		scopes = Scopes
	}
	return &providers.SignIn{
		AuthURL:  base + "/" + tenant + "/oauth2/v2.0/authorize",
		TokenURL: base + "/" + tenant + "/oauth2/v2.0/token",
		Scopes:   scopes,
	}
}

// Options configure New.
type Options struct {
	// APIBase is the Graph root including the version; DefaultAPIBase when
	// empty. It must be https, except on a loopback address (tests).
	APIBase string
	// Tokens yields access tokens for the account (the vault's token source).
	Tokens oauth2.TokenSource
	// PageSize is the $top of List and Search pages; 0 means DefaultPageSize.
	PageSize int
	// HTTPClient does the requests (its CheckRedirect is replaced: Ferry
	// follows redirects itself); nil means providers.NewHTTPClient.
	HTTPClient *http.Client
	// Client tunes retries and concurrency; its HTTP, Authorize, Refresh
	// and MapError fields are set by New.
	Client *providers.Client
	Logger *slog.Logger
}

// Provider is one signed-in OneDrive account.
type Provider struct {
	api      *url.URL
	base     string // api without a trailing "/"
	pageSize int
	c        *providers.Client
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
		return nil, errors.New("onedrive: no token source (sign in first)")
	}
	u, err := providers.ParseAPIBase("onedrive", opts.APIBase, DefaultAPIBase)
	if err != nil {
		return nil, err
	}
	hc := opts.HTTPClient
	if hc == nil {
		if hc, err = providers.NewHTTPClient(providers.TransportOptions{}); err != nil {
			return nil, fmt.Errorf("onedrive: %w", err)
		}
	}
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p := &Provider{api: u, base: u.String(), pageSize: opts.PageSize}
	if p.pageSize <= 0 {
		p.pageSize = DefaultPageSize
	}
	c := opts.Client
	if c == nil {
		c = &providers.Client{}
	}
	c.HTTP = &noRedirect
	c.Name = cmp.Or(c.Name, "onedrive")
	bearer := &providers.Bearer{Tokens: opts.Tokens, Service: "Microsoft",
		Trusted: func(u *url.URL) bool { return u.Scheme == p.api.Scheme && u.Host == p.api.Host }}
	c.Authorize = bearer.Authorize
	c.Refresh = bearer.Refresh
	c.MapError = mapError
	if c.Logger == nil {
		c.Logger = opts.Logger
	}
	p.c = c
	return p, nil
}

// ref is a parsed ID: an item of the signed-in person's default drive
// (drive == "") or of another drive ("driveID:itemID").
type ref struct {
	drive, item string
	shared      bool
}

// idPart is what Graph's drive and item IDs are made of ("D4648F06C91D9D3D!54927",
// "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K", "b!t18F8ybsHUq1z3LT..."). Anything
// else (slashes, dots only, percent signs) is refused before a request.
var idPart = regexp.MustCompile(`^[A-Za-z0-9!_.-]{1,256}$`)

func validPart(s string) bool { return idPart.MatchString(s) && strings.Trim(s, ".") != "" }

func parseID(id string) (ref, error) {
	switch {
	case id == "":
		return ref{}, nil
	case id == SharedID:
		return ref{shared: true}, nil
	}
	if d, it, ok := strings.Cut(id, ":"); ok {
		if validPart(d) && validPart(it) {
			return ref{drive: d, item: it}, nil
		}
	} else if validPart(id) {
		return ref{item: id}, nil
	}
	return ref{}, fmt.Errorf("onedrive: malformed ID %q: %w", id, providers.ErrNotFound)
}

func makeID(drive, item string) string {
	if drive == "" {
		return item
	}
	return drive + ":" + item
}

// path is the Graph path of the item, under the API base.
func (r ref) path() string {
	switch {
	case r.drive != "":
		return "/drives/" + url.PathEscape(r.drive) + "/items/" + url.PathEscape(cmp.Or(r.item, "root"))
	case r.item == "":
		return "/me/drive/root"
	}
	return "/me/drive/items/" + url.PathEscape(r.item)
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

// getJSON GETs a Graph URL and decodes the answer into v.
func (p *Provider) getJSON(ctx context.Context, rawURL string, v any) error {
	resp, err := p.get(ctx, rawURL)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return fmt.Errorf("onedrive: unexpected answer %d from %s", resp.StatusCode, redact(rawURL))
	}
	return p.c.DecodeJSON(resp, v)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(URL)"
	}
	return providers.RedactURL(u)
}

func (p *Provider) url(path string, q url.Values) string {
	s := p.base + path
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// entry converts a driveItem listed in drive (the drive of the request:
// "" for the default drive).
func entry(it driveItem, drive string) providers.Entry {
	src := it
	id := makeID(drive, it.ID)
	if r := it.RemoteItem; r != nil && r.ID != "" {
		// A shortcut to an item in someone else's drive: the facets and the
		// ID that works are the remote item's; the name is how it is shown here.
		src = *r
		rd := ""
		if r.ParentReference != nil {
			rd = r.ParentReference.DriveID
		}
		id = makeID(rd, r.ID)
	}
	e := providers.Entry{ID: id, Name: cmp.Or(it.Name, src.Name), Size: -1}
	if !validID(id) {
		e.Err = fmt.Errorf("OneDrive sent an item ID Ferry cannot use: %w", providers.ErrNotSupported)
	}
	switch {
	case src.Folder != nil || src.Root != nil:
		e.IsDir = true
	case src.Package != nil:
		if src.Size != nil {
			e.Size = *src.Size
		}
		e.Err = fmt.Errorf("a %s package cannot be downloaded as a file: %w", src.Package.Type, providers.ErrNotSupported)
	default:
		if src.Size != nil {
			e.Size = *src.Size
		}
		if f := src.File; f != nil {
			e.MIMEType = f.MimeType
			if h := f.Hashes; h != nil {
				switch {
				case h.SHA256Hash != "":
					e.Hash = providers.Hash{Algorithm: "sha256", Value: strings.ToLower(h.SHA256Hash)}
				case h.QuickXorHash != "":
					e.Hash = providers.Hash{Algorithm: "quickxor", Value: h.QuickXorHash}
				case h.SHA1Hash != "":
					e.Hash = providers.Hash{Algorithm: "sha1", Value: strings.ToLower(h.SHA1Hash)}
				}
			}
		}
		e.HasThumbnail = src.Image != nil || src.Photo != nil || src.Video != nil || rendered(e.MIMEType)
	}
	mod := src.LastModifiedDateTime
	if src.FileSystemInfo != nil && src.FileSystemInfo.LastModifiedDateTime != "" {
		mod = src.FileSystemInfo.LastModifiedDateTime
	}
	if t, err := time.Parse(time.RFC3339Nano, mod); err == nil {
		e.ModTime = t
	}
	e.Revision = cmp.Or(src.CTag, src.ETag)
	return e
}

func validID(id string) bool { _, err := parseID(id); return err == nil }

func sharedEntry() providers.Entry {
	return providers.Entry{ID: SharedID, Name: "Shared with me", IsDir: true, Size: -1}
}

// Roots are the default drive ("My files"), "Shared with me", the
// account's other drives, if any, and the document libraries of the
// SharePoint sites (and Teams) the person follows, named "Site – Library".
// An account without sites (a personal one, or a tenant that withheld
// Sites.Read.All) just has none.
func (p *Provider) Roots(ctx context.Context) ([]providers.Entry, error) {
	var root driveItem
	if err := p.getJSON(ctx, p.url("/me/drive/root", url.Values{"$select": {itemSelect}}), &root); err != nil {
		return nil, err
	}
	own := entry(root, "")
	own.Name, own.Path = "My files", "/"
	out := []providers.Entry{own, sharedEntry()}
	ownDrive := ""
	if root.ParentReference != nil {
		ownDrive = root.ParentReference.DriveID
	}
	var drives drivePage
	if err := p.getJSON(ctx, p.url("/me/drives", url.Values{"$select": {"id,name,driveType"}}), &drives); err != nil {
		return nil, err
	}
	for _, d := range drives.Value {
		if d.ID == "" || d.ID == ownDrive || !validPart(d.ID) {
			continue
		}
		out = append(out, providers.Entry{ID: makeID(d.ID, "root"), Name: cmp.Or(d.Name, d.DriveType), IsDir: true, Size: -1})
	}
	libs, err := p.siteLibraries(ctx)
	if err != nil {
		return nil, err
	}
	return append(out, libs...), nil
}

// siteLibraries lists the document libraries of the followed sites
// (GET /me/followedSites, then /sites/{id}/drives). Only a cancelled call
// or a lost sign-in is an error: a refusal (no Sites.Read.All, a personal
// account) means no sites.
func (p *Provider) siteLibraries(ctx context.Context) ([]providers.Entry, error) {
	return p.librariesOf(ctx, p.url("/me/followedSites", url.Values{"$select": {"id,name,displayName"}}))
}

// librariesOf lists the document libraries of the sites a Graph collection
// URL names, as folder entries "Site – Library".
func (p *Provider) librariesOf(ctx context.Context, sitesURL string) ([]providers.Entry, error) {
	var sites struct {
		Value []struct {
			ID, Name, DisplayName string
		} `json:"value"`
	}
	if err := p.getJSON(ctx, sitesURL, &sites); err != nil {
		if ctx.Err() != nil || errors.Is(err, providers.ErrNeedsSignIn) {
			return nil, err
		}
		return nil, nil
	}
	var out []providers.Entry
	for _, st := range sites.Value {
		var drives drivePage
		err := p.getJSON(ctx, p.url("/sites/"+url.PathEscape(st.ID)+"/drives", url.Values{"$select": {"id,name,driveType"}}), &drives)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, providers.ErrNeedsSignIn) {
				return nil, err
			}
			continue
		}
		for _, d := range drives.Value {
			if !validPart(d.ID) {
				continue
			}
			out = append(out, providers.Entry{ID: makeID(d.ID, "root"), Name: cmp.Or(st.DisplayName, st.Name) + " – " + cmp.Or(d.Name, "Documents"),
				IsDir: true, Size: -1})
		}
	}
	return out, nil
}

// Stat returns the item with this ID.
func (p *Provider) Stat(ctx context.Context, id string) (providers.Entry, error) {
	r, err := parseID(id)
	if err != nil {
		return providers.Entry{}, err
	}
	if r.shared {
		return sharedEntry(), nil
	}
	var it driveItem
	if err := p.getJSON(ctx, p.url(r.path(), url.Values{"$select": {itemSelect}}), &it); err != nil {
		return providers.Entry{}, fmt.Errorf("onedrive: %q: %w", id, err)
	}
	e := entry(it, r.drive)
	if r.item == "" || r.item == "root" {
		e.Path = "/"
	}
	return e, nil
}

// List returns one page of a folder's children (@odata.nextLink paging).
func (p *Provider) List(ctx context.Context, folderID, pageToken string) (providers.Page, error) {
	r, err := parseID(folderID)
	if err != nil {
		return providers.Page{}, err
	}
	path := r.path() + "/children"
	q := url.Values{"$select": {itemSelect}, "$top": {strconv.Itoa(p.pageSize)}}
	if r.shared {
		// sharedWithMe documents no $select or $top.
		path, q = "/me/drive/sharedWithMe", nil
	}
	page, err := p.page(ctx, path, q, pageToken)
	if err != nil {
		if pageToken == "" && !r.shared && p.worthStat(err) {
			if e, serr := p.Stat(ctx, folderID); serr == nil && !e.IsDir {
				return providers.Page{}, fmt.Errorf("onedrive: %q: %w", folderID, providers.ErrNotFolder)
			}
		}
		return providers.Page{}, fmt.Errorf("onedrive: listing %q: %w", folderID, err)
	}
	out := providers.Page{NextPageToken: page.NextLink}
	for _, it := range page.Value {
		out.Entries = append(out.Entries, entry(it, r.drive))
	}
	if pageToken == "" && len(page.Value) == 0 && page.NextLink == "" && !r.shared {
		// A file has no children either: tell the two apart.
		e, err := p.Stat(ctx, folderID)
		if err != nil {
			return providers.Page{}, err
		}
		if !e.IsDir {
			return providers.Page{}, fmt.Errorf("onedrive: %q: %w", folderID, providers.ErrNotFolder)
		}
	}
	return out, nil
}

// worthStat: errors after which a Stat can tell "this is a file" apart.
func (p *Provider) worthStat(err error) bool {
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) &&
		!errors.Is(err, providers.ErrNeedsSignIn) && !errors.Is(err, providers.ErrRateLimited) &&
		!errors.Is(err, providers.ErrNotFound)
}

// page fetches the first page of path, or the page a token (an
// @odata.nextLink) names. Graph's paging reference says to request the
// nextLink as it is, and its path may name the collection another way
// (/drives/{id}/items/{id}/children for /me/drive/root/children), so only
// where it points is checked: the Graph host, under the API root. Anything
// else is refused without a request, so a forged token cannot send the
// bearer token elsewhere.
func (p *Provider) page(ctx context.Context, path string, q url.Values, token string) (itemPage, error) {
	u := p.url(path, q)
	if token != "" {
		t, err := url.Parse(token)
		if err != nil || t.Scheme != p.api.Scheme || t.Host != p.api.Host || t.User != nil ||
			!strings.HasPrefix(t.Path, p.api.Path+"/") || strings.Contains(t.Path, "/../") || strings.HasSuffix(t.Path, "/..") {
			return itemPage{}, providers.ErrPageExpired
		}
		u = token
	}
	var page itemPage
	if err := p.getJSON(ctx, u, &page); err != nil {
		var he *providers.HTTPError
		if token != "" && errors.As(err, &he) && he.StatusCode == http.StatusBadRequest {
			return itemPage{}, fmt.Errorf("%w: %w", providers.ErrPageExpired, err)
		}
		return itemPage{}, err
	}
	return page, nil
}

// Search finds items by name and content in the default drive
// (/me/drive/root/search(q='…'), the query an OData string literal), and,
// on the first page, the document libraries of SharePoint sites whose name
// matches.
func (p *Provider) Search(ctx context.Context, query, pageToken string) (providers.Page, error) {
	if strings.TrimSpace(query) == "" {
		return providers.Page{}, nil
	}
	fn := "search(q='" + strings.ReplaceAll(query, "'", "''") + "')"
	q := url.Values{"$select": {itemSelect}, "$top": {strconv.Itoa(p.pageSize)}}
	if pageToken != "" {
		// The next link repeats the function call in its own spelling.
		page, err := p.page(ctx, "", nil, pageToken)
		return p.searchPage(page, err)
	}
	var page itemPage
	err := p.getJSON(ctx, p.base+"/me/drive/root/"+url.PathEscape(fn)+"?"+q.Encode(), &page)
	out, err := p.searchPage(page, err)
	if err != nil {
		return out, err
	}
	// SharePoint and Teams sites by name (GET /sites?search=, site-search),
	// so a library the person does not follow can still be opened; first
	// page only.
	libs, err := p.librariesOf(ctx, p.url("/sites", url.Values{"search": {query}}))
	if err != nil {
		return providers.Page{}, fmt.Errorf("onedrive: search: %w", err)
	}
	out.Entries = append(libs, out.Entries...)
	return out, nil
}

func (p *Provider) searchPage(page itemPage, err error) (providers.Page, error) {
	if err != nil {
		return providers.Page{}, fmt.Errorf("onedrive: search: %w", err)
	}
	out := providers.Page{NextPageToken: page.NextLink}
	for _, it := range page.Value {
		out.Entries = append(out.Entries, entry(it, ""))
	}
	return out, nil
}

// Open downloads the file from offset: GET …/content answers 302 with a
// pre-authenticated URL, which is fetched without the bearer token and
// with a Range header.
func (p *Provider) Open(ctx context.Context, id string, offset int64) (io.ReadCloser, error) {
	r, err := parseID(id)
	if err != nil {
		return nil, err
	}
	if r.shared || (r.drive == "" && r.item == "") {
		return nil, fmt.Errorf("onedrive: %q: %w", id, providers.ErrIsFolder)
	}
	rc, _, err := p.redirected(ctx, p.url(r.path()+"/content", nil), offset)
	if err != nil {
		if p.worthStat(err) {
			if e, serr := p.Stat(ctx, id); serr == nil && e.IsDir {
				return nil, fmt.Errorf("onedrive: %q: %w", id, providers.ErrIsFolder)
			}
		}
		return nil, fmt.Errorf("onedrive: opening %q: %w", id, err)
	}
	return rc, nil
}

// redirected GETs a Graph URL that answers with a redirect to a
// pre-authenticated URL and fetches that without Authorization. Such a URL
// "is only valid for a short period" (driveitem-get-content): when it has
// expired already, Graph is asked once more for a fresh one. It returns the
// body from offset and its Content-Type.
func (p *Provider) redirected(ctx context.Context, rawURL string, offset int64) (io.ReadCloser, string, error) {
	for attempt := 0; ; attempt++ {
		resp, err := p.get(ctx, rawURL)
		if err != nil {
			return nil, "", err
		}
		rc, ct, err := p.c.FollowDownload(ctx, resp, offset)
		if errors.Is(err, providers.ErrLinkExpired) && attempt == 0 {
			continue
		}
		return rc, ct, err
	}
}

// Thumbnail returns a thumbnail bounded by size×size (Graph's custom size
// c{size}x{size}), following the 302 to the image without the token.
func (p *Provider) Thumbnail(ctx context.Context, id string, size int) (io.ReadCloser, string, error) {
	r, err := parseID(id)
	if err != nil {
		return nil, "", err
	}
	if r.shared {
		return nil, "", fmt.Errorf("onedrive: %q: %w", id, providers.ErrNotFound)
	}
	size = min(max(size, 32), 2048)
	spec := "c" + strconv.Itoa(size) + "x" + strconv.Itoa(size)
	rc, ct, err := p.redirected(ctx, p.url(r.path()+"/thumbnails/0/"+spec+"/content", nil), 0)
	if err != nil {
		return nil, "", fmt.Errorf("onedrive: thumbnail of %q: %w", id, err)
	}
	if !strings.HasPrefix(ct, "image/") {
		rc.Close()
		return nil, "", fmt.Errorf("onedrive: thumbnail of %q is %q, not an image", id, ct)
	}
	return rc, ct, nil
}

// AccountInfo reports the signed-in user (GET /me).
func (p *Provider) AccountInfo(ctx context.Context) (providers.Account, error) {
	var u user
	if err := p.getJSON(ctx, p.url("/me", url.Values{"$select": {"id,displayName,mail,userPrincipalName"}}), &u); err != nil {
		return providers.Account{}, fmt.Errorf("onedrive: who am I: %w", err)
	}
	if u.ID == "" {
		return providers.Account{}, errors.New("onedrive: /me answered without an id")
	}
	return providers.Account{ID: u.ID, Name: u.DisplayName, Email: cmp.Or(u.Mail, u.UserPrincipalName)}, nil
}

// Quota reports the default drive's storage use.
func (p *Provider) Quota(ctx context.Context) (providers.Quota, error) {
	var d drive
	if err := p.getJSON(ctx, p.url("/me/drive", url.Values{"$select": {"id,driveType,quota"}}), &d); err != nil {
		return providers.Quota{}, fmt.Errorf("onedrive: quota: %w", err)
	}
	q := providers.Quota{Used: -1, Total: -1, Free: -1}
	if d.Quota != nil {
		if d.Quota.Used != nil {
			q.Used = *d.Quota.Used
		}
		if d.Quota.Total != nil {
			q.Total = *d.Quota.Total
		}
		if d.Quota.Remaining != nil {
			q.Free = *d.Quota.Remaining
		}
	}
	return q, nil
}

// rendered reports whether OneDrive makes thumbnails for files of this MIME
// type: images and videos, and documents it renders — PDFs and Office files
// (Graph's thumbnail resource: "an image, video, document, or any item that
// has a bitmap representation").
func rendered(mimeType string) bool {
	switch {
	case strings.HasPrefix(mimeType, "image/"), strings.HasPrefix(mimeType, "video/"),
		strings.HasPrefix(mimeType, "application/vnd.openxmlformats-officedocument."):
		return true
	}
	switch mimeType {
	case "application/pdf", "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint":
		return true
	}
	return false
}
