// Package providers is the contract every file source implements — This
// Computer, WebDAV/Nextcloud, Google Drive, Dropbox, OneDrive, Box — plus the
// one HTTP/retry layer they all use (Client) and the typed errors the UI acts
// on. The conformance suite every provider must pass is providers/providertest.
//
// The core (Provider) is small: list a folder page by page, stat, open at an
// offset. Everything else is an optional capability interface (Thumbnailer,
// Searcher, AccountInfo, QuotaInfo, PathResolver) discovered once with
// FeaturesOf, the way rclone discovers an Fs's Features.
package providers

import (
	"context"
	"io"
	"time"
)

// Version is the application version sent in the User-Agent ("Ferry/<Version>").
// main sets it at start-up, before any Client is built.
var Version = "dev"

// Provider is one signed-in account (or This Computer) seen as a read-only
// tree of folders and files.
//
// IDs are opaque to callers: a path for path-based sources (local, WebDAV),
// the service's item ID for the others. The empty ID names the default root
// (the first of Roots). An ID from one Provider means nothing to another.
//
// All methods are safe for concurrent use, honour ctx (a cancelled ctx makes
// them return an error matching ctx.Err() promptly) and return errors that
// match the sentinels of this package where one applies (ErrNotFound,
// ErrNeedsSignIn, ErrPermissionDenied, ErrRateLimited, ...).
type Provider interface {
	// Roots returns the top-level folders a person starts browsing from:
	// at least one. For This Computer these are home, Desktop, Documents,
	// Downloads and mounted volumes; for a cloud drive "My Drive", shared
	// drives, "Shared with me"; for WebDAV the configured folder.
	Roots(ctx context.Context) ([]Entry, error)

	// List returns one page of the folder's children. Pass "" as pageToken
	// for the first page and the previous Page.NextPageToken for the next;
	// the last page has an empty NextPageToken. A page may hold fewer
	// entries than others (even none) while more follow, so callers loop
	// until the token is empty. The order of entries is the source's own
	// (not necessarily sorted) and stable across pages: no entry appears
	// twice in one walk of the folder as long as the folder is unchanged.
	// A token is only valid with the folderID it came from, may expire
	// (then List returns ErrPageExpired and the caller starts over), and must
	// be treated as an opaque string. A folderID naming a file returns
	// ErrNotFolder; one naming nothing returns ErrNotFound.
	List(ctx context.Context, folderID, pageToken string) (Page, error)

	// Stat returns the entry with this ID, or ErrNotFound.
	Stat(ctx context.Context, id string) (Entry, error)

	// Open returns the file's content starting at byte offset (0 for the
	// whole file): a ranged download. offset == Size yields an empty
	// reader; offset > Size yields an empty reader or an error, never data.
	// Opening a folder returns ErrIsFolder. The caller must Close the
	// reader; closing it early aborts the transfer. A reader may fail
	// mid-way with a transient error: the caller resumes by calling Open
	// again at the offset it reached, after checking with Stat that the
	// entry's Revision is unchanged.
	Open(ctx context.Context, id string, offset int64) (io.ReadCloser, error)
}

// Page is one page of a folder listing or of search results.
type Page struct {
	Entries []Entry
	// NextPageToken is empty on the last page.
	NextPageToken string
}

// Entry is one file or folder.
type Entry struct {
	// ID names the entry for Stat, List and Open on the same Provider.
	ID string `json:"id"`
	// Name is the entry's own name exactly as the source stores it: it may
	// contain any character the source allows (control characters, bidi
	// overrides, even "/" on sources that allow it). Display code must make
	// such characters visible; it is never a path to join.
	Name string `json:"name"`
	// Path is a human-readable location ("/Photos/2024/a.jpg" under the
	// root, or an absolute OS path for This Computer), for display and for
	// PathResolver. Empty where the source cannot tell cheaply.
	Path  string `json:"path,omitempty"`
	IsDir bool   `json:"is_dir"`
	// Size in bytes; -1 when unknown (folders usually, exported documents).
	Size int64 `json:"size"`
	// ModTime is the last modification time; zero when unknown.
	ModTime time.Time `json:"mod_time,omitzero"`
	// MIMEType is the content type; "" when unknown. Folders leave it empty.
	MIMEType string `json:"mime_type,omitempty"`
	// Hash is the source's own content hash, zero when it has none.
	Hash Hash `json:"hash,omitzero"`
	// Revision changes whenever the content changes (an ETag, a revision ID,
	// or size+mtime for local files). Resume code compares it before
	// continuing a download. "" when the source has none.
	Revision string `json:"revision,omitempty"`
	// HasThumbnail reports that Thumbnailer.Thumbnail is expected to succeed
	// for this entry.
	HasThumbnail bool `json:"has_thumbnail,omitempty"`
	// Err is non-nil for an entry that is listed but cannot be opened or
	// listed: no permission, a dangling symlink, a link leading out of the
	// root. The UI shows it greyed out with Err as the reason. Its other
	// fields may be partly unknown.
	Err error `json:"-"`
}

// Hash is a content hash in the source's own algorithm.
type Hash struct {
	// Algorithm is a lower-case name: "md5", "sha1", "sha256",
	// "dropbox" (Dropbox content_hash), "quickxor" (OneDrive).
	Algorithm string `json:"algorithm"`
	// Value is lower-case hex, except quickxor (base64, as Graph sends it).
	Value string `json:"value"`
}

// IsZero reports whether the hash is absent.
func (h Hash) IsZero() bool { return h.Algorithm == "" }

// Thumbnailer returns a small image of a file.
type Thumbnailer interface {
	// Thumbnail returns an image (PNG, JPEG or WebP: the MIME type is the
	// second result) whose longer side is at most about size pixels (the
	// source picks the nearest size it has). ErrNotFound when the entry has
	// none. The caller closes the reader.
	Thumbnail(ctx context.Context, id string, size int) (io.ReadCloser, string, error)
}

// Searcher finds entries by name (and content, where the source does that)
// anywhere in the account.
type Searcher interface {
	// Search returns one page of results; paging works as in List.
	Search(ctx context.Context, query, pageToken string) (Page, error)
}

// Account identifies the signed-in account so several accounts of the same
// provider can coexist.
type Account struct {
	// ID is the provider's stable account identifier (never an email that
	// may change); it keys the token vault entry "provider:ID".
	ID string `json:"id"`
	// Name and Email are for display; either may be empty.
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// AccountInfo reports who is signed in.
type AccountInfo interface {
	AccountInfo(ctx context.Context) (Account, error)
}

// Quota is storage use. Unknown values are -1.
type Quota struct {
	Used  int64 `json:"used"`
	Total int64 `json:"total"`
	Free  int64 `json:"free"`
}

// QuotaInfo reports storage use of the account.
type QuotaInfo interface {
	Quota(ctx context.Context) (Quota, error)
}

// PathResolver finds an entry by its human-readable Path ("/a/b.txt"
// relative to the default root, or as the provider documents). Providers
// whose IDs are paths implement it cheaply; for the others ResolvePath walks
// folder listings.
type PathResolver interface {
	ResolvePath(ctx context.Context, path string) (Entry, error)
}

// Features are the optional capabilities of one Provider, discovered once.
// A nil field means the provider does not have that capability.
type Features struct {
	Thumbnailer  Thumbnailer
	Searcher     Searcher
	AccountInfo  AccountInfo
	Quota        QuotaInfo
	PathResolver PathResolver
}

// FeatureMasker is implemented by providers whose Go type has a capability
// method that a particular instance cannot serve (a WebDAV server that is not
// Nextcloud has no previews). MaskFeatures clears those fields.
type FeatureMasker interface {
	MaskFeatures(f *Features)
}

// FeaturesOf discovers p's optional capabilities. Call it once per Provider
// and keep the result.
func FeaturesOf(p Provider) Features {
	var f Features
	f.Thumbnailer, _ = p.(Thumbnailer)
	f.Searcher, _ = p.(Searcher)
	f.AccountInfo, _ = p.(AccountInfo)
	f.Quota, _ = p.(QuotaInfo)
	f.PathResolver, _ = p.(PathResolver)
	if m, ok := p.(FeatureMasker); ok {
		m.MaskFeatures(&f)
	}
	return f
}
