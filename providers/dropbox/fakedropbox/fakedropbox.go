// Package fakedropbox is a fake Dropbox (API v2) and Dropbox OAuth 2 server
// for tests, written from Dropbox's HTTP reference. It checks what it
// receives the way Dropbox does — a bearer token its own token endpoint
// issued (expired ones answer 401 expired_access_token), scopes
// (401 missing_scope), RPC bodies as JSON of the documented argument
// structs (unknown fields and malformed JSON are a plain-text 400),
// Dropbox-API-Arg headers that must be ASCII JSON, path patterns, the
// Content-Type each endpoint style allows, PKCE S256 and exact redirect
// URIs at the OAuth endpoints — and answers with the documented JSON
// shapes, cursors and error unions (409 path/not_found, path/not_folder,
// path/not_file, 429 too_many_requests with Retry-After).
//
// One server on 127.0.0.1 plays www.dropbox.com (/oauth2/authorize),
// api.dropboxapi.com (/oauth2/token, RPC endpoints) and
// content.dropboxapi.com (files/download, files/get_thumbnail_v2): point
// dropbox's Settings.APIBase and Settings.AuthBase at URL.
package fakedropbox

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/ferry-app/ferry/providers/providertest"
)

// Scopes the fake grants.
const (
	ScopeMetadataRead = "files.metadata.read"
	ScopeContentRead  = "files.content.read"
	ScopeAccountRead  = "account_info.read"
)

// Options configure New.
type Options struct {
	// PageSize caps entries per list_folder / search_v2 page whatever limit
	// the client asks for; 0 means 2000.
	PageSize int
	// TokenLifetime is the access token lifetime; 0 means 4 hours.
	TokenLifetime time.Duration
}

// App is a registered Dropbox app.
type App struct {
	Key, Secret  string
	RedirectURIs []string // matched exactly
}

// Server is a running fake. All methods are safe for concurrent use.
type Server struct {
	// URL is the server's root, http://127.0.0.1:<port>.
	URL string
	// Faults wraps every request: the conformance suite's 429 bursts (in
	// Dropbox's too_many_requests shape) and hangs.
	Faults *providertest.FaultInjector
	// AutoApprove makes the consent page submit itself with an inline
	// script; Deny presses "Cancel" instead.
	AutoApprove, Deny bool

	srv      *httptest.Server
	pageSize int
	lifetime time.Duration
	secret   []byte

	mu       sync.Mutex
	nodes    map[string]*node // by ID; the root has ID ""
	apps     map[string]*App
	tokens   *providertest.Tokens
	account  Account
	requests []string
	// teamRoot is the team space's root namespace when EnableTeamSpace
	// was called: it holds the member's home folder (listed by homeAlias)
	// and the team folders.
	teamRoot  *node
	homeAlias string
	teamNS    string // the team root's namespace ID (TeamNamespaceID unless moved)
}

// Account is the signed-in account.
type Account struct {
	AccountID, DisplayName, Email string
}

type node struct {
	id, name, parent string
	dir              bool
	content          []byte
	rev              string
	modified         time.Time
	children         []string // creation order
	team             bool     // lives in the team space, outside the member's home namespace
	paper            bool     // a Paper doc: not downloadable, exported with files/export
}

// New starts a fake with an empty Dropbox and one app ("ferry-dropbox-app",
// secret "ferry-dropbox-secret", no redirect URIs: add them with
// RegisterApp). Close it when done.
func New(opts Options) *Server {
	s := &Server{
		pageSize: opts.PageSize, lifetime: opts.TokenLifetime, secret: randomBytes(32),
		nodes:   map[string]*node{"": {id: "", dir: true}},
		apps:    map[string]*App{"ferry-dropbox-app": {Key: "ferry-dropbox-app", Secret: "ferry-dropbox-secret"}},
		account: Account{AccountID: "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", DisplayName: "Franz Ferdinand", Email: "franz@example.com"},
	}
	if s.pageSize <= 0 {
		s.pageSize = 2000
	}
	if s.lifetime <= 0 {
		s.lifetime = 4 * time.Hour
	}
	s.tokens = providertest.NewTokens(s.tokenPolicy())
	s.Faults = providertest.NewFaultInjector(s.routes())
	s.Faults.RateLimitResponse = func(w http.ResponseWriter, _ *http.Request, retryAfter string) {
		w.Header().Set("Retry-After", retryAfter)
		var n int
		fmt.Sscanf(retryAfter, "%d", &n)
		writeJSONStatus(w, http.StatusTooManyRequests, map[string]any{
			"error_summary": "too_many_requests/..",
			"error":         map[string]any{"reason": map[string]any{".tag": "too_many_requests"}, "retry_after": n},
		})
	}
	s.srv = httptest.NewServer(s.Faults)
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// RegisterApp adds or replaces an app.
func (s *Server) RegisterApp(a App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[a.Key] = &a
}

// SetAccount replaces the signed-in account.
func (s *Server) SetAccount(a Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account = a
}

// Requests returns "METHOD /path" of every API request so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// --- names and seeding ---

// Rejects reports whether Dropbox refuses name for a file or folder: empty,
// "." and "..", "/", "\", NUL, DEL, a trailing space, or longer than 255
// characters.
func Rejects(name string) bool {
	return name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00\x7f") ||
		strings.HasSuffix(name, " ") || len([]rune(name)) > 255
}

// ErrConflict: an entry with that name (compared case-insensitively, as
// Dropbox does) exists already.
var ErrConflict = errors.New("fakedropbox: path/conflict")

// AddFolder creates a folder in parentID ("" for the root) and returns its ID.
func (s *Server) AddFolder(parentID, name string) (string, error) {
	return s.add(parentID, &node{name: name, dir: true})
}

// AddFile creates a file and returns its ID.
func (s *Server) AddFile(parentID, name string, data []byte) (string, error) {
	return s.add(parentID, &node{name: name, content: bytes.Clone(data)})
}

// AddPaperDoc creates a Paper doc (name ends in .paper) whose markdown
// export is markdown. As Dropbox documents for Paper-as-files: its metadata
// has is_downloadable false and export_info {export_as: "markdown"};
// files/download refuses it and files/export serves it.
func (s *Server) AddPaperDoc(parentID, name, markdown string) (string, error) {
	return s.add(parentID, &node{name: name, content: []byte(markdown), paper: true})
}

// EnsureFolder returns the ID of the folder name in parentID, creating it
// when missing.
func (s *Server) EnsureFolder(parentID, name string) (string, error) {
	s.mu.Lock()
	if p := s.nodes[parentID]; p != nil {
		for _, c := range p.children {
			if n := s.nodes[c]; n != nil && n.dir && strings.EqualFold(n.name, name) {
				s.mu.Unlock()
				return n.id, nil
			}
		}
	}
	s.mu.Unlock()
	return s.AddFolder(parentID, name)
}

// Namespace IDs of the account's root_info.
const (
	HomeNamespaceID = "3235641"
	TeamNamespaceID = "7709834625"
)

// teamRootKey is the team root's key in nodes (no API ID names it).
const teamRootKey = "\x00team-root"

// EnableTeamSpace makes the account a member of a Dropbox team with a team
// space: get_current_account reports a root_info of .tag team whose
// root_namespace_id differs from home_namespace_id, the team root holds the
// member's folder (their home namespace, named after them) and team
// folders, and those are seen only with the Dropbox-API-Path-Root header
// naming the root namespace ("Namespace Guide", "Path Root Header Modes").
// It creates one team folder and returns its ID.
func (s *Server) EnableTeamSpace(teamFolder string) (string, error) {
	s.mu.Lock()
	tr := &node{id: teamRootKey, dir: true}
	s.nodes[teamRootKey] = tr
	s.teamRoot = tr
	s.teamNS = TeamNamespaceID
	s.homeAlias = "id:" + base64.RawURLEncoding.EncodeToString(randomBytes(16))[:22]
	s.nodes[s.homeAlias] = s.nodes[""]
	tr.children = []string{s.homeAlias}
	s.mu.Unlock()
	return s.AddFolder(teamRootKey, teamFolder)
}

// MoveTeamRoot gives the team space a new root namespace ID, as when a
// team moves to a new team space: a Dropbox-API-Path-Root naming the old
// one is answered 422 invalid_root with the new root_info.
func (s *Server) MoveTeamRoot(namespaceID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.teamNS = namespaceID
}

// Delete removes an entry (and what is below it).
func (s *Server) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodes[id]
	if n == nil || id == "" {
		return
	}
	p := s.nodes[n.parent]
	for i, c := range p.children {
		if c == id {
			p.children = append(p.children[:i], p.children[i+1:]...)
			break
		}
	}
	delete(s.nodes, id)
}

func (s *Server) add(parentID string, n *node) (string, error) {
	if Rejects(n.name) {
		return "", fmt.Errorf("fakedropbox: Dropbox does not allow the name %q: path/malformed_path", n.name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.nodes[parentID]
	if p == nil || !p.dir {
		return "", fmt.Errorf("fakedropbox: parent %q is not a folder", parentID)
	}
	for _, c := range p.children {
		if strings.EqualFold(s.nodes[c].name, n.name) {
			return "", ErrConflict
		}
	}
	n.id = "id:" + base64.RawURLEncoding.EncodeToString(randomBytes(16))[:22]
	n.parent = parentID
	n.team = p.team || p == s.teamRoot
	n.modified = time.Now().UTC().Truncate(time.Second)
	if !n.dir {
		n.rev = hex.EncodeToString(randomBytes(7))
	}
	s.nodes[n.id] = n
	p.children = append(p.children, n.id)
	return n.id, nil
}

// pathOf is the entry's path as stored ("/Photos/a.jpg").
func (s *Server) pathOf(n *node) string {
	if n.id == "" {
		return ""
	}
	var parts []string
	for cur := n; cur != nil && cur.id != "" && cur != s.teamRoot; cur = s.nodes[cur.parent] {
		parts = append([]string{cur.name}, parts...)
	}
	return "/" + strings.Join(parts, "/")
}

// ContentHash is Dropbox's content_hash of data (written independently of
// the provider's implementation, straight from the documented algorithm).
func ContentHash(data []byte) string {
	var blocks []byte
	for off := 0; off < len(data); off += 4 << 20 {
		sum := sha256.Sum256(data[off:min(off+4<<20, len(data))])
		blocks = append(blocks, sum[:]...)
	}
	sum := sha256.Sum256(blocks)
	return hex.EncodeToString(sum[:])
}

// metadata is n's Metadata JSON.
func (s *Server) metadata(n *node) map[string]any {
	p := s.pathOf(n)
	m := map[string]any{"name": n.name, "id": n.id, "path_lower": strings.ToLower(p), "path_display": p}
	if n.dir {
		m[".tag"] = "folder"
		return m
	}
	m[".tag"] = "file"
	ts := n.modified.Format("2006-01-02T15:04:05Z")
	m["client_modified"], m["server_modified"] = ts, ts
	m["rev"] = n.rev
	m["size"] = len(n.content)
	m["is_downloadable"] = !n.paper
	m["content_hash"] = ContentHash(n.content)
	if n.paper {
		m["export_info"] = map[string]any{"export_as": "markdown", "export_options": []string{"markdown", "html", "plain_text"}}
	}
	return m
}

// --- tokens ---

// IssueToken returns an access and a refresh token for "ferry-dropbox-app"
// with the given scopes (default: the three read scopes Ferry asks for).
func (s *Server) IssueToken(scopes ...string) (access, refresh string) {
	if len(scopes) == 0 {
		scopes = []string{ScopeMetadataRead, ScopeContentRead, ScopeAccountRead}
	}
	return s.tokens.Issue(providertest.Grant{ClientID: "ferry-dropbox-app", Scope: strings.Join(scopes, " "), Offline: true})
}

// ExpireAccessTokens makes every access token issued so far expired.
func (s *Server) ExpireAccessTokens() { s.tokens.ExpireAccess() }

// Revoked reports whether a refresh token has been revoked.
func (s *Server) Revoked(refreshToken string) bool { return s.tokens.Revoked(refreshToken) }

// --- answers ---

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// badInput is Dropbox's plain-text 400.
func badInput(w http.ResponseWriter, endpoint, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "Error in call to API function %q: %s", endpoint, msg)
}

// endpointError is a 409 with an error union built from tags:
// ("path", "not_found") → {".tag":"path","path":{".tag":"not_found"}}.
func endpointError(w http.ResponseWriter, tags ...string) {
	var union map[string]any
	for i := len(tags) - 1; i >= 0; i-- {
		u := map[string]any{".tag": tags[i]}
		if union != nil {
			u[tags[i]] = union
		}
		union = u
	}
	writeJSONStatus(w, http.StatusConflict, map[string]any{
		"error_summary": strings.Join(tags, "/") + "/..", "error": union,
	})
}

func authError(w http.ResponseWriter, tag string, extra map[string]any) {
	e := map[string]any{".tag": tag}
	for k, v := range extra {
		e[k] = v
	}
	writeJSONStatus(w, http.StatusUnauthorized, map[string]any{"error_summary": tag + "/..", "error": e})
}

// escapeHeaderJSON escapes DEL and non-ASCII as \uXXXX, as Dropbox does
// for the Dropbox-API-Result header.
func escapeHeaderJSON(b []byte) string {
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
	return sb.String()
}
