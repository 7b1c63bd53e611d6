package gdrive

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-app/ferry/providers"
)

// Google-native MIME types.
const (
	folderMIME   = "application/vnd.google-apps.folder"
	shortcutMIME = "application/vnd.google-apps.shortcut"
	googlePrefix = "application/vnd.google-apps."
)

// Export is how a Docs Editors file downloads: as MIMEType, shown with Ext.
type Export struct {
	MIMEType, Ext string
}

// Exports maps Docs Editors types to the Office/PNG format Ferry downloads
// them in.
var Exports = map[string]Export{
	"application/vnd.google-apps.document":     {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"},
	"application/vnd.google-apps.spreadsheet":  {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"},
	"application/vnd.google-apps.presentation": {"application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"},
	"application/vnd.google-apps.drawing":      {"image/png", ".png"},
}

// fileFields are the File fields Ferry reads.
const fileFields = "id,name,mimeType,size,modifiedTime,md5Checksum,thumbnailLink,hasThumbnail,shortcutDetails,headRevisionId,resourceKey,exportLinks,capabilities(canDownload)"

// SharedID is the ID of the virtual "Shared with me" folder (files.list's
// sharedWithMe query). It cannot be a Drive ID: "@" is not in their alphabet.
const SharedID = "@sharedWithMe"

func sharedEntry() providers.Entry {
	return providers.Entry{ID: SharedID, Name: "Shared with me", IsDir: true, Size: -1}
}

// File is the part of Drive's File resource Ferry reads.
type File struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	MIMEType       string    `json:"mimeType"`
	Size           string    `json:"size"` // int64 as a string
	ModifiedTime   time.Time `json:"modifiedTime"`
	MD5Checksum    string    `json:"md5Checksum"`
	ThumbnailLink  string    `json:"thumbnailLink"`
	HasThumbnail   bool      `json:"hasThumbnail"`
	HeadRevisionID string    `json:"headRevisionId"`
	Trashed        bool      `json:"trashed"`
	// ResourceKey is set on link-shared items; requests naming them send it.
	ResourceKey string `json:"resourceKey"`
	// ExportLinks map export MIME types to download URLs (Docs Editors files).
	ExportLinks map[string]string `json:"exportLinks"`
	// Capabilities: CanDownload is false when the owner turned downloading
	// off for viewers (nil when Drive did not say).
	Capabilities *struct {
		CanDownload *bool `json:"canDownload"`
	} `json:"capabilities"`
	ShortcutDetails *struct {
		TargetID          string `json:"targetId"`
		TargetMIMEType    string `json:"targetMimeType"`
		TargetResourceKey string `json:"targetResourceKey"`
	} `json:"shortcutDetails"`
}

// FileList is files.list's answer.
type FileList struct {
	NextPageToken string `json:"nextPageToken"`
	Files         []File `json:"files"`
}

// DecodeFileList decodes a files.list answer (exported for fuzzing and for
// tools that read Drive answers).
func DecodeFileList(r io.Reader) (FileList, error) {
	var l FileList
	err := json.NewDecoder(r).Decode(&l)
	return l, err
}

// Entry converts a File (not a shortcut) into a providers.Entry.
func (f File) Entry() providers.Entry {
	e := providers.Entry{ID: f.ID, Name: f.Name, Size: -1, ModTime: f.ModifiedTime, HasThumbnail: f.HasThumbnail && f.ThumbnailLink != ""}
	switch {
	case f.MIMEType == folderMIME:
		e.IsDir = true
		e.HasThumbnail = false
	case strings.HasPrefix(f.MIMEType, googlePrefix):
		if ex, ok := Exports[f.MIMEType]; ok {
			e.Name += ex.Ext
			e.MIMEType = ex.MIMEType
			e.Revision = f.ModifiedTime.UTC().Format(time.RFC3339Nano)
		} else {
			e.Err = fmt.Errorf("%w: this kind of Google file (%s) cannot be downloaded", providers.ErrNotSupported, strings.TrimPrefix(f.MIMEType, googlePrefix))
		}
	default:
		e.MIMEType = f.MIMEType
		if n, err := strconv.ParseInt(f.Size, 10, 64); err == nil && n >= 0 {
			e.Size = n
		}
		if len(f.MD5Checksum) == 32 {
			e.Hash = providers.Hash{Algorithm: "md5", Value: strings.ToLower(f.MD5Checksum)}
		}
		e.Revision = f.HeadRevisionID
		if e.Revision == "" {
			e.Revision = f.MD5Checksum
		}
	}
	if c := f.Capabilities; c != nil && c.CanDownload != nil && !*c.CanDownload && !e.IsDir && e.Err == nil {
		// Listed (the person may look at it in Drive) but not openable here.
		e.Err = fmt.Errorf("%w: the owner does not allow downloading this file", providers.ErrPermissionDenied)
	}
	return e
}

// newGet builds a GET of u naming the items ids: their resource keys, if
// Drive handed any out, go along.
func (p *Provider) newGet(u string, ids ...string) func(ctx context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err == nil {
			r.Header.Set("Accept", "application/json")
			p.addResourceKeys(r, ids...)
		}
		return r, err
	}
}

// remember keeps the resource keys of f (and of its shortcut target): Drive's
// resource-keys guide has them read from the files resource and sent back on
// every request that names the item, in X-Goog-Drive-Resource-Keys.
func (p *Provider) remember(f File) {
	if f.ResourceKey != "" && validID.MatchString(f.ID) {
		p.keys.Store(f.ID, f.ResourceKey)
	}
	if d := f.ShortcutDetails; d != nil && d.TargetResourceKey != "" && validID.MatchString(d.TargetID) {
		p.keys.Store(d.TargetID, d.TargetResourceKey)
	}
}

// addResourceKeys sets X-Goog-Drive-Resource-Keys to "id/key" pairs for
// the ids with a known key.
func (p *Provider) addResourceKeys(r *http.Request, ids ...string) {
	var pairs []string
	for _, id := range ids {
		if k, ok := p.keys.Load(id); ok {
			pairs = append(pairs, id+"/"+k.(string))
		}
	}
	if len(pairs) > 0 {
		r.Header.Set("X-Goog-Drive-Resource-Keys", strings.Join(pairs, ","))
	}
}

func (p *Provider) url(path string, q url.Values) string {
	u := p.api.String() + "/drive/v3/" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func (p *Provider) getJSON(ctx context.Context, path string, q url.Values, v any, ids ...string) error {
	resp, err := p.c.Send(ctx, p.newGet(p.url(path, q), ids...))
	if err != nil {
		return err
	}
	return p.c.DecodeJSON(resp, v)
}

// getFile is files.get with Ferry's fields.
func (p *Provider) getFile(ctx context.Context, id, extra string) (File, error) {
	var f File
	q := url.Values{"fields": {fileFields + ",trashed" + extra}, "supportsAllDrives": {"true"}}
	if err := p.getJSON(ctx, "files/"+url.PathEscape(id), q, &f, id); err != nil {
		return File{}, err
	}
	p.remember(f)
	if f.Trashed {
		return File{}, fmt.Errorf("gdrive: %q is in the trash: %w", f.Name, providers.ErrNotFound)
	}
	return f, nil
}

// resolve follows a shortcut to its target (once: a shortcut cannot point
// at a shortcut). The result keeps the shortcut's name.
func (p *Provider) resolve(ctx context.Context, f File) (File, error) {
	if f.MIMEType != shortcutMIME {
		return f, nil
	}
	if f.ShortcutDetails == nil || !validID.MatchString(f.ShortcutDetails.TargetID) {
		return f, fmt.Errorf("gdrive: shortcut %q has no target: %w", f.Name, providers.ErrNotFound)
	}
	t, err := p.getFile(ctx, f.ShortcutDetails.TargetID, "")
	if err != nil {
		return f, fmt.Errorf("gdrive: target of shortcut %q: %w", f.Name, err)
	}
	if t.MIMEType == shortcutMIME {
		return f, fmt.Errorf("gdrive: shortcut %q points at another shortcut: %w", f.Name, providers.ErrNotSupported)
	}
	t.Name = f.Name
	return t, nil
}

// entries converts a page of files, resolving shortcuts. A shortcut whose
// target cannot be read stays in the list with Err set (unless the call
// itself was cancelled).
func (p *Provider) entries(ctx context.Context, files []File) ([]providers.Entry, error) {
	out := make([]providers.Entry, 0, len(files))
	for _, f := range files {
		if f.MIMEType != shortcutMIME {
			out = append(out, f.Entry())
			continue
		}
		t, err := p.resolve(ctx, f)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if providers.IsTransient(err) {
				return nil, err
			}
			out = append(out, providers.Entry{ID: f.ID, Name: f.Name, Size: -1, ModTime: f.ModifiedTime, Err: err})
			continue
		}
		out = append(out, t.Entry())
	}
	return out, nil
}

// Roots returns My Drive, "Shared with me" and the shared drives.
func (p *Provider) Roots(ctx context.Context) ([]providers.Entry, error) {
	my, err := p.Stat(ctx, "")
	if err != nil {
		return nil, err
	}
	roots := []providers.Entry{my, sharedEntry()}
	token := ""
	for {
		var l struct {
			NextPageToken string `json:"nextPageToken"`
			Drives        []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"drives"`
		}
		q := url.Values{"pageSize": {"100"}, "fields": {"nextPageToken,drives(id,name)"}}
		if token != "" {
			q.Set("pageToken", token)
		}
		if err := p.getJSON(ctx, "drives", q, &l); err != nil {
			return nil, fmt.Errorf("gdrive: listing shared drives: %w", err)
		}
		for _, d := range l.Drives {
			roots = append(roots, providers.Entry{ID: d.ID, Name: d.Name, IsDir: true, Size: -1})
		}
		if l.NextPageToken == "" || len(roots) > 10000 {
			return roots, nil
		}
		token = l.NextPageToken
	}
}

// Stat returns the entry with this ID ("" is My Drive), shortcuts resolved.
func (p *Provider) Stat(ctx context.Context, id string) (providers.Entry, error) {
	if id == SharedID {
		return sharedEntry(), nil
	}
	f, err := p.statFile(ctx, id)
	if err != nil {
		return providers.Entry{}, err
	}
	e := f.Entry()
	if id == "" || id == "root" {
		e.Path = "/"
	}
	return e, nil
}

func (p *Provider) statFile(ctx context.Context, id string) (File, error) {
	did, err := checkID(id)
	if err != nil {
		return File{}, err
	}
	f, err := p.getFile(ctx, did, "")
	if err != nil {
		return File{}, err
	}
	return p.resolve(ctx, f)
}

// pageState is Ferry's page token: the folder the walk started from, the
// folder actually listed (a shortcut's target) and Drive's own token.
type pageState struct {
	From   string `json:"f"`
	Folder string `json:"d"`
	Token  string `json:"t"`
}

func encodePage(s pageState) string {
	b, _ := json.Marshal(s)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePage(tok string) (pageState, error) {
	var s pageState
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || json.Unmarshal(b, &s) != nil || s.Token == "" || !validID.MatchString(s.Folder) {
		return s, fmt.Errorf("gdrive: %w", providers.ErrPageExpired)
	}
	return s, nil
}

// quote makes s a Drive query string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// List returns one page of a folder (shared drive folders included).
func (p *Provider) List(ctx context.Context, folderID, pageToken string) (providers.Page, error) {
	if folderID == SharedID {
		return p.listShared(ctx, pageToken)
	}
	var st pageState
	if pageToken == "" {
		f, err := p.statFile(ctx, folderID)
		if err != nil {
			return providers.Page{}, err
		}
		if f.MIMEType != folderMIME {
			return providers.Page{}, fmt.Errorf("gdrive: %q: %w", f.Name, providers.ErrNotFolder)
		}
		st = pageState{From: folderID, Folder: f.ID}
	} else {
		var err error
		if st, err = decodePage(pageToken); err != nil {
			return providers.Page{}, err
		}
		if st.From != folderID {
			return providers.Page{}, fmt.Errorf("gdrive: page token of another folder: %w", providers.ErrPageExpired)
		}
	}
	q := url.Values{
		"q":                         {quote(st.Folder) + " in parents and trashed = false"},
		"fields":                    {"nextPageToken,files(" + fileFields + ")"},
		"pageSize":                  {strconv.Itoa(p.pageSize)},
		"supportsAllDrives":         {"true"},
		"includeItemsFromAllDrives": {"true"},
	}
	if st.Token != "" {
		q.Set("pageToken", st.Token)
	}
	return p.listPage(ctx, q, func(next string) string {
		return encodePage(pageState{From: st.From, Folder: st.Folder, Token: next})
	}, st.Folder)
}

// listShared lists what others shared with the person (files.list
// q=sharedWithMe), newest first as Drive's web UI shows it.
func (p *Provider) listShared(ctx context.Context, pageToken string) (providers.Page, error) {
	q := url.Values{
		"q":        {"sharedWithMe and trashed = false"},
		"fields":   {"nextPageToken,files(" + fileFields + ")"},
		"pageSize": {strconv.Itoa(p.pageSize)},
	}
	if pageToken != "" {
		st, err := decodePage(pageToken)
		if err != nil || st.From != SharedID {
			return providers.Page{}, fmt.Errorf("gdrive: %w", providers.ErrPageExpired)
		}
		q.Set("pageToken", st.Token)
	}
	return p.listPage(ctx, q, func(next string) string {
		return encodePage(pageState{From: SharedID, Folder: "root", Token: next})
	})
}

func (p *Provider) listPage(ctx context.Context, q url.Values, token func(next string) string, ids ...string) (providers.Page, error) {
	resp, err := p.c.Send(ctx, p.newGet(p.url("files", q), ids...))
	if err != nil {
		return providers.Page{}, err
	}
	defer resp.Body.Close()
	l, err := DecodeFileList(providers.LimitReader(resp.Body, providers.DefaultMaxResponseBytes))
	if err != nil {
		if ctx.Err() != nil {
			return providers.Page{}, ctx.Err()
		}
		return providers.Page{}, fmt.Errorf("gdrive: decoding files.list answer: %w", err)
	}
	for _, f := range l.Files {
		p.remember(f)
	}
	entries, err := p.entries(ctx, l.Files)
	if err != nil {
		return providers.Page{}, err
	}
	page := providers.Page{Entries: entries}
	if l.NextPageToken != "" {
		page.NextPageToken = token(l.NextPageToken)
	}
	return page, nil
}

// Search finds files and folders whose name starts with query or has a
// word starting with it (Drive's "name contains"), in My Drive and the
// shared drives.
func (p *Provider) Search(ctx context.Context, query, pageToken string) (providers.Page, error) {
	q := url.Values{
		"q":                         {"name contains " + quote(query) + " and trashed = false"},
		"fields":                    {"nextPageToken,files(" + fileFields + ")"},
		"pageSize":                  {strconv.Itoa(p.pageSize)},
		"corpora":                   {"allDrives"},
		"supportsAllDrives":         {"true"},
		"includeItemsFromAllDrives": {"true"},
	}
	if pageToken != "" {
		st, err := decodePage(pageToken)
		if err != nil || st.From != "search:"+query {
			return providers.Page{}, fmt.Errorf("gdrive: %w", providers.ErrPageExpired)
		}
		q.Set("pageToken", st.Token)
	}
	return p.listPage(ctx, q, func(next string) string {
		return encodePage(pageState{From: "search:" + query, Folder: "root", Token: next})
	})
}

// Open downloads a file from offset: files.get alt=media with a Range for
// binary files, files.export for Docs Editors files (the export is
// streamed and the first offset bytes skipped). A whole-file read of a
// binary file is checked against its md5Checksum at EOF.
func (p *Provider) Open(ctx context.Context, id string, offset int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, fmt.Errorf("gdrive: negative offset %d", offset)
	}
	if id == SharedID {
		return nil, fmt.Errorf("gdrive: Shared with me: %w", providers.ErrIsFolder)
	}
	f, err := p.statFile(ctx, id)
	if err != nil {
		return nil, err
	}
	e := f.Entry()
	switch {
	case e.IsDir:
		return nil, fmt.Errorf("gdrive: %q: %w", f.Name, providers.ErrIsFolder)
	case e.Err != nil:
		return nil, e.Err
	case strings.HasPrefix(f.MIMEType, googlePrefix):
		return p.export(ctx, f, offset)
	}
	if e.Size >= 0 && offset >= e.Size {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	q := url.Values{"alt": {"media"}, "supportsAllDrives": {"true"}}
	if providers.Confirmed(ctx) {
		q.Set("acknowledgeAbuse", "true") // the person saw Google's warning and agreed
	}
	u := p.url("files/"+url.PathEscape(f.ID), q)
	resp, err := p.c.Send(ctx, func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err == nil {
			p.addResourceKeys(r, f.ID)
			if offset > 0 {
				r.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
			}
		}
		return r, err
	})
	if errors.Is(err, errRangeNotSatisfiable) {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	if err != nil {
		return nil, err
	}
	body, err := providers.SkipTo(resp, offset)
	if err != nil {
		return nil, err
	}
	if offset == 0 && !e.Hash.IsZero() {
		return &verifier{rc: body, h: md5.New(), want: e.Hash.Value, size: e.Size, name: f.Name}, nil
	}
	return body, nil
}

// export downloads a Docs Editors file in its export format: files.export,
// or, for a file past its 10 MB cap, the file's export link for that
// format (the files.export reference points there), which has no cap.
func (p *Provider) export(ctx context.Context, f File, offset int64) (io.ReadCloser, error) {
	ex := Exports[f.MIMEType]
	u := p.url("files/"+url.PathEscape(f.ID)+"/export", url.Values{"mimeType": {ex.MIMEType}})
	resp, err := p.c.Send(ctx, p.newGet(u, f.ID))
	if errors.Is(err, ErrExportTooLarge) {
		link, lerr := url.Parse(f.ExportLinks[ex.MIMEType])
		if f.ExportLinks[ex.MIMEType] == "" || lerr != nil || !p.trustedHost(link) {
			return nil, fmt.Errorf("gdrive: %q: %w", f.Name, err)
		}
		resp, err = p.c.Send(ctx, p.newGet(link.String(), f.ID))
	}
	if err != nil {
		return nil, err
	}
	resp.StatusCode = http.StatusOK // exports have no ranges: skip instead
	return providers.SkipTo(resp, offset)
}

// ErrChecksum means a whole-file download did not match the hash the
// service lists for the file.
var ErrChecksum = errors.New("downloaded content does not match the file's checksum")

// verifier hashes what is read and, at EOF, fails with ErrChecksum on a
// mismatch (or a size that differs from the listed one).
type verifier struct {
	rc   io.ReadCloser
	h    hash.Hash
	want string
	size int64
	n    int64
	name string
	done bool
}

func (v *verifier) Read(b []byte) (int, error) {
	n, err := v.rc.Read(b)
	v.h.Write(b[:n])
	v.n += int64(n)
	if errors.Is(err, io.EOF) && !v.done {
		v.done = true
		if v.size >= 0 && v.n != v.size {
			return n, fmt.Errorf("gdrive: %q: got %d bytes, want %d: %w", v.name, v.n, v.size, io.ErrUnexpectedEOF)
		}
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want {
			return n, fmt.Errorf("gdrive: %q: md5 %s, want %s: %w", v.name, got, v.want, ErrChecksum)
		}
	}
	return n, err
}

func (v *verifier) Close() error { return v.rc.Close() }

var sizeSuffix = regexp.MustCompile(`=s\d+$`)

// Thumbnail fetches the file's thumbnailLink, with the bearer token, at
// the asked size (the link's "=s<N>" suffix).
func (p *Provider) Thumbnail(ctx context.Context, id string, size int) (io.ReadCloser, string, error) {
	f, err := p.statFile(ctx, id)
	if err != nil {
		return nil, "", err
	}
	if f.ThumbnailLink == "" {
		return nil, "", fmt.Errorf("gdrive: %q has no thumbnail: %w", f.Name, providers.ErrNotFound)
	}
	u, err := url.Parse(f.ThumbnailLink)
	if err != nil || !p.trustedHost(u) {
		return nil, "", fmt.Errorf("gdrive: thumbnail link of %q is not on a Google host: %w", f.Name, providers.ErrNotFound)
	}
	size = max(16, min(size, 1600))
	link := f.ThumbnailLink
	if sizeSuffix.MatchString(link) {
		link = sizeSuffix.ReplaceAllString(link, "=s"+strconv.Itoa(size))
	} else {
		link += "=s" + strconv.Itoa(size)
	}
	resp, err := p.c.Send(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	})
	if err != nil {
		return nil, "", err
	}
	ct := resp.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if !strings.HasPrefix(ct, "image/") {
		resp.Body.Close()
		return nil, "", fmt.Errorf("gdrive: thumbnail of %q is %q, not an image", f.Name, ct)
	}
	return resp.Body, ct, nil
}

// AccountInfo identifies the account by its permission ID (stable; an
// e-mail address can change).
func (p *Provider) AccountInfo(ctx context.Context) (providers.Account, error) {
	var a struct {
		User struct {
			DisplayName  string `json:"displayName"`
			EmailAddress string `json:"emailAddress"`
			PermissionID string `json:"permissionId"`
		} `json:"user"`
	}
	if err := p.getJSON(ctx, "about", url.Values{"fields": {"user(displayName,emailAddress,permissionId)"}}, &a); err != nil {
		return providers.Account{}, err
	}
	if a.User.PermissionID == "" {
		return providers.Account{}, errors.New("gdrive: about.get named no user")
	}
	return providers.Account{ID: a.User.PermissionID, Name: a.User.DisplayName, Email: a.User.EmailAddress}, nil
}

// Quota reports storage use; Total and Free are -1 for unlimited accounts.
func (p *Provider) Quota(ctx context.Context) (providers.Quota, error) {
	var a struct {
		StorageQuota struct {
			Limit string `json:"limit"`
			Usage string `json:"usage"`
		} `json:"storageQuota"`
	}
	if err := p.getJSON(ctx, "about", url.Values{"fields": {"storageQuota(limit,usage)"}}, &a); err != nil {
		return providers.Quota{}, err
	}
	q := providers.Quota{Used: -1, Total: -1, Free: -1}
	if n, err := strconv.ParseInt(a.StorageQuota.Usage, 10, 64); err == nil {
		q.Used = n
	}
	if n, err := strconv.ParseInt(a.StorageQuota.Limit, 10, 64); err == nil {
		q.Total = n
		if q.Used >= 0 {
			q.Free = max(0, n-q.Used)
		}
	}
	return q, nil
}
