package dropbox

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ferry-app/ferry/providers"
)

// EncodeAPIArg renders v as JSON for the Dropbox-API-Arg header: every
// character outside printable ASCII (DEL and non-ASCII) is escaped as
// \uXXXX (a UTF-16 surrogate pair above U+FFFF), as Dropbox requires.
func EncodeAPIArg(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	for _, r := range string(b) {
		switch {
		case r < 0x7f:
			sb.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&sb, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(&sb, `\u%04x`, r)
		}
	}
	return sb.String(), nil
}

// Metadata is Dropbox's file/folder Metadata union.
type Metadata struct {
	Tag            string    `json:".tag"` // file, folder, deleted
	Name           string    `json:"name"`
	ID             string    `json:"id"`
	PathLower      string    `json:"path_lower"`
	PathDisplay    string    `json:"path_display"`
	ClientModified time.Time `json:"client_modified"`
	ServerModified time.Time `json:"server_modified"`
	Rev            string    `json:"rev"`
	Size           int64     `json:"size"`
	ContentHash    string    `json:"content_hash"`
	IsDownloadable *bool     `json:"is_downloadable"`
	// ExportInfo is set on files that download only through files/export
	// (Paper docs): export_as is the format they export in by default.
	ExportInfo *struct {
		ExportAs string `json:"export_as"`
	} `json:"export_info"`
}

// exportExts name an export format's file extension.
var exportExts = map[string]string{"markdown": ".md", "html": ".html", "plain_text": ".txt"}

// errExportOnly: files/download refused a file that exports instead.
var errExportOnly = errors.New("Dropbox exports this file instead of handing it out as is")

// DecodeMetadata decodes one Metadata object (a get_metadata answer or a
// Dropbox-API-Result header).
func DecodeMetadata(b []byte) (Metadata, error) {
	var m Metadata
	err := json.Unmarshal(b, &m)
	return m, err
}

// thumbnailExts are the extensions get_thumbnail_v2 supports; photos over
// 20 MB get none.
var thumbnailExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".tiff": true, ".tif": true,
	".gif": true, ".webp": true, ".ppm": true, ".bmp": true}

const thumbnailMaxSize = 20 << 20

// Entry converts Metadata into a providers.Entry.
func (m Metadata) Entry() providers.Entry {
	e := providers.Entry{ID: m.ID, Name: m.Name, Path: m.PathDisplay, Size: -1}
	switch m.Tag {
	case "folder":
		e.IsDir = true
	case "file":
		e.Size = m.Size
		if e.Size < 0 {
			e.Size = -1
		}
		e.ModTime = m.ClientModified
		if e.ModTime.IsZero() {
			e.ModTime = m.ServerModified
		}
		e.Revision = m.Rev
		if len(m.ContentHash) == 64 {
			e.Hash = providers.Hash{Algorithm: "dropbox", Value: strings.ToLower(m.ContentHash)}
		}
		ext := strings.ToLower(path.Ext(m.Name))
		e.MIMEType = mime.TypeByExtension(ext)
		e.HasThumbnail = thumbnailExts[ext] && m.Size < thumbnailMaxSize
		if ext, ok := exportExts[exportAs(m)]; ok && m.IsDownloadable != nil && !*m.IsDownloadable {
			// A Paper doc: listed under the name it exports to.
			e.Name = strings.TrimSuffix(m.Name, path.Ext(m.Name)) + ext
			e.MIMEType = mime.TypeByExtension(ext)
			e.Size, e.Hash, e.HasThumbnail = -1, providers.Hash{}, false
		} else if m.IsDownloadable != nil && !*m.IsDownloadable {
			e.Err = fmt.Errorf("%w: Dropbox does not allow downloading this file (a cloud document)", providers.ErrNotSupported)
			e.HasThumbnail = false
		}
	default:
		e.Err = fmt.Errorf("dropbox: %q was deleted: %w", m.Name, providers.ErrNotFound)
	}
	return e
}

// rpc POSTs arg (nil: no body) as JSON to an RPC endpoint and decodes the
// answer into out (nil: discarded).
func (p *Provider) rpc(ctx context.Context, endpoint string, arg, out any) error {
	var body []byte
	if arg != nil {
		var err error
		if body, err = json.Marshal(arg); err != nil {
			return err
		}
	}
	u := p.api + "/2/" + endpoint
	resp, err := p.withPathRoot(ctx, strings.HasPrefix(endpoint, "files/"), func(root string) (*http.Response, error) {
		return p.c.Send(ctx, func(ctx context.Context) (*http.Request, error) {
			var rd io.Reader
			if body != nil {
				rd = bytes.NewReader(body)
			}
			r, err := http.NewRequestWithContext(ctx, http.MethodPost, u, rd)
			if err == nil && body != nil {
				r.Header.Set("Content-Type", "application/json")
			}
			if err == nil && root != "" {
				r.Header.Set("Dropbox-API-Path-Root", root)
			}
			return r, err
		})
	})
	if err != nil {
		return err
	}
	if out == nil {
		resp.Body.Close()
		return nil
	}
	return p.c.DecodeJSON(resp, out)
}

// contentCall POSTs to a content endpoint with arg in Dropbox-API-Arg.
func (p *Provider) contentCall(ctx context.Context, endpoint string, arg any, header http.Header) (*http.Response, error) {
	a, err := EncodeAPIArg(arg)
	if err != nil {
		return nil, err
	}
	u := p.content + "/2/" + endpoint
	return p.withPathRoot(ctx, true, func(root string) (*http.Response, error) {
		return p.c.Send(ctx, func(ctx context.Context) (*http.Request, error) {
			r, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
			if err != nil {
				return nil, err
			}
			r.Header.Set("Dropbox-API-Arg", a)
			if root != "" {
				r.Header.Set("Dropbox-API-Path-Root", root)
			}
			for k, v := range header {
				r.Header[k] = v
			}
			return r, nil
		})
	})
}

// Roots returns the account's Dropbox.
func (p *Provider) Roots(ctx context.Context) ([]providers.Entry, error) {
	root, err := p.Stat(ctx, "")
	if err != nil {
		return nil, err
	}
	return []providers.Entry{root}, nil
}

// Stat returns the entry with this ID; "" is the root (which Dropbox has no
// metadata for: it is described, not asked for).
func (p *Provider) Stat(ctx context.Context, id string) (providers.Entry, error) {
	if id == "" {
		if err := ctx.Err(); err != nil {
			return providers.Entry{}, err
		}
		return providers.Entry{ID: "", Name: "Dropbox", Path: "/", IsDir: true, Size: -1}, nil
	}
	if err := checkID(id); err != nil {
		return providers.Entry{}, err
	}
	var m Metadata
	if err := p.rpc(ctx, "files/get_metadata", map[string]any{"path": id}, &m); err != nil {
		return providers.Entry{}, err
	}
	e := m.Entry()
	if m.Tag == "deleted" {
		return providers.Entry{}, e.Err
	}
	return e, nil
}

// listPage is list_folder's and search's page token: where the walk
// started and Dropbox's cursor.
type listPage struct {
	From   string `json:"f"`
	Cursor string `json:"c"`
}

func encodePage(s listPage) string {
	b, _ := json.Marshal(s)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePage(tok, from string) (string, error) {
	var s listPage
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || json.Unmarshal(b, &s) != nil || s.Cursor == "" || s.From != from {
		return "", fmt.Errorf("dropbox: %w", providers.ErrPageExpired)
	}
	return s.Cursor, nil
}

// ListFolderResult is list_folder's answer.
type ListFolderResult struct {
	Entries []Metadata `json:"entries"`
	Cursor  string     `json:"cursor"`
	HasMore bool       `json:"has_more"`
}

// List returns one page of a folder: list_folder, then
// list_folder/continue with the cursor.
func (p *Provider) List(ctx context.Context, folderID, pageToken string) (providers.Page, error) {
	if folderID != "" {
		if err := checkID(folderID); err != nil {
			return providers.Page{}, err
		}
	}
	var res ListFolderResult
	if pageToken == "" {
		arg := map[string]any{"path": folderID, "limit": p.pageSize}
		if err := p.rpc(ctx, "files/list_folder", arg, &res); err != nil {
			return providers.Page{}, err
		}
	} else {
		cursor, err := decodePage(pageToken, folderID)
		if err != nil {
			return providers.Page{}, err
		}
		if err := p.rpc(ctx, "files/list_folder/continue", map[string]any{"cursor": cursor}, &res); err != nil {
			return providers.Page{}, cursorError(err)
		}
	}
	page := providers.Page{}
	for _, m := range res.Entries {
		if m.Tag == "deleted" {
			continue
		}
		page.Entries = append(page.Entries, m.Entry())
	}
	if res.HasMore {
		page.NextPageToken = encodePage(listPage{From: folderID, Cursor: res.Cursor})
	}
	return page, nil
}

// cursorError: Dropbox answers a cursor it cannot read with a plain-text
// 400; for the caller that is an expired page token.
func cursorError(err error) error {
	var he *providers.HTTPError
	if errors.As(err, &he) && he.StatusCode == http.StatusBadRequest {
		return fmt.Errorf("%w (%w)", providers.ErrPageExpired, err)
	}
	return err
}

// Search finds files and folders by name (search_v2, filename_only).
func (p *Provider) Search(ctx context.Context, query, pageToken string) (providers.Page, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		return providers.Page{}, nil
	}
	if len(query) > 1000 {
		query = query[:1000]
		for !utf8.ValidString(query) {
			query = query[:len(query)-1]
		}
	}
	var res struct {
		Matches []struct {
			Metadata struct {
				Metadata Metadata `json:"metadata"`
			} `json:"metadata"`
		} `json:"matches"`
		HasMore bool   `json:"has_more"`
		Cursor  string `json:"cursor"`
	}
	from := "search:" + query
	if pageToken == "" {
		arg := map[string]any{"query": query, "options": map[string]any{
			"max_results": p.pageSize, "file_status": "active", "filename_only": true}}
		if err := p.rpc(ctx, "files/search_v2", arg, &res); err != nil {
			return providers.Page{}, err
		}
	} else {
		cursor, err := decodePage(pageToken, from)
		if err != nil {
			return providers.Page{}, err
		}
		if err := p.rpc(ctx, "files/search/continue_v2", map[string]any{"cursor": cursor}, &res); err != nil {
			return providers.Page{}, cursorError(err)
		}
	}
	page := providers.Page{}
	for _, m := range res.Matches {
		if md := m.Metadata.Metadata; md.Tag == "file" || md.Tag == "folder" {
			page.Entries = append(page.Entries, md.Entry())
		}
	}
	if res.HasMore && res.Cursor != "" {
		page.NextPageToken = encodePage(listPage{From: from, Cursor: res.Cursor})
	}
	return page, nil
}

// ErrChecksum means a whole-file download did not match its content_hash.
var ErrChecksum = errors.New("downloaded content does not match the file's content_hash")

// Open downloads a file from offset (files/download with a Range). A
// whole-file read is hashed with NewContentHash and compared, at EOF, with
// the content_hash in the answer's Dropbox-API-Result header.
func (p *Provider) Open(ctx context.Context, id string, offset int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, fmt.Errorf("dropbox: negative offset %d", offset)
	}
	if id == "" {
		return nil, fmt.Errorf("dropbox: the root: %w", providers.ErrIsFolder)
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	h := http.Header{}
	if offset > 0 {
		h.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	resp, err := p.contentCall(ctx, "files/download", map[string]any{"path": id}, h)
	if errors.Is(err, errExportOnly) {
		return p.export(ctx, id, offset)
	}
	if errors.Is(err, errRangeNotSatisfiable) {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	if err != nil {
		return nil, err
	}
	m, err := DecodeMetadata([]byte(resp.Header.Get("Dropbox-API-Result")))
	if err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("dropbox: download answer without readable Dropbox-API-Result: %w", err)
	}
	if offset > 0 {
		return providers.SkipTo(resp, offset)
	}
	if len(m.ContentHash) != 64 {
		return resp.Body, nil
	}
	return &verifier{rc: resp.Body, h: NewContentHash(), want: strings.ToLower(m.ContentHash), size: m.Size, name: m.Name}, nil
}

func exportAs(m Metadata) string {
	if m.ExportInfo == nil {
		return ""
	}
	return m.ExportInfo.ExportAs
}

// export downloads a file Dropbox only exports (a Paper doc) with
// files/export in its default export format, from offset (exports have no
// ranges: the first offset bytes are skipped).
func (p *Provider) export(ctx context.Context, id string, offset int64) (io.ReadCloser, error) {
	resp, err := p.contentCall(ctx, "files/export", map[string]any{"path": id}, nil)
	if err != nil {
		return nil, fmt.Errorf("dropbox: exporting %q: %w", id, err)
	}
	resp.StatusCode = http.StatusOK // exports have no ranges: skip instead
	return providers.SkipTo(resp, offset)
}

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
		if v.n != v.size {
			return n, fmt.Errorf("dropbox: %q: got %d bytes, want %d: %w", v.name, v.n, v.size, io.ErrUnexpectedEOF)
		}
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want {
			return n, fmt.Errorf("dropbox: %q: content hash %s, want %s: %w", v.name, got, v.want, ErrChecksum)
		}
	}
	return n, err
}

func (v *verifier) Close() error { return v.rc.Close() }

// thumbnailSizes are get_thumbnail_v2's sizes, smallest first.
var thumbnailSizes = []struct {
	tag  string
	long int
}{{"w32h32", 32}, {"w64h64", 64}, {"w128h128", 128}, {"w256h256", 256}, {"w480h320", 480},
	{"w640h480", 640}, {"w960h640", 960}, {"w1024h768", 1024}, {"w2048h1536", 2048}}

// ThumbnailSize is the largest get_thumbnail_v2 size whose longer side is
// at most size (the smallest, w32h32, below that).
func ThumbnailSize(size int) string {
	tag := thumbnailSizes[0].tag
	for _, s := range thumbnailSizes {
		if s.long <= size {
			tag = s.tag
		}
	}
	return tag
}

// Thumbnail returns a JPEG (get_thumbnail_v2, bestfit).
func (p *Provider) Thumbnail(ctx context.Context, id string, size int) (io.ReadCloser, string, error) {
	if err := checkID(id); err != nil {
		return nil, "", err
	}
	arg := map[string]any{
		"resource": map[string]any{".tag": "path", "path": id},
		"format":   "jpeg", "size": ThumbnailSize(size), "mode": "bestfit",
	}
	resp, err := p.contentCall(ctx, "files/get_thumbnail_v2", arg, nil)
	if err != nil {
		return nil, "", err
	}
	return resp.Body, "image/jpeg", nil
}

// AccountInfo identifies the account by its account_id ("dbid:…").
func (p *Provider) AccountInfo(ctx context.Context) (providers.Account, error) {
	var a struct {
		AccountID string `json:"account_id"`
		Name      struct {
			DisplayName string `json:"display_name"`
		} `json:"name"`
		Email string `json:"email"`
	}
	if err := p.rpc(ctx, "users/get_current_account", nil, &a); err != nil {
		return providers.Account{}, err
	}
	if a.AccountID == "" {
		return providers.Account{}, errors.New("dropbox: get_current_account named no account")
	}
	return providers.Account{ID: a.AccountID, Name: a.Name.DisplayName, Email: a.Email}, nil
}

// Quota reports storage use (individual or team allocation).
func (p *Provider) Quota(ctx context.Context) (providers.Quota, error) {
	var s struct {
		Used       int64 `json:"used"`
		Allocation struct {
			Tag       string `json:".tag"`
			Allocated int64  `json:"allocated"`
		} `json:"allocation"`
	}
	if err := p.rpc(ctx, "users/get_space_usage", nil, &s); err != nil {
		return providers.Quota{}, err
	}
	q := providers.Quota{Used: s.Used, Total: -1, Free: -1}
	if s.Allocation.Allocated > 0 {
		q.Total = s.Allocation.Allocated
		q.Free = max(0, q.Total-q.Used)
	}
	return q, nil
}
