// Package fakedrive is a fake Google Drive (API v3) and Google OAuth 2.0
// server for tests, written from Google's API reference. It checks what it
// receives the way Google does — a bearer token its own token endpoint
// issued and not yet expired or revoked, scopes, known query parameters only,
// `fields` selections against the resource schemas (unknown fields are a 400
// invalidParameter), shared-drive items hidden unless supportsAllDrives /
// includeItemsFromAllDrives are set, PKCE at the token endpoint — and
// answers with the documented JSON shapes, paging and error bodies.
//
// One server serves everything on 127.0.0.1: the Drive API under
// /drive/v3/, the consent page at /o/oauth2/v2/auth, the token endpoint at
// /token, revocation at /revoke, and thumbnails at /thumb/ (the role of
// lh3.googleusercontent.com). Point gdrive's Settings.APIBase and
// Settings.AuthBase at URL.
package fakedrive

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/ferry-app/ferry/providers/providertest"
)

// MIME types of Google's own kinds of files.
const (
	FolderMIME   = "application/vnd.google-apps.folder"
	ShortcutMIME = "application/vnd.google-apps.shortcut"
	DocMIME      = "application/vnd.google-apps.document"
	SheetMIME    = "application/vnd.google-apps.spreadsheet"
	SlidesMIME   = "application/vnd.google-apps.presentation"
	DrawingMIME  = "application/vnd.google-apps.drawing"
	FormMIME     = "application/vnd.google-apps.form"
)

// Scopes the fake knows.
const (
	ScopeDrive         = "https://www.googleapis.com/auth/drive"
	ScopeDriveReadonly = "https://www.googleapis.com/auth/drive.readonly"
	ScopeDriveMetadata = "https://www.googleapis.com/auth/drive.metadata.readonly"
)

// Options configure New.
type Options struct {
	// PageSize caps the files in one files.list page whatever pageSize the
	// client asks for (Drive may return fewer than asked); 0 means 100.
	PageSize int
	// TokenLifetime is the access token lifetime; 0 means 3599 s.
	TokenLifetime time.Duration
}

// Server is a running fake. All methods are safe for concurrent use.
type Server struct {
	// URL is the server's root, http://127.0.0.1:<port>.
	URL string
	// Faults wraps every request: the conformance suite's 429 bursts (in
	// Drive's JSON shape) and hangs.
	Faults *providertest.FaultInjector
	// AutoApprove makes the consent page submit itself with an inline
	// script (the browser really posts the form). Deny makes it press
	// "Cancel" instead. Both default to false: the page waits for a click.
	AutoApprove, Deny bool

	srv      *httptest.Server
	pageSize int
	lifetime time.Duration
	secret   []byte // signs page tokens

	mu        sync.Mutex
	files     map[string]*file
	order     []string // creation order: files.list's stable order
	drives    []string // shared drive IDs in creation order
	rootID    string
	othersID  string // another person's My Drive root, not visible to the user
	user      User
	clients   map[string]string // client_id → secret
	tokens    *providertest.Tokens
	consented map[string]bool // client_id + user: that user has granted this client offline access before
	forbid403 int             // next n API requests answer 403 userRateLimitExceeded
	requests  []string        // "METHOD path" of every API request, for tests
}

// User is the signed-in account the fake serves.
type User struct {
	DisplayName, EmailAddress, PermissionID string
}

type file struct {
	id, name, mimeType string
	parents            []string
	content            []byte
	created, modified  time.Time
	trashed            bool
	driveID            string // "" for My Drive
	target             string // shortcut target ID
	revision           string
	othersRoot         bool   // lives in another person's My Drive (not the user's)
	sharedWithMe       bool   // shared with the user by a type=user permission
	resourceKey        string // set for link-shared items that need it
	exportSize         int    // a Docs Editors file's export size in bytes
	abusive            bool   // flagged as malware or spam
	noDownload         bool   // the owner turned off downloading for viewers
}

// New starts a fake with an empty My Drive and one registered OAuth client
// ("ferry-test-client" with secret "ferry-test-secret"). Close it when done.
func New(opts Options) *Server {
	s := &Server{
		pageSize:  opts.PageSize,
		lifetime:  opts.TokenLifetime,
		secret:    randomBytes(32),
		files:     map[string]*file{},
		clients:   map[string]string{"ferry-test-client": "ferry-test-secret"},
		consented: map[string]bool{},
		user:      User{DisplayName: "Ana Example", EmailAddress: "ana@example.com", PermissionID: "04291837465102938475"},
	}
	if s.pageSize <= 0 {
		s.pageSize = 100
	}
	if s.lifetime <= 0 {
		s.lifetime = 3599 * time.Second
	}
	s.tokens = providertest.NewTokens(s.tokenPolicy())
	s.rootID = s.newID()
	now := time.Now()
	s.files[s.rootID] = &file{id: s.rootID, name: "My Drive", mimeType: FolderMIME, created: now, modified: now}
	s.othersID = s.newID()
	s.files[s.othersID] = &file{id: s.othersID, name: "My Drive", mimeType: FolderMIME, created: now, modified: now, othersRoot: true}
	s.Faults = providertest.NewFaultInjector(s.routes())
	s.Faults.RateLimitResponse = func(w http.ResponseWriter, _ *http.Request, retryAfter string) {
		w.Header().Set("Retry-After", retryAfter)
		writeError(w, http.StatusTooManyRequests, "Rate Limit Exceeded", apiErr{Domain: "usageLimits", Reason: "rateLimitExceeded"})
	}
	s.srv = httptest.NewServer(s.Faults)
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// RegisterClient adds an OAuth client.
func (s *Server) RegisterClient(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[id] = secret
}

// SetUser replaces the account the fake serves.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user = u
}

// RootID is the ID of My Drive's root folder (what the alias "root" names).
func (s *Server) RootID() string { return s.rootID }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// newID returns a Drive-like ID: 33 characters of [A-Za-z0-9_-].
func (s *Server) newID() string {
	return "1" + base64.RawURLEncoding.EncodeToString(randomBytes(24))
}

// --- seeding ---

// AddFolder creates a folder in parentID ("" or "root" for My Drive) and
// returns its ID.
func (s *Server) AddFolder(parentID, name string) string {
	return s.add(parentID, &file{name: name, mimeType: FolderMIME})
}

// AddFile creates a binary file; its MIME type follows the name's extension.
func (s *Server) AddFile(parentID, name string, data []byte) string {
	mt := mime.TypeByExtension(path.Ext(name))
	if mt == "" {
		mt = "application/octet-stream"
	}
	return s.AddFileMIME(parentID, name, mt, data)
}

// AddFileMIME creates a binary file with an explicit MIME type.
func (s *Server) AddFileMIME(parentID, name, mimeType string, data []byte) string {
	return s.add(parentID, &file{name: name, mimeType: mimeType, content: bytes.Clone(data)})
}

// AddGoogleFile creates a Docs Editors file (DocMIME, SheetMIME, ...).
// Exports answer with content that names the file and the format.
func (s *Server) AddGoogleFile(parentID, name, mimeType string) string {
	return s.add(parentID, &file{name: name, mimeType: mimeType})
}

// OthersRootID is the root of another person's My Drive: what is added
// there is not the user's, and visible to them only once shared
// (ShareWithMe) or through its link (LinkShare).
func (s *Server) OthersRootID() string { return s.othersID }

// ShareWithMe shares another person's item with the user (a type=user
// permission): files.list's "sharedWithMe" finds it.
func (s *Server) ShareWithMe(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[id].sharedWithMe = true
}

// LinkShare shares another person's item by link only and returns its
// resource key: requests naming it must carry the key in
// X-Goog-Drive-Resource-Keys ("Access link-shared files using resource keys").
func (s *Server) LinkShare(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := "0-" + base64.RawURLEncoding.EncodeToString(randomBytes(16))
	s.files[id].resourceKey = key
	return key
}

// SetExportSize makes a Docs Editors file n bytes long once exported:
// files.export refuses it past 10 MB; its exportLinks still serve it.
func (s *Server) SetExportSize(id string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[id].exportSize = n
}

// DisableDownload turns off downloading, printing and copying for viewers
// (Drive's "viewers can't download" sharing setting): the file's
// capabilities.canDownload is false and alt=media and export answer 403
// cannotDownloadFile.
func (s *Server) DisableDownload(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[id].noDownload = true
}

// MarkAbusive flags a file as malware or spam: it downloads only with
// acknowledgeAbuse=true.
func (s *Server) MarkAbusive(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[id].abusive = true
}

// AddShortcut creates a shortcut to targetID.
func (s *Server) AddShortcut(parentID, name, targetID string) string {
	return s.add(parentID, &file{name: name, mimeType: ShortcutMIME, target: targetID})
}

// AddSharedDrive creates a shared drive the user is a member of and
// returns its ID (which is also the ID of its root folder).
func (s *Server) AddSharedDrive(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := "0A" + base64.RawURLEncoding.EncodeToString(randomBytes(12))
	now := time.Now()
	s.files[id] = &file{id: id, name: name, mimeType: FolderMIME, driveID: id, created: now, modified: now}
	s.drives = append(s.drives, id)
	return id
}

// Trash moves an item to the trash.
func (s *Server) Trash(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.files[id]; f != nil {
		f.trashed = true
	}
}

// Delete removes an item for good.
func (s *Server) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, id)
}

// SetContent replaces a binary file's content (a new revision).
func (s *Server) SetContent(id string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.files[id]; f != nil {
		f.content = bytes.Clone(data)
		f.modified = time.Now()
		f.revision = hex.EncodeToString(randomBytes(16))
	}
}

func (s *Server) add(parentID string, f *file) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if parentID == "" || parentID == "root" {
		parentID = s.rootID
	}
	p := s.files[parentID]
	if p == nil || p.mimeType != FolderMIME {
		panic(fmt.Sprintf("fakedrive: parent %q is not a folder", parentID))
	}
	f.id = s.newID()
	f.parents = []string{parentID}
	f.driveID = p.driveID
	f.othersRoot = p.othersRoot
	f.created = time.Now()
	f.modified = f.created
	if f.mimeType != FolderMIME && !strings.HasPrefix(f.mimeType, "application/vnd.google-apps.") {
		f.revision = hex.EncodeToString(randomBytes(16))
	}
	s.files[f.id] = f
	s.order = append(s.order, f.id)
	return f.id
}

// --- tokens and faults for tests ---

// IssueToken returns an access and a refresh token for the registered
// client "ferry-test-client" with the given scopes (default drive.readonly),
// as if the person had signed in.
func (s *Server) IssueToken(scopes ...string) (access, refresh string) {
	if len(scopes) == 0 {
		scopes = []string{ScopeDriveReadonly}
	}
	return s.tokens.Issue(providertest.Grant{ClientID: "ferry-test-client", Scope: strings.Join(scopes, " "), Offline: true})
}

// ExpireAccessTokens makes every access token issued so far expired.
func (s *Server) ExpireAccessTokens() { s.tokens.ExpireAccess() }

// UserRateLimit makes the next n API requests answer 403
// userRateLimitExceeded (Drive's per-user quota answer).
func (s *Server) UserRateLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbid403 = n
}

// Requests returns "METHOD /path?query" of every Drive API request so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// --- errors in Google's shape ---

type apiErr struct {
	Message      string `json:"message"`
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Location     string `json:"location,omitempty"`
	LocationType string `json:"locationType,omitempty"`
}

var statusNames = map[int]string{
	400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
	416: "OUT_OF_RANGE", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
}

// writeError writes {"error":{"code","message","errors":[...],"status"}}.
func writeError(w http.ResponseWriter, code int, msg string, e apiErr) {
	if e.Message == "" {
		e.Message = msg
	}
	body := map[string]any{"error": map[string]any{
		"code": code, "message": msg, "errors": []apiErr{e}, "status": statusNames[code],
	}}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

func notFound(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, "File not found: "+id+".",
		apiErr{Domain: "global", Reason: "notFound", Location: "fileId", LocationType: "parameter"})
}

func invalidParam(w http.ResponseWriter, where, msg string) {
	writeError(w, http.StatusBadRequest, msg,
		apiErr{Domain: "global", Reason: "invalidParameter", Location: where, LocationType: "parameter"})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

// --- page tokens ---

func (s *Server) pageToken(query string, offset int) string {
	m := hmac.New(sha256.New, s.secret)
	fmt.Fprintf(m, "%s|%d", query, offset)
	return fmt.Sprintf("%d~%s", offset, base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12]))
}

func (s *Server) parsePageToken(query, tok string) (int, bool) {
	var off int
	if _, err := fmt.Sscanf(tok, "%d~", &off); err != nil || off < 0 {
		return 0, false
	}
	return off, hmac.Equal([]byte(tok), []byte(s.pageToken(query, off)))
}

func md5hex(b []byte) string {
	h := md5.Sum(b)
	return hex.EncodeToString(h[:])
}
