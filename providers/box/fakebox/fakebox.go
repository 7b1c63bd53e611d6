// Package fakebox is an in-process stand-in for the Box API v2.0 and Box's
// OAuth 2.0 endpoints, written from the Box API reference, for tests of
// Ferry's box provider and of anything that signs in to it (through the
// reference backend, which holds the client secret).
//
// It checks what it receives the way Box does: a bearer token it issued,
// not expired and not revoked, on every API call; fields= names known to
// the resource; usemarker/marker/limit; the client secret at the token and
// revocation endpoints (required: Box has no public clients); single-use,
// 30-second authorization codes; single-use refresh tokens (each refresh
// rotates, and redeeming a spent one fails with invalid_grant). It answers
// with Box's JSON shapes, marker paging and error objects. /content answers
// 302 to a second listener (the download host) that serves Range requests
// and fails the test if it ever sees an Authorization header.
package fakebox

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ferry-app/ferry/providers/providertest"
)

// Server is a running fake.
type Server struct {
	// URL is the API root (Settings.APIBase): calls go to URL/2.0/…, the
	// token endpoint is URL/oauth2/token, revocation URL/oauth2/revoke.
	URL string
	// AuthBase is the authorization server root (Settings.AuthBase): the
	// consent page is AuthBase/api/oauth2/authorize.
	AuthBase string
	// DownloadURL is the download host's root (another port).
	DownloadURL string
	// ClientID and ClientSecret are the registered app's.
	ClientID, ClientSecret string
	// Faults wraps every listener: the conformance suite's 429s and hangs.
	Faults *providertest.FaultInjector
	// AutoConsent makes the consent page submit itself (default true);
	// Deny makes it press "Deny" instead.
	AutoConsent, Deny atomic.Bool
	// TokenLifetime is the access token lifetime; default 60 minutes.
	TokenLifetime time.Duration

	t   testing.TB
	key []byte

	mu         sync.Mutex
	folders    map[string]*node
	files      map[string]*node
	nextID     int
	authReqs   map[string]url.Values
	tokens     *providertest.Tokens
	downloads  map[string]dl
	staleLinks int // the next download URLs handed out are already expired
	pendingDL  map[string]int
	pendingTh  map[string]int
	pendingRep map[string]int
	noReps     map[string]bool
	throttleN  int
	throttleSt int
	throttleRA time.Duration
	stats      Stats
	user       boxUser
}

// Stats count what the fake saw.
type Stats struct {
	CodeExchanges, Refreshes, RefreshRejected, Revocations int
	// SecretRejected counts token/revoke calls without the right secret.
	SecretRejected int
	Downloads      int
	// AuthorizedDownloads counts download-host requests that carried an
	// Authorization header (each also fails the test).
	AuthorizedDownloads int
	ThumbnailPending    int
	// Representations counts representation assets served.
	Representations int
}

type boxUser struct{ ID, Name, Login string }

type node struct {
	ID, Name, Parent string
	Folder           bool
	Data             []byte
	Mod              time.Time
	Version          int
	VersionID        string
	Children         []string // "d123"/"f456"
}

type dl struct {
	file    string
	expires time.Time
}

// Options configure Start.
type Options struct {
	// ClientID and ClientSecret of the registered app; defaults
	// "ferry-box-test" and a random secret.
	ClientID, ClientSecret string
}

// Start runs a fake until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{t: t, ClientID: opts.ClientID, ClientSecret: opts.ClientSecret,
		folders: map[string]*node{}, files: map[string]*node{}, authReqs: map[string]url.Values{},
		downloads: map[string]dl{}, pendingDL: map[string]int{}, pendingTh: map[string]int{}, pendingRep: map[string]int{}, noReps: map[string]bool{},
		nextID: 1000, user: boxUser{ID: "11446498", Name: "Aaron Levie", Login: "ceo@example.com"}}
	if s.ClientID == "" {
		s.ClientID = "ferry-box-test"
	}
	if s.ClientSecret == "" {
		s.ClientSecret = randomToken()
	}
	s.key = randomBytes(32)
	s.tokens = providertest.NewTokens(s.tokenPolicy())
	s.AutoConsent.Store(true)
	s.folders["0"] = &node{ID: "0", Name: "All Files", Folder: true, Mod: time.Now().UTC().Truncate(time.Second)}

	api, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dlL, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.URL = "http://" + api.Addr().String()
	s.AuthBase = s.URL
	s.DownloadURL = "http://" + dlL.Addr().String()
	dlHost := dlL.Addr().String()
	apiH := s.routes()
	dlMux := http.NewServeMux()
	dlMux.HandleFunc("GET /d/{token}/download", s.download)
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == dlHost {
			dlMux.ServeHTTP(w, r)
			return
		}
		apiH.ServeHTTP(w, r)
	})
	s.Faults = providertest.NewFaultInjector(root)
	s.Faults.RateLimitResponse = func(w http.ResponseWriter, r *http.Request, retryAfter string) {
		w.Header().Set("Retry-After", retryAfter)
		boxErr(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Request rate limit exceeded, please try again later", nil)
	}
	for _, l := range []net.Listener{api, dlL} {
		srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: s.Faults}}
		srv.Start()
		t.Cleanup(srv.Close)
	}
	return s
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(24)) }

// ---- seeding -------------------------------------------------------------

// ErrInvalidName is returned for names Box does not store.
var ErrInvalidName = fmt.Errorf("fakebox: item_name_invalid")

// Rejects reports whether Box refuses name: non-printable ASCII, / or \,
// trailing spaces, the names . and .., more than 255 characters.
func Rejects(name string) bool {
	if name == "" || name == "." || name == ".." || utf8.RuneCountInString(name) > 255 || !utf8.ValidString(name) {
		return true
	}
	if strings.ContainsAny(name, "/\\") || strings.HasSuffix(name, " ") {
		return true
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

func (s *Server) newID() string { s.nextID++; return strconv.Itoa(s.nextID * 7) }

func (s *Server) child(parent *node, name string) *node {
	for _, c := range parent.Children {
		n := s.lookupKey(c)
		if strings.EqualFold(n.Name, name) { // Box names are unique case-insensitively
			return n
		}
	}
	return nil
}

func (s *Server) lookupKey(k string) *node {
	if k[0] == 'd' {
		return s.folders[k[1:]]
	}
	return s.files[k[1:]]
}

func key(n *node) string {
	if n.Folder {
		return "d" + n.ID
	}
	return "f" + n.ID
}

// Mkdir creates (or finds) folders below parentID ("0" is All Files) and
// returns the last one's ID.
func (s *Server) Mkdir(parentID string, names ...string) (string, error) {
	for _, n := range names {
		if Rejects(n) {
			return "", fmt.Errorf("%w: %q", ErrInvalidName, n)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.folders[parentID]
	if cur == nil {
		return "", fmt.Errorf("fakebox: no folder %q", parentID)
	}
	for _, n := range names {
		c := s.child(cur, n)
		if c == nil {
			c = &node{ID: s.newID(), Name: n, Parent: cur.ID, Folder: true, Mod: time.Now().UTC().Truncate(time.Second)}
			s.folders[c.ID] = c
			cur.Children = append(cur.Children, key(c))
		} else if !c.Folder {
			return "", fmt.Errorf("fakebox: %q is a file", n)
		}
		cur = c
	}
	return cur.ID, nil
}

// Seed creates a file holding data at names (folders, then the file) below
// the folder parentID, creating missing folders, and returns the file's
// Box ID. It creates nothing when a name is one Box rejects.
func (s *Server) Seed(parentID string, names []string, data []byte) (string, error) {
	if len(names) == 0 {
		return "", fmt.Errorf("fakebox: no name")
	}
	for _, n := range names {
		if Rejects(n) {
			return "", fmt.Errorf("%w: %q", ErrInvalidName, n)
		}
	}
	dir, err := s.Mkdir(parentID, names[:len(names)-1]...)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	parent := s.folders[dir]
	name := names[len(names)-1]
	now := time.Now().UTC().Truncate(time.Second)
	if c := s.child(parent, name); c != nil {
		if c.Folder {
			return "", fmt.Errorf("fakebox: %q is a folder", name)
		}
		c.Data, c.Mod, c.Version, c.VersionID = data, now, c.Version+1, s.newID()
		return c.ID, nil
	}
	f := &node{ID: s.newID(), Name: name, Parent: dir, Data: data, Mod: now, Version: 1}
	f.VersionID = s.newID()
	s.files[f.ID] = f
	parent.Children = append(parent.Children, key(f))
	return f.ID, nil
}

// MissingFolderID is a folder ID that names nothing.
func (s *Server) MissingFolderID() string { return "987654321" }

// SetThumbnailPending makes the next n thumbnail requests for a file
// answer 202 Accepted with Retry-After: 1 (Box still generating it).
func (s *Server) SetThumbnailPending(fileID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pendingTh[fileID] = n
}

// SetDownloadPending makes the next n /content requests for a file answer
// 202 Accepted with Retry-After: 1 (not yet ready for download).
func (s *Server) SetDownloadPending(fileID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pendingDL[fileID] = n
}

// Throttle makes the next n API calls answer status (429 or 503) with
// Retry-After and Box's error object.
func (s *Server) Throttle(n, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleN, s.throttleSt, s.throttleRA = n, status, retryAfter
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	ts := s.tokens.Stats()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.CodeExchanges, st.Refreshes, st.RefreshRejected, st.Revocations = ts.CodeExchanges, ts.Refreshes, ts.RefreshRejected, ts.Revocations
	st.SecretRejected += ts.ClientRejected
	return st
}

// UserID is the signed-in user's Box ID.
func (s *Server) UserID() string { return s.user.ID }

// ExpireNextDownloadLinks makes the next n download URLs /content
// redirects to already expired (Box's download URLs are short-lived); the
// download host refuses them.
func (s *Server) ExpireNextDownloadLinks(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.staleLinks = n
}

// IssueTokens signs the user in without a browser.
func (s *Server) IssueTokens() (access, refresh string) {
	return s.tokens.Issue(providertest.Grant{ClientID: s.ClientID, Offline: true})
}

// ExpireAccessTokens ends every access token issued so far.
func (s *Server) ExpireAccessTokens() { s.tokens.ExpireAccess() }

// ValidRefreshTokens are the refresh tokens the fake would still redeem.
func (s *Server) ValidRefreshTokens() []string { return s.tokens.ValidRefresh() }

// ---- HTTP ----------------------------------------------------------------

func (s *Server) routes() http.Handler {
	oauth := http.NewServeMux()
	oauth.HandleFunc("GET /api/oauth2/authorize", s.authorize)
	oauth.HandleFunc("POST /api/oauth2/authorize", s.consent)
	oauth.HandleFunc("POST /oauth2/token", s.token)
	oauth.HandleFunc("POST /oauth2/revoke", s.revoke)

	api := http.NewServeMux()
	api.HandleFunc("GET /2.0/users/me", s.me)
	api.HandleFunc("GET /2.0/folders/{id}", s.folder)
	api.HandleFunc("GET /2.0/folders/{id}/items", s.folderItems)
	api.HandleFunc("GET /2.0/files/{id}", s.file)
	api.HandleFunc("GET /2.0/files/{id}/content", s.content)
	api.HandleFunc("GET /2.0/files/{id}/{thumb}", s.thumbnail)
	api.HandleFunc("GET /2.0/search", s.search)
	api.HandleFunc("GET /2.0/internal_files/{id}/representations/{rep}/info", s.repInfo)
	api.HandleFunc("GET /2.0/internal_files/{id}/representations/{rep}/content/{asset...}", s.repContent)
	api.HandleFunc("/2.0/", func(w http.ResponseWriter, r *http.Request) {
		boxErr(w, http.StatusNotFound, "not_found", "Not Found", nil)
	})
	authed := s.authenticated(api)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/2.0/") {
			authed.ServeHTTP(w, r)
			return
		}
		oauth.ServeHTTP(w, r)
	})
}

func (s *Server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("box-request-id", hex.EncodeToString(randomBytes(8)))
		s.mu.Lock()
		if s.throttleN > 0 {
			s.throttleN--
			st, ra := s.throttleSt, s.throttleRA
			s.mu.Unlock()
			w.Header().Set("Retry-After", strconv.Itoa(int(ra/time.Second)))
			if st == http.StatusServiceUnavailable {
				boxErr(w, st, "unavailable", "Unavailable", nil)
			} else {
				boxErr(w, st, "rate_limit_exceeded", "Request rate limit exceeded, please try again later", nil)
			}
			return
		}
		s.mu.Unlock()
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if _, state := s.tokens.Check(tok); !ok || state != providertest.AccessValid {
			// Box answers 401 with an empty body and the reason in
			// WWW-Authenticate.
			w.Header().Set("WWW-Authenticate", `Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func boxErr(w http.ResponseWriter, status int, code, msg string, ctx map[string]any) {
	body := map[string]any{"type": "error", "status": status, "code": code,
		"help_url": "http://developers.box.com/docs/#errors", "message": msg,
		"request_id": hex.EncodeToString(randomBytes(6))}
	if ctx != nil {
		body["context_info"] = ctx
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func paramErr(w http.ResponseWriter, name, msg string) {
	boxErr(w, http.StatusBadRequest, "bad_request", "Bad Request", map[string]any{"errors": []map[string]string{
		{"reason": "invalid_parameter", "name": name, "message": msg}}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Fields of the File (Full) and Folder (Full) resources, and the mini
// representations Box always includes.
var (
	fileFields = set("type", "id", "etag", "sequence_id", "name", "sha1", "file_version", "description", "size",
		"path_collection", "created_at", "modified_at", "trashed_at", "purged_at", "content_created_at",
		"content_modified_at", "created_by", "modified_by", "owned_by", "shared_link", "parent", "item_status",
		"version_number", "comment_count", "permissions", "tags", "lock", "extension", "is_package",
		"expiring_embed_link", "watermark_info", "allowed_invitee_roles", "is_externally_owned",
		"has_collaborations", "metadata", "expires_at", "representations", "classification",
		"uploader_display_name", "disposition_at", "shared_link_permission_options")
	folderFields = set("type", "id", "etag", "sequence_id", "name", "created_at", "modified_at", "description", "size",
		"path_collection", "created_by", "modified_by", "trashed_at", "purged_at", "content_created_at",
		"content_modified_at", "owned_by", "shared_link", "folder_upload_email", "parent", "item_status",
		"item_collection", "sync_state", "has_collaborations", "permissions", "tags", "can_non_owners_invite",
		"is_externally_owned", "metadata", "is_collaboration_restricted_to_enterprise", "allowed_shared_link_access_levels",
		"allowed_invitee_roles", "watermark_info", "is_accessible_via_shared_link", "can_non_owners_view_collaborators",
		"classification")
	userFields  = set("type", "id", "name", "login", "created_at", "modified_at", "language", "timezone", "space_amount", "space_used", "max_upload_size", "status", "job_title", "phone", "address", "avatar_url")
	miniFile    = set("type", "id", "sequence_id", "etag", "sha1", "name", "file_version")
	miniFolder  = set("type", "id", "sequence_id", "etag", "name")
	allItemKeys = union(fileFields, folderFields)
)

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

func union(a, b map[string]bool) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// fields parses fields= against known; nil means "the standard
// representation". An unknown name is Box's 400 bad_request.
func fields(w http.ResponseWriter, r *http.Request, known map[string]bool) (map[string]bool, bool) {
	v := r.URL.Query().Get("fields")
	if v == "" {
		return nil, true
	}
	out := map[string]bool{}
	for _, n := range strings.Split(v, ",") {
		if !known[n] {
			paramErr(w, "fields", fmt.Sprintf("Invalid value '%s'. Field '%s' is not a valid field.", n, n))
			return nil, false
		}
		out[n] = true
	}
	return out, true
}

func pick(m map[string]any, sel, mini map[string]bool) map[string]any {
	if sel == nil {
		return m
	}
	out := map[string]any{}
	for k, v := range m {
		if sel[k] || mini[k] {
			out[k] = v
		}
	}
	return out
}

// itemJSON is a File (Full) or Folder (Full). Call with s.mu held.
func (s *Server) itemJSON(n *node) map[string]any {
	ts := n.Mod.Format(time.RFC3339)
	m := map[string]any{"id": n.ID, "name": n.Name, "sequence_id": strconv.Itoa(n.Version),
		"etag": strconv.Itoa(n.Version), "created_at": ts, "modified_at": ts, "content_created_at": ts,
		"content_modified_at": ts, "item_status": "active", "description": "",
		"owned_by": map[string]string{"type": "user", "id": s.user.ID, "name": s.user.Name, "login": s.user.Login}}
	var pc []map[string]string
	for p := s.folders[n.Parent]; p != nil && n.ID != "0"; p = s.folders[p.Parent] {
		pc = append([]map[string]string{{"type": "folder", "id": p.ID, "name": p.Name}}, pc...)
		if p.ID == "0" {
			break
		}
	}
	m["path_collection"] = map[string]any{"total_count": len(pc), "entries": pc}
	if p := s.folders[n.Parent]; p != nil && n.ID != "0" {
		m["parent"] = map[string]string{"type": "folder", "id": p.ID, "name": p.Name}
	}
	if n.Folder {
		m["type"] = "folder"
		var size int64
		s.walk(n, func(c *node) { size += int64(len(c.Data)) })
		m["size"] = size
		if n.ID == "0" {
			m["etag"], m["sequence_id"] = nil, nil
		}
		return m
	}
	sum := sha1.Sum(n.Data)
	m["type"] = "file"
	m["size"] = len(n.Data)
	m["sha1"] = hex.EncodeToString(sum[:])
	m["extension"] = strings.TrimPrefix(path.Ext(n.Name), ".")
	m["file_version"] = map[string]string{"type": "file_version", "id": n.VersionID, "sha1": hex.EncodeToString(sum[:])}
	m["version_number"] = strconv.Itoa(n.Version)
	return m
}

func (s *Server) walk(n *node, fn func(*node)) {
	for _, c := range n.Children {
		cn := s.lookupKey(c)
		fn(cn)
		if cn.Folder {
			s.walk(cn, fn)
		}
	}
}

func notFound(w http.ResponseWriter, what, id string) {
	boxErr(w, http.StatusNotFound, "not_found", "Not Found", map[string]any{"errors": []map[string]string{
		{"reason": "invalid_parameter", "name": what, "message": fmt.Sprintf("Invalid value '%s'. '%s' with value '%s' not found", id, what, id)}}})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	sel, ok := fields(w, r, userFields)
	if !ok {
		return
	}
	s.mu.Lock()
	var used int64
	for _, f := range s.files {
		used += int64(len(f.Data))
	}
	s.mu.Unlock()
	writeJSON(w, pick(map[string]any{"type": "user", "id": s.user.ID, "name": s.user.Name, "login": s.user.Login,
		"space_amount": int64(10 << 30), "space_used": used, "status": "active", "language": "en"}, sel, set("type", "id", "name", "login")))
}

func (s *Server) folder(w http.ResponseWriter, r *http.Request) {
	sel, ok := fields(w, r, folderFields)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.folders[r.PathValue("id")]
	if n == nil {
		notFound(w, "folder", r.PathValue("id"))
		return
	}
	writeJSON(w, pick(s.itemJSON(n), sel, miniFolder))
}

func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	sel, ok := fields(w, r, fileFields)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.files[r.PathValue("id")]
	if n == nil {
		notFound(w, "file", r.PathValue("id"))
		return
	}
	m := pick(s.itemJSON(n), sel, miniFile)
	if sel["representations"] {
		m["representations"] = map[string]any{"entries": s.representationsLocked(n, r.Header.Get("X-Rep-Hints"))}
	}
	writeJSON(w, m)
}

// Representations (Box's "Get representations" guide): asked for with
// fields=representations and an X-Rep-Hints header such as
// "[jpg?dimensions=1024x1024][png?dimensions=2048x2048]". Images have jpg
// thumbnails 32x32…2048x2048 and png 1024x1024/2048x2048; documents (PDF,
// Office) have jpg 32x32…1024x1024 and paged png 1024x1024/2048x2048 (asset
// "1.png" is the first page). Each entry's content.url_template ends in
// {+asset_path}; fetching it needs the bearer token; a "pending" status is
// polled through info.url.
var (
	repImage = set("jpg_32x32", "jpg_94x94", "jpg_160x160", "jpg_320x320", "jpg_1024x1024", "jpg_2048x2048", "png_1024x1024", "png_2048x2048")
	repDoc   = set("jpg_32x32", "jpg_94x94", "jpg_160x160", "jpg_320x320", "jpg_1024x1024", "png_1024x1024", "png_2048x2048")
	docExt   = set(".pdf", ".docx", ".doc", ".xlsx", ".xls", ".pptx", ".ppt")
	imgExt   = set(".png", ".jpg", ".jpeg", ".gif")
)

func repsOf(name string) map[string]bool {
	ext := strings.ToLower(path.Ext(name))
	switch {
	case imgExt[ext]:
		return repImage
	case docExt[ext]:
		return repDoc
	}
	return nil
}

// representationsLocked answers the hints for n. Call with s.mu held.
func (s *Server) representationsLocked(n *node, hints string) []map[string]any {
	avail := repsOf(n.Name)
	out := []map[string]any{}
	for _, h := range strings.Split(strings.Trim(hints, "[]"), "][") {
		kind, q, _ := strings.Cut(h, "?")
		dims := strings.TrimPrefix(q, "dimensions=")
		rep := kind + "_" + dims
		if !avail[rep] {
			continue
		}
		if s.noReps[n.ID] {
			break
		}
		state := "success"
		if s.pendingRep[n.ID] > 0 {
			state = "pending"
		}
		paged := kind == "png" && docExt[strings.ToLower(path.Ext(n.Name))]
		base := s.URL + "/2.0/internal_files/" + n.ID + "/representations/" + rep
		out = append(out, map[string]any{"representation": kind,
			"properties": map[string]string{"dimensions": dims, "paged": strconv.FormatBool(paged), "thumb": "false"},
			"info":       map[string]string{"url": base + "/info"},
			"status":     map[string]string{"state": state},
			"content":    map[string]string{"url_template": base + "/content/{+asset_path}"}})
	}
	return out
}

// repInfo is a representation's info URL: its status, which turns to
// success once the pending polls are used up.
func (s *Server) repInfo(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.files[r.PathValue("id")]
	if n == nil || !repsOf(n.Name)[r.PathValue("rep")] {
		notFound(w, "file", r.PathValue("id"))
		return
	}
	state := "success"
	if s.pendingRep[n.ID] > 0 {
		s.pendingRep[n.ID]--
		state = "pending"
	}
	writeJSON(w, map[string]any{"status": map[string]string{"state": state}})
}

// repContent serves a representation's asset as an image of its size.
func (s *Server) repContent(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := s.files[r.PathValue("id")]
	pending := n != nil && s.pendingRep[n.ID] > 0
	s.mu.Unlock()
	rep := r.PathValue("rep")
	if n == nil || !repsOf(n.Name)[rep] {
		notFound(w, "file", r.PathValue("id"))
		return
	}
	kind, dims, _ := strings.Cut(rep, "_")
	paged := kind == "png" && docExt[strings.ToLower(path.Ext(n.Name))]
	asset := r.PathValue("asset")
	if pending || (paged && asset != "1.png") || (!paged && asset != "") {
		boxErr(w, http.StatusNotFound, "not_found", "Not Found", nil)
		return
	}
	wd, _ := strconv.Atoi(strings.Split(dims, "x")[0])
	s.mu.Lock()
	s.stats.Representations++
	s.mu.Unlock()
	img := image.NewNRGBA(image.Rect(0, 0, wd, wd*3/4))
	if kind == "png" {
		w.Header().Set("Content-Type", "image/png")
		_ = png.Encode(w, img)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	_ = jpeg.Encode(w, img, nil)
}

// SetNoRepresentations makes Box offer no representation of id (a type
// it does not render that way): clients fall back to thumbnail.png.
func (s *Server) SetNoRepresentations(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noReps[id] = true
}

// SetRepresentationPending makes id's representations "pending" for the
// next n polls of their info URL.
func (s *Server) SetRepresentationPending(id string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pendingRep[id] = n
}

func (s *Server) marker(folder string, n int) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(folder + "|" + strconv.Itoa(n)))
	return base64.RawURLEncoding.EncodeToString(append([]byte(strconv.Itoa(n)+"."), mac.Sum(nil)[:12]...))
}

func (s *Server) readMarker(folder, m string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil {
		return 0, false
	}
	ns, _, ok := strings.Cut(string(raw), ".")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 0 {
		return 0, false
	}
	return n, hmac.Equal([]byte(s.marker(folder, n)), []byte(m))
}

// folderItems is GET /folders/{id}/items with marker or offset paging.
func (s *Server) folderItems(w http.ResponseWriter, r *http.Request) {
	sel, ok := fields(w, r, allItemKeys)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			paramErr(w, "limit", fmt.Sprintf("Invalid value '%s'. 'limit' must be between 1 and 1000.", v))
			return
		}
		limit = n
	}
	useMarker := q.Get("usemarker") == "true"
	if q.Has("marker") && !useMarker {
		paramErr(w, "marker", "'marker' requires 'usemarker' to be set to true.")
		return
	}
	id := r.PathValue("id")
	start := 0
	switch {
	case useMarker && q.Get("marker") != "":
		n, ok := s.readMarker(id, q.Get("marker"))
		if !ok {
			paramErr(w, "marker", fmt.Sprintf("Invalid value '%s'.", q.Get("marker")))
			return
		}
		start = n
	case !useMarker && q.Get("offset") != "":
		n, err := strconv.Atoi(q.Get("offset"))
		if err != nil || n < 0 {
			paramErr(w, "offset", "Invalid value for 'offset'.")
			return
		}
		start = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.folders[id]
	if f == nil {
		notFound(w, "folder", id)
		return
	}
	end := min(start+limit, len(f.Children))
	start = min(start, end)
	entries := []map[string]any{}
	for _, k := range f.Children[start:end] {
		n := s.lookupKey(k)
		mini := miniFile
		if n.Folder {
			mini = miniFolder
		}
		entries = append(entries, pick(s.itemJSON(n), sel, mini))
	}
	out := map[string]any{"entries": entries, "limit": limit}
	if useMarker {
		var next any
		if end < len(f.Children) {
			next = s.marker(id, end)
		}
		out["next_marker"], out["prev_marker"] = next, nil
	} else {
		out["offset"], out["total_count"] = start, len(f.Children)
		out["order"] = []map[string]string{{"by": "type", "direction": "ASC"}, {"by": "name", "direction": "ASC"}}
	}
	writeJSON(w, out)
}

func (s *Server) content(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := s.files[r.PathValue("id")]
	pending := s.pendingDL[r.PathValue("id")]
	if pending > 0 {
		s.pendingDL[r.PathValue("id")] = pending - 1
	}
	s.mu.Unlock()
	if n == nil {
		notFound(w, "file", r.PathValue("id"))
		return
	}
	if pending > 0 {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	tok := randomToken()
	s.mu.Lock()
	exp := time.Now().Add(15 * time.Minute)
	if s.staleLinks > 0 {
		s.staleLinks--
		exp = time.Now().Add(-time.Second)
	}
	s.downloads[tok] = dl{file: n.ID, expires: exp}
	s.mu.Unlock()
	w.Header().Set("Location", s.DownloadURL+"/d/"+tok+"/download")
	w.WriteHeader(http.StatusFound)
}

// download is the download host (dl.boxcloud.com's part).
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Downloads++
	if r.Header.Get("Authorization") != "" {
		s.stats.AuthorizedDownloads++
		s.mu.Unlock()
		s.t.Errorf("fakebox: the download host received an Authorization header (%s %s)", r.Method, r.URL.Path)
		http.Error(w, "unexpected Authorization header", http.StatusBadRequest)
		return
	}
	d, ok := s.downloads[r.PathValue("token")]
	var n *node
	if ok {
		n = s.files[d.file]
	}
	var data []byte
	var mod time.Time
	var name string
	if n != nil {
		data, mod, name = n.Data, n.Mod, n.Name
	}
	s.mu.Unlock()
	if n == nil || time.Now().After(d.expires) {
		http.Error(w, "link expired", http.StatusForbidden)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	http.ServeContent(w, r, name, mod, bytes.NewReader(data))
}

// thumbnail is GET /files/{id}/thumbnail.{png|jpg}.
func (s *Server) thumbnail(w http.ResponseWriter, r *http.Request) {
	ext, ok := strings.CutPrefix(r.PathValue("thumb"), "thumbnail.")
	if !ok || (ext != "png" && ext != "jpg") {
		boxErr(w, http.StatusNotFound, "not_found", "Not Found", nil)
		return
	}
	q := r.URL.Query()
	size := 0
	for _, k := range []string{"min_width", "min_height", "max_width", "max_height"} {
		if v := q.Get(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				paramErr(w, k, fmt.Sprintf("Invalid value '%s'.", v))
				return
			}
			size = max(size, n)
		}
	}
	if size == 0 {
		size = 32
	}
	id := r.PathValue("id")
	s.mu.Lock()
	n := s.files[id]
	pending := s.pendingTh[id]
	if pending > 0 {
		s.pendingTh[id] = pending - 1
		s.stats.ThumbnailPending++
	}
	s.mu.Unlock()
	if n == nil {
		notFound(w, "file", id)
		return
	}
	imageExt := map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true}[strings.ToLower(path.Ext(n.Name))]
	switch {
	case !imageExt:
		// No thumbnail can be made: a generic placeholder.
		w.Header().Set("Location", s.URL+"/static/placeholder.png")
		w.WriteHeader(http.StatusFound)
		return
	case pending > 0:
		w.Header().Set("Location", s.URL+"/static/generating.png")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	img := image.NewNRGBA(image.Rect(0, 0, size, size*3/4))
	for y := range img.Bounds().Dy() {
		for x := range size {
			img.Set(x, y, color.NRGBA{R: uint8(x), G: 90, B: uint8(y), A: 255})
		}
	}
	_ = png.Encode(w, img)
}

// search is GET /search (offset paging).
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	sel, ok := fields(w, r, allItemKeys)
	if !ok {
		return
	}
	q := r.URL.Query()
	query := q.Get("query")
	if query == "" {
		boxErr(w, http.StatusBadRequest, "bad_request", "Bad Request", map[string]any{"errors": []map[string]string{
			{"reason": "missing_parameter", "name": "to_search", "message": "'to_search' is required"}}})
		return
	}
	typ := q.Get("type")
	if typ != "" && typ != "file" && typ != "folder" && typ != "web_link" {
		paramErr(w, "type", "Invalid value '"+typ+"'.")
		return
	}
	limit, offset := 30, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			paramErr(w, "limit", "Invalid value '"+v+"'.")
			return
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10000 {
			paramErr(w, "offset", "Invalid value '"+v+"'.")
			return
		}
		offset = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []*node
	ancestors := strings.Split(cmpOr(q.Get("ancestor_folder_ids"), "0"), ",")
	for _, a := range ancestors {
		f := s.folders[a]
		if f == nil {
			notFound(w, "ancestor_folder_ids", a)
			return
		}
		s.walk(f, func(n *node) {
			match := strings.Contains(strings.ToLower(n.Name), strings.ToLower(query))
			if match && (typ == "" || (typ == "file") == !n.Folder) && !slices.Contains(hits, n) {
				hits = append(hits, n)
			}
		})
	}
	end := min(offset+limit, len(hits))
	start := min(offset, end)
	entries := []map[string]any{}
	for _, n := range hits[start:end] {
		mini := miniFile
		if n.Folder {
			mini = miniFolder
		}
		entries = append(entries, pick(s.itemJSON(n), sel, mini))
	}
	writeJSON(w, map[string]any{"type": "search_results_items", "entries": entries, "limit": limit,
		"offset": offset, "total_count": len(hits)})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ---- OAuth 2.0 -----------------------------------------------------------

var consentPage = template.Must(template.New("consent").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Grant access to Box</title></head><body>
<h1>{{.Client}} would like to access your Box account</h1>
<form method="post" id="consent">
<input type="hidden" name="request" value="{{.Request}}">
<button type="submit" name="consent_accept" value="yes" id="grant">Grant access to Box</button>
<button type="submit" name="consent_accept" value="no" id="deny">Deny access</button>
</form>
{{if .Auto}}<script>document.getElementById({{if .Deny}}"deny"{{else}}"grant"{{end}}).click();</script>{{end}}
</body></html>`))

func loopbackRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	h := u.Hostname()
	return h == "127.0.0.1" || h == "localhost"
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.ClientID {
		http.Error(w, "invalid_client: The client credentials are invalid", http.StatusBadRequest)
		return
	}
	if !loopbackRedirect(q.Get("redirect_uri")) {
		http.Error(w, "redirect_uri_mismatch: The redirect URI does not match the one configured for the app", http.StatusBadRequest)
		return
	}
	if q.Get("response_type") != "code" {
		u, _ := url.Parse(q.Get("redirect_uri"))
		u.RawQuery = url.Values{"error": {"unsupported_response_type"}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
		return
	}
	id := randomToken()
	s.mu.Lock()
	s.authReqs[id] = q
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentPage.Execute(w, map[string]any{"Client": q.Get("client_id"), "Request": id,
		"Auto": s.AutoConsent.Load(), "Deny": s.Deny.Load()})
}

func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	q, ok := s.authReqs[r.PostForm.Get("request")]
	delete(s.authReqs, r.PostForm.Get("request"))
	s.mu.Unlock()
	if !ok {
		http.Error(w, "unknown or used authorization request", http.StatusBadRequest)
		return
	}
	u, _ := url.Parse(q.Get("redirect_uri"))
	v := url.Values{}
	if r.PostForm.Get("consent_accept") != "yes" {
		v.Set("error", "access_denied")
		v.Set("error_description", "The user denied access to your application")
	} else {
		// Box's authorization codes live 30 seconds.
		v.Set("code", s.tokens.NewCode(providertest.Grant{ClientID: s.ClientID, RedirectURI: q.Get("redirect_uri"),
			Offline: true, Expires: time.Now().Add(30 * time.Second)}))
	}
	if st := q.Get("state"); st != "" {
		v.Set("state", st)
	}
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func oauthErr(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// clientOK checks the app's credentials in the form body (Box has no
// public clients: the secret is required).
func (s *Server) clientOK(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		oauthErr(w, http.StatusBadRequest, "invalid_request", "Invalid grant_type parameter or parameter missing")
		return false
	}
	f := r.PostForm
	if f.Get("client_id") != s.ClientID || f.Get("client_secret") == "" ||
		!hmac.Equal([]byte(f.Get("client_secret")), []byte(s.ClientSecret)) {
		s.mu.Lock()
		s.stats.SecretRejected++
		s.mu.Unlock()
		oauthErr(w, http.StatusBadRequest, "invalid_client", "The client credentials are invalid")
		return false
	}
	return true
}

// token is Box's token endpoint: the shared strict token endpoint with
// Box's rules (tokenPolicy).
func (s *Server) token(w http.ResponseWriter, r *http.Request) { s.tokens.ServeHTTP(w, r) }

// tokenPolicy: Box has no public clients (the secret is required), its
// codes live 30 seconds, its refresh tokens are single-use (each refresh
// rotates) and live 60 days, and redirect_uri may be left out of the code
// exchange.
func (s *Server) tokenPolicy() providertest.Policy {
	return providertest.Policy{
		Client: func(id, secret string, _ bool) (providertest.Failure, bool) {
			if id != s.ClientID || secret == "" || !hmac.Equal([]byte(secret), []byte(s.ClientSecret)) {
				return providertest.BadClientSecret, false
			}
			return 0, true
		},
		RotateRefresh: true, RedirectOptional: true,
		AccessLifetime: s.TokenLifetime, RefreshLifetime: 60 * 24 * time.Hour,
		Fail: func(w http.ResponseWriter, f providertest.Failure) {
			switch f {
			case providertest.MissingClient, providertest.UnknownClient, providertest.BadClientSecret:
				oauthErr(w, http.StatusBadRequest, "invalid_client", "The client credentials are invalid")
			case providertest.MissingCode, providertest.BadCode, providertest.RedirectMismatch,
				providertest.MissingVerifier, providertest.BadVerifier, providertest.UnneededVerifier:
				oauthErr(w, http.StatusBadRequest, "invalid_grant", "Auth code doesn't exist or is invalid for the client")
			case providertest.BadRefreshToken, providertest.SpentRefreshToken:
				oauthErr(w, http.StatusBadRequest, "invalid_grant", "Invalid refresh token")
			default:
				oauthErr(w, http.StatusBadRequest, "invalid_request", "Invalid grant_type parameter or parameter missing")
			}
		},
		Answer: func(_ providertest.Grant, out map[string]any) {
			delete(out, "scope")
			out["token_type"] = "bearer"
			out["restricted_to"] = []any{}
		},
	}
}

// revoke ends the grant a token belongs to: its refresh and access tokens.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	if !s.clientOK(w, r) {
		return
	}
	s.tokens.Revoke(r.PostForm.Get("token"))
	w.WriteHeader(http.StatusOK)
}
