// Package fakegraph is an in-process stand-in for Microsoft Graph's OneDrive
// API and the Microsoft identity platform's v2.0 authorization and token
// endpoints, written from their public references, for tests of Ferry's
// onedrive provider and of anything that signs in to it.
//
// It checks what it receives the way the service does: a bearer token it
// issued and that has not expired on every Graph call, $select names known
// to the resource (an unknown one is Graph's 400 BadRequest), $top and
// $skiptoken, PKCE S256 and the redirect URI at the token endpoint, no
// client secret from a public client, single-use codes and refresh tokens
// (each refresh rotates). It answers with Graph's JSON shapes, its
// @odata.nextLink paging and its error bodies. /content and thumbnail
// content answer 302 to a second listener (the "download host") that serves
// Range requests and fails the test if it ever sees an Authorization header.
package fakegraph

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
	"unicode"
	"unicode/utf8"

	"github.com/ferry-app/ferry/providers/onedrive"
	"github.com/ferry-app/ferry/providers/providertest"
)

// Server is a running fake. Its exported fields are fixed once Start returns
// unless they are atomics.
type Server struct {
	// URL is the Graph API base, http://127.0.0.1:PORT/v1.0 (Settings.APIBase).
	URL string
	// AuthBase is the identity platform root (Settings.AuthBase): the
	// endpoints are AuthBase/{tenant}/oauth2/v2.0/authorize and /token.
	AuthBase string
	// DownloadURL is the download host's root (another port).
	DownloadURL string
	// ClientID is the registered public client.
	ClientID string
	// Faults wraps every listener: the conformance suite's 429s and hangs.
	Faults *providertest.FaultInjector

	// AutoConsent makes the consent page submit itself (default true);
	// Deny makes it press "No" instead.
	AutoConsent, Deny atomic.Bool
	// TokenLifetime is the access token lifetime; default one hour.
	TokenLifetime time.Duration
	// CanonicalNextLinks makes a children page's @odata.nextLink name the
	// folder by its canonical path (/drives/{drive-id}/items/{item-id}/children)
	// whatever path the request used, as Graph does: its paging reference
	// says to treat the nextLink as an opaque URL and request it as is.
	CanonicalNextLinks atomic.Bool

	t         testing.TB
	tokens    *providertest.Tokens
	driveType string
	key       []byte // signs skip tokens

	mu         sync.Mutex
	own        *fdrive
	drives     map[string]*fdrive
	items      map[string]*item // by item ID (IDs embed the drive ID)
	next       int
	shared     []string // item IDs shared with the signed-in person
	user       fuser
	authReqs   map[string]url.Values
	sites      []*fsite // SharePoint sites; followed ones are in /me/followedSites
	downloads  map[string]dlTarget
	throttleN  int
	staleLinks int // the next pre-authenticated URLs handed out are already expired
	throttleSt int
	throttleRA time.Duration
	stats      Stats
	tenants    map[string]bool
}

// Stats count what the fake saw.
type Stats struct {
	CodeExchanges, Refreshes, RefreshRejected int
	// AuthorizedDownloads counts download-host requests that carried an
	// Authorization header (each also fails the test).
	AuthorizedDownloads int
	Downloads           int
}

type fuser struct{ ID, DisplayName, Mail, UPN string }

// fsite is a SharePoint site with its document libraries.
type fsite struct {
	ID, Name string
	Drives   []string
	Followed bool
}

type fdrive struct {
	ID, Name, Type, Owner string
	Root                  string
}

type item struct {
	ID, Drive, Name, Parent string
	Dir                     bool
	Data                    []byte
	MIME                    string
	Mod                     time.Time
	Version                 int
	Children                []string
}

type dlTarget struct {
	item    string
	thumb   [2]int // width, height for thumbnails
	expires time.Time
}

// Options configure Start.
type Options struct {
	// ClientID of the registered public client; default "ferry-onedrive-test".
	ClientID string
	// DriveType is "personal" (default: sha1Hash, sha256Hash and
	// quickXorHash) or "business" (quickXorHash only).
	DriveType string
	// Tenant is a tenant ID accepted besides common, organizations and
	// consumers.
	Tenant string
}

// Start runs a fake until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{
		t: t, ClientID: opts.ClientID, driveType: opts.DriveType,
		drives: map[string]*fdrive{}, items: map[string]*item{},
		authReqs: map[string]url.Values{}, downloads: map[string]dlTarget{},
		tenants: map[string]bool{"common": true, "organizations": true, "consumers": true},
		user:    fuser{ID: "48d31887-5fad-4d73-a9f5-3c356e68a038", DisplayName: "Megan Bowen", Mail: "MeganB@contoso.example", UPN: "MeganB@contoso.example"},
	}
	if s.ClientID == "" {
		s.ClientID = "ferry-onedrive-test"
	}
	if s.driveType == "" {
		s.driveType = "personal"
	}
	if opts.Tenant != "" {
		s.tenants[opts.Tenant] = true
	}
	s.key = randomBytes(32)
	s.tokens = providertest.NewTokens(s.tokenPolicy())
	s.AutoConsent.Store(true)
	s.own = s.newDrive("OneDrive", s.driveType, s.user.DisplayName)

	api, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dl, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.AuthBase = "http://" + api.Addr().String()
	s.URL = s.AuthBase + "/v1.0"
	s.DownloadURL = "http://" + dl.Addr().String()

	apiMux := s.routes()
	dlMux := http.NewServeMux()
	dlMux.HandleFunc("GET /dl/{token}", s.download)
	dlHost := dl.Addr().String()
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == dlHost {
			dlMux.ServeHTTP(w, r)
			return
		}
		apiMux.ServeHTTP(w, r)
	})
	s.Faults = providertest.NewFaultInjector(root)
	s.Faults.RateLimitResponse = func(w http.ResponseWriter, r *http.Request, retryAfter string) {
		w.Header().Set("Retry-After", retryAfter)
		graphErr(w, http.StatusTooManyRequests, "activityLimitReached", "The app or user has been throttled.")
	}
	for _, l := range []net.Listener{api, dl} {
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

func (s *Server) newDrive(name, typ, owner string) *fdrive {
	id := hex.EncodeToString(randomBytes(8))
	d := &fdrive{ID: id, Name: name, Type: typ, Owner: owner}
	s.drives[id] = d
	root := s.newItem(d, "", "root", true, nil)
	d.Root = root.ID
	return d
}

func (s *Server) newItem(d *fdrive, parent, name string, dir bool, data []byte) *item {
	s.next++
	it := &item{ID: strings.ToUpper(d.ID) + "!" + strconv.Itoa(100+s.next), Drive: d.ID, Name: name, Parent: parent,
		Dir: dir, Data: data, Mod: time.Now().UTC().Truncate(time.Second), Version: 1}
	if !dir {
		it.MIME = mime.TypeByExtension(path.Ext(name))
		if it.MIME == "" {
			it.MIME = "application/octet-stream"
		}
		if i := strings.Index(it.MIME, ";"); i >= 0 { // Graph's mimeType has no parameters
			it.MIME = it.MIME[:i]
		}
	}
	s.items[it.ID] = it
	if p := s.items[parent]; p != nil {
		p.Children = append(p.Children, it.ID)
	}
	return it
}

// ---- seeding -------------------------------------------------------------

// ErrInvalidName is returned for names OneDrive does not store.
var ErrInvalidName = fmt.Errorf("fakegraph: invalid name")

// Rejects reports whether OneDrive refuses name ("Restrictions and
// limitations in OneDrive and SharePoint"): the characters " * : < > ? / \ |
// and control characters, leading or trailing spaces, a trailing dot, the
// names . and .., reserved device names, names starting with ~$ or holding
// _vti_, and names over 255 characters.
func Rejects(name string) bool {
	if name == "" || name == "." || name == ".." || utf8.RuneCountInString(name) > 255 || !utf8.ValidString(name) {
		return true
	}
	if strings.ContainsAny(name, "\"*:<>?/\\|") || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return true
	}
	if strings.TrimSpace(name) != name || strings.HasSuffix(name, ".") || strings.HasPrefix(name, "~$") || strings.Contains(name, "_vti_") {
		return true
	}
	base := strings.ToUpper(strings.TrimSuffix(name, path.Ext(name)))
	switch base {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	if strings.EqualFold(name, ".lock") || strings.EqualFold(name, "desktop.ini") {
		return true
	}
	if len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) && base[3] >= '0' && base[3] <= '9' {
		return true
	}
	return false
}

// RootID is the ID of the signed-in person's drive root.
func (s *Server) RootID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.own.Root
}

// OwnDriveID is the ID of the signed-in person's drive.
func (s *Server) OwnDriveID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.own.ID
}

// MissingID is a well-formed item ID that names nothing.
func (s *Server) MissingID() string { return strings.ToUpper(s.OwnDriveID()) + "!999999" }

// Seed creates a file holding data at names (folders, then the file) under
// the folder parentID, creating missing folders. It fails, creating
// nothing, when a name is one OneDrive rejects.
func (s *Server) Seed(parentID string, names []string, data []byte) (string, error) {
	for _, n := range names {
		if Rejects(n) {
			return "", fmt.Errorf("%w: %q", ErrInvalidName, n)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.items[parentID]
	if cur == nil || !cur.Dir {
		return "", fmt.Errorf("fakegraph: no folder %q", parentID)
	}
	d := s.drives[cur.Drive]
	for i, n := range names {
		last := i == len(names)-1
		var found *item
		for _, c := range cur.Children {
			if it := s.items[c]; strings.EqualFold(it.Name, n) { // OneDrive names are case-insensitive
				found = it
			}
		}
		switch {
		case found != nil && last && !found.Dir:
			found.Data, found.Version, found.Mod = data, found.Version+1, time.Now().UTC().Truncate(time.Second)
			return found.ID, nil
		case found != nil && !last && found.Dir:
			cur = found
		case found != nil:
			return "", fmt.Errorf("fakegraph: %q exists with another type", n)
		case last:
			return s.newItem(d, cur.ID, n, false, data).ID, nil
		default:
			cur = s.newItem(d, cur.ID, n, true, nil)
		}
	}
	return cur.ID, nil
}

// Mkdir creates (or finds) a folder under parentID.
func (s *Server) Mkdir(parentID string, names ...string) (string, error) {
	for _, n := range names {
		if Rejects(n) {
			return "", fmt.Errorf("%w: %q", ErrInvalidName, n)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.items[parentID]
	if cur == nil || !cur.Dir {
		return "", fmt.Errorf("fakegraph: no folder %q", parentID)
	}
	for _, n := range names {
		var found *item
		for _, c := range cur.Children {
			if it := s.items[c]; strings.EqualFold(it.Name, n) {
				found = it
			}
		}
		if found == nil {
			found = s.newItem(s.drives[cur.Drive], cur.ID, n, true, nil)
		}
		cur = found
	}
	return cur.ID, nil
}

// AddDrive creates another drive of the account (/me/drives lists it) and
// returns its ID and its root's ID.
func (s *Server) AddDrive(name, driveType string) (driveID, rootID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.newDrive(name, driveType, s.user.DisplayName)
	return d.ID, d.Root
}

// AddOtherPersonsDrive creates a drive the signed-in person does not own
// (not in /me/drives); its items are readable only once shared.
func (s *Server) AddOtherPersonsDrive(owner string) (driveID, rootID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.newDrive("OneDrive", s.driveType, owner)
	d.Name = "" // marks "not the person's own"
	return d.ID, d.Root
}

// AddSite creates a SharePoint site with one document library ("Documents")
// and returns the library's drive ID and root ID. A followed site is listed
// by /me/followedSites.
func (s *Server) AddSite(name string, followed bool) (driveID, rootID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.newDrive("Documents", "documentLibrary", name)
	site := &fsite{ID: "contoso.sharepoint.example," + strings.ToLower(hex.EncodeToString(randomBytes(8))) + "," + strings.ToLower(hex.EncodeToString(randomBytes(8))),
		Name: name, Drives: []string{d.ID}, Followed: followed}
	s.sites = append(s.sites, site)
	return d.ID, d.Root
}

// followedSites is GET /me/followedSites (user-list-followedsites): the
// sites the person follows; Sites.Read.All at least.
func (s *Server) followedSites(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.granted(r, sitesScopes) {
		graphErr(w, http.StatusForbidden, "accessDenied", "Either scp or roles claim need to be present in the token.")
		return
	}
	out := []map[string]any{}
	for _, st := range s.sites {
		if st.Followed {
			out = append(out, map[string]any{"id": st.ID, "name": st.Name, "displayName": st.Name,
				"webUrl": "https://contoso.sharepoint.example/sites/" + url.PathEscape(st.Name)})
		}
	}
	writeJSON(w, map[string]any{"value": out})
}

// searchSites is GET /sites?search={query} (site-search): sites whose name
// contains the query, followed or not; Sites.Read.All at least.
func (s *Server) searchSites(w http.ResponseWriter, r *http.Request) {
	q := strings.ToLower(r.URL.Query().Get("search"))
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.granted(r, sitesScopes) {
		graphErr(w, http.StatusForbidden, "accessDenied", "Either scp or roles claim need to be present in the token.")
		return
	}
	out := []map[string]any{}
	for _, st := range s.sites {
		if q != "" && strings.Contains(strings.ToLower(st.Name), q) {
			out = append(out, map[string]any{"id": st.ID, "name": st.Name, "displayName": st.Name})
		}
	}
	writeJSON(w, map[string]any{"value": out})
}

// siteDrives is GET /sites/{site-id}/drives (drive-list): the site's
// document libraries; Files.Read.All or Sites.Read.All.
func (s *Server) siteDrives(w http.ResponseWriter, r *http.Request) {
	sel, ok := selectProps(w, r, driveProps, "drive")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.granted(r, allScopes) {
		graphErr(w, http.StatusForbidden, "accessDenied", "Access denied")
		return
	}
	for _, st := range s.sites {
		if st.ID == r.PathValue("site") {
			out := []map[string]any{}
			for _, id := range st.Drives {
				out = append(out, pick(s.driveJSON(s.drives[id]), sel))
			}
			writeJSON(w, map[string]any{"value": out})
			return
		}
	}
	graphErr(w, http.StatusNotFound, "itemNotFound", "Requested site could not be found")
}

// ShareWithMe lists an item (of another person's drive) under
// /me/drive/sharedWithMe and makes it and its descendants readable.
func (s *Server) ShareWithMe(itemID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shared = append(s.shared, itemID)
}

// ExpireNextDownloadLinks makes the next n pre-authenticated URLs the API
// redirects to already expired: "the URL is only valid for a short period"
// (driveitem-get-content), and the download host answers 401.
func (s *Server) ExpireNextDownloadLinks(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.staleLinks = n
}

// Throttle makes the next n Graph API calls answer status (429 or 503)
// with Retry-After and Graph's throttling error body.
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
	st.CodeExchanges, st.Refreshes, st.RefreshRejected = ts.CodeExchanges, ts.Refreshes, ts.RefreshRejected
	return st
}

// IssueTokens signs the person in without a browser: a fresh access and
// refresh token pair, as the token endpoint would answer.
func (s *Server) IssueTokens() (access, refresh string) {
	return s.tokens.Issue(providertest.Grant{ClientID: s.ClientID, Scope: strings.Join(onedrive.Scopes, " "), Offline: true})
}

// ExpireAccessTokens makes every access token issued so far invalid, as if
// their hour had passed.
func (s *Server) ExpireAccessTokens() { s.tokens.ExpireAccess() }

// ValidRefreshTokens are the refresh tokens the fake would still redeem.
func (s *Server) ValidRefreshTokens() []string { return s.tokens.ValidRefresh() }

// UserID is the signed-in person's Graph user ID.
func (s *Server) UserID() string { return s.user.ID }

// ---- HTTP ----------------------------------------------------------------

func (s *Server) routes() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", s.authorize)
	m.HandleFunc("POST /{tenant}/oauth2/v2.0/authorize", s.consent)
	m.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.token)

	api := http.NewServeMux()
	api.HandleFunc("GET /v1.0/me", s.me)
	api.HandleFunc("GET /v1.0/me/drive", s.meDrive)
	api.HandleFunc("GET /v1.0/me/drives", s.meDrives)
	api.HandleFunc("GET /v1.0/me/drive/sharedWithMe", s.sharedWithMe)
	api.HandleFunc("GET /v1.0/me/followedSites", s.followedSites)
	api.HandleFunc("GET /v1.0/sites/{site}/drives", s.siteDrives)
	api.HandleFunc("GET /v1.0/sites", s.searchSites)
	api.HandleFunc("GET /v1.0/me/drive/root", s.itemRoute("", "root", ""))
	api.HandleFunc("GET /v1.0/me/drive/root/children", s.itemRoute("", "root", "children"))
	api.HandleFunc("GET /v1.0/me/drive/root/{fn}", s.search)
	for _, pfx := range []string{"/v1.0/me/drive/items/{id}", "/v1.0/drives/{drive}/items/{id}"} {
		api.HandleFunc("GET "+pfx, s.itemRoute("", "", ""))
		api.HandleFunc("GET "+pfx+"/children", s.itemRoute("", "", "children"))
		api.HandleFunc("GET "+pfx+"/content", s.itemRoute("", "", "content"))
		api.HandleFunc("GET "+pfx+"/thumbnails/{tid}/{size}/content", s.itemRoute("", "", "thumbnail"))
	}
	api.HandleFunc("/v1.0/", func(w http.ResponseWriter, r *http.Request) {
		graphErr(w, http.StatusBadRequest, "invalidRequest", "Invalid request")
	})
	graph := s.authenticated(api)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1.0/") {
			graph.ServeHTTP(w, r)
			return
		}
		m.ServeHTTP(w, r)
	})
}

// authenticated checks the bearer token and applies Throttle.
func (s *Server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("request-id", hex.EncodeToString(randomBytes(16)))
		s.mu.Lock()
		if s.throttleN > 0 {
			s.throttleN--
			st, ra := s.throttleSt, s.throttleRA
			s.mu.Unlock()
			w.Header().Set("Retry-After", strconv.Itoa(int(ra/time.Second)))
			if st == http.StatusServiceUnavailable {
				graphErr(w, st, "serviceNotAvailable", "The service is not available. Try the request again after a delay.")
			} else {
				graphErr(w, st, "activityLimitReached", "The app or user has been throttled.")
			}
			return
		}
		s.mu.Unlock()
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		_, state := s.tokens.Check(tok)
		switch {
		case !ok || tok == "":
			w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"`)
			graphErr(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
			return
		case state == providertest.AccessUnknown || state == providertest.AccessRevoked:
			graphErr(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed.")
			return
		case state == providertest.AccessExpired:
			graphErr(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func graphErr(w http.ResponseWriter, status int, code, msg string) {
	body := map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]string{"date": time.Now().UTC().Format("2006-01-02T15:04:05"), "request-id": w.Header().Get("request-id"), "client-request-id": w.Header().Get("request-id")},
	}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// Properties Graph lets $select name, per resource (v1.0 reference).
var (
	itemProps = set("audio", "bundle", "cTag", "createdBy", "createdDateTime", "deleted", "description", "eTag", "file",
		"fileSystemInfo", "folder", "id", "image", "lastModifiedBy", "lastModifiedDateTime", "location", "malware", "name",
		"package", "parentReference", "pendingOperations", "photo", "publication", "remoteItem", "root", "searchResult",
		"shared", "sharepointIds", "size", "specialFolder", "video", "webDavUrl", "webUrl", "content", "thumbnails", "children")
	driveProps = set("id", "name", "driveType", "owner", "quota", "createdDateTime", "description", "lastModifiedDateTime",
		"webUrl", "createdBy", "lastModifiedBy", "sharePointIds", "system", "root", "items", "special")
	userProps = set("id", "displayName", "mail", "userPrincipalName", "givenName", "surname", "jobTitle",
		"mobilePhone", "officeLocation", "preferredLanguage", "businessPhones")
)

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// selectProps parses $select against the resource's properties; nil means
// "all". It writes Graph's error and returns ok=false for an unknown name.
func selectProps(w http.ResponseWriter, r *http.Request, known map[string]bool, typ string) (map[string]bool, bool) {
	v := r.URL.Query().Get("$select")
	if v == "" {
		return nil, true
	}
	out := map[string]bool{}
	for _, n := range strings.Split(v, ",") {
		n = strings.TrimSpace(n)
		if !known[n] {
			graphErr(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Parsing OData Select and Expand failed: Could not find a property named '%s' on type 'microsoft.graph.%s'.", n, typ))
			return nil, false
		}
		out[n] = true
	}
	return out, true
}

func pick(m map[string]any, sel map[string]bool) map[string]any {
	if sel == nil {
		return m
	}
	out := map[string]any{}
	for k, v := range m {
		if sel[k] || strings.HasPrefix(k, "@") {
			out[k] = v
		}
	}
	return out
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	sel, ok := selectProps(w, r, userProps, "user")
	if !ok {
		return
	}
	u := s.user
	writeJSON(w, pick(map[string]any{"@odata.context": s.URL + "/$metadata#users/$entity",
		"id": u.ID, "displayName": u.DisplayName, "mail": u.Mail, "userPrincipalName": u.UPN,
		"givenName": "Megan", "surname": "Bowen", "businessPhones": []string{}}, sel))
}

func (s *Server) driveJSON(d *fdrive) map[string]any {
	var used int64
	for _, it := range s.items {
		if it.Drive == d.ID {
			used += int64(len(it.Data))
		}
	}
	total := int64(5 << 30)
	return map[string]any{"id": d.ID, "name": d.Name, "driveType": d.Type,
		"owner": map[string]any{"user": map[string]string{"id": s.user.ID, "displayName": d.Owner}},
		"quota": map[string]any{"total": total, "used": used, "remaining": total - used, "deleted": 0, "state": "normal"}}
}

func (s *Server) meDrive(w http.ResponseWriter, r *http.Request) {
	sel, ok := selectProps(w, r, driveProps, "drive")
	if !ok {
		return
	}
	s.mu.Lock()
	j := s.driveJSON(s.own)
	s.mu.Unlock()
	writeJSON(w, pick(j, sel))
}

func (s *Server) meDrives(w http.ResponseWriter, r *http.Request) {
	sel, ok := selectProps(w, r, driveProps, "drive")
	if !ok {
		return
	}
	s.mu.Lock()
	var out []map[string]any
	out = append(out, pick(s.driveJSON(s.own), sel))
	ids := make([]string, 0, len(s.drives))
	for id := range s.drives {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if d := s.drives[id]; d != s.own && d.Name != "" && d.Type != "documentLibrary" {
			out = append(out, pick(s.driveJSON(d), sel))
		}
	}
	s.mu.Unlock()
	writeJSON(w, map[string]any{"value": out})
}

// itemJSON is a driveItem resource. Call with s.mu held.
func (s *Server) itemJSON(it *item) map[string]any {
	d := s.drives[it.Drive]
	m := map[string]any{
		"id": it.ID, "name": it.Name,
		"eTag":                 fmt.Sprintf("\"{%s},%d\"", it.ID, it.Version),
		"cTag":                 fmt.Sprintf("\"c:{%s},%d\"", it.ID, it.Version),
		"createdDateTime":      it.Mod.Format(time.RFC3339),
		"lastModifiedDateTime": it.Mod.Format(time.RFC3339),
		"fileSystemInfo":       map[string]string{"createdDateTime": it.Mod.Format(time.RFC3339), "lastModifiedDateTime": it.Mod.Format(time.RFC3339)},
		"webUrl":               "https://onedrive.example/" + url.PathEscape(it.ID),
		"createdBy":            map[string]any{"user": map[string]string{"displayName": d.Owner}},
	}
	ref := map[string]any{"driveId": d.ID, "driveType": d.Type}
	if it.Parent != "" {
		ref["id"] = it.Parent
		ref["path"] = "/drive/root:" + s.pathOf(it.Parent)
	}
	m["parentReference"] = ref
	if it.Dir {
		var size int64
		s.walk(it, func(c *item) { size += int64(len(c.Data)) })
		m["size"] = size
		m["folder"] = map[string]any{"childCount": len(it.Children)}
		if it.Parent == "" {
			m["root"] = map[string]any{}
		}
	} else {
		m["size"] = len(it.Data)
		hashes := map[string]string{"quickXorHash": onedrive.QuickXorBase64(it.Data)}
		if d.Type == "personal" {
			s1, s2 := sha1.Sum(it.Data), sha256.Sum256(it.Data)
			hashes["sha1Hash"] = strings.ToUpper(hex.EncodeToString(s1[:]))
			hashes["sha256Hash"] = strings.ToUpper(hex.EncodeToString(s2[:]))
		}
		m["file"] = map[string]any{"mimeType": it.MIME, "hashes": hashes}
		if strings.HasPrefix(it.MIME, "image/") {
			m["image"] = map[string]int{"width": 640, "height": 480}
		}
	}
	return m
}

func (s *Server) pathOf(id string) string {
	var parts []string
	for it := s.items[id]; it != nil && it.Parent != ""; it = s.items[it.Parent] {
		parts = append([]string{it.Name}, parts...)
	}
	return "/" + strings.Join(parts, "/")
}

func (s *Server) walk(it *item, fn func(*item)) {
	for _, c := range it.Children {
		ci := s.items[c]
		fn(ci)
		if ci.Dir {
			s.walk(ci, fn)
		}
	}
}

// allScopes are the delegated permissions that reach beyond the person's
// own drive. Graph's drive-sharedwithme reference: "You can't access
// shared items returned from this API if the request doesn't contain one
// of the *.All permissions"; a SharePoint site's libraries likewise need
// Files.Read.All or Sites.Read.All (driveitem-get permissions table).
var allScopes = []string{"Files.Read.All", "Files.ReadWrite.All", "Sites.Read.All", "Sites.ReadWrite.All"}

// sitesScopes read SharePoint sites (site-get, user-list-followedsites:
// Sites.Read.All least privileged).
var sitesScopes = []string{"Sites.Read.All", "Sites.ReadWrite.All"}

// granted reports whether the request's token carries one of scopes.
// Call with s.mu held.
func (s *Server) granted(r *http.Request, scopes []string) bool {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g, _ := s.tokens.Check(tok)
	for _, sc := range strings.Fields(g.Scope) {
		if slices.Contains(scopes, sc) {
			return true
		}
	}
	return false
}

// readable reports whether the signed-in person may read it with the
// request's token: their own drives, or something shared with them (or
// inside it), or a library of a SharePoint site — the last two only with
// a *.All scope.
func (s *Server) readable(r *http.Request, it *item) bool {
	d := s.drives[it.Drive]
	if d.Name != "" && d.Type != "documentLibrary" {
		return true
	}
	if !s.granted(r, allScopes) {
		return false
	}
	if d.Type == "documentLibrary" {
		return true
	}
	for cur := it; cur != nil; cur = s.items[cur.Parent] {
		if slices.Contains(s.shared, cur.ID) {
			return true
		}
	}
	return false
}

// lookup resolves the item a path names. Call with s.mu held.
func (s *Server) lookup(r *http.Request, fixed string) (*item, int, string, string) {
	drive := r.PathValue("drive")
	id := fixed
	if id == "" {
		id = r.PathValue("id")
	}
	var d *fdrive
	if drive == "" {
		d = s.own
	} else if d = s.drives[drive]; d == nil {
		return nil, http.StatusNotFound, "itemNotFound", "The resource could not be found."
	}
	if id == "root" {
		id = d.Root
	}
	it := s.items[id]
	if it == nil || it.Drive != d.ID {
		return nil, http.StatusNotFound, "itemNotFound", "The resource could not be found."
	}
	if !s.readable(r, it) {
		return nil, http.StatusForbidden, "accessDenied", "Access denied"
	}
	return it, 0, "", ""
}

func (s *Server) itemRoute(_, fixed, op string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		it, st, code, msg := s.lookup(r, fixed)
		s.mu.Unlock()
		if it == nil {
			graphErr(w, st, code, msg)
			return
		}
		switch op {
		case "":
			sel, ok := selectProps(w, r, itemProps, "driveItem")
			if !ok {
				return
			}
			s.mu.Lock()
			j := pick(s.itemJSON(it), sel)
			s.mu.Unlock()
			writeJSON(w, j)
		case "children":
			s.mu.Lock()
			ids := slices.Clone(it.Children)
			s.mu.Unlock()
			s.collection(w, r, "children:"+it.ID, ids, "/v1.0/drives/"+it.Drive+"/items/"+it.ID+"/children")
		case "content":
			if it.Dir {
				graphErr(w, http.StatusBadRequest, "invalidRequest", "The request is malformed or incorrect: only files can be downloaded.")
				return
			}
			s.redirect(w, dlTarget{item: it.ID})
		case "thumbnail":
			wd, ht, ok := thumbSize(r.PathValue("size"))
			if r.PathValue("tid") != "0" || !ok {
				graphErr(w, http.StatusBadRequest, "invalidRequest", "Invalid thumbnail size or id.")
				return
			}
			if it.Dir || !HasBitmap(it.MIME) {
				graphErr(w, http.StatusNotFound, "itemNotFound", "The resource could not be found.")
				return
			}
			s.redirect(w, dlTarget{item: it.ID, thumb: [2]int{wd, ht}})
		}
	}
}

// HasBitmap reports whether Graph renders thumbnails for a file of this
// MIME type: the thumbnail resource "represents a thumbnail for an image,
// video, document, or any item that has a bitmap representation" — images,
// videos, PDFs and Office documents.
func HasBitmap(mimeType string) bool {
	return strings.HasPrefix(mimeType, "image/") || strings.HasPrefix(mimeType, "video/") ||
		mimeType == "application/pdf" || strings.HasPrefix(mimeType, "application/vnd.openxmlformats-officedocument.") ||
		mimeType == "application/msword" || mimeType == "application/vnd.ms-excel" || mimeType == "application/vnd.ms-powerpoint"
}

// thumbSize parses the documented sizes: small, medium, large, their
// Square forms, and custom c{W}x{H} with an optional _Crop.
func thumbSize(v string) (int, int, bool) {
	switch v {
	case "small", "smallSquare":
		return 96, 96, true
	case "medium", "mediumSquare":
		return 176, 176, true
	case "large", "largeSquare":
		return 800, 800, true
	}
	v, _ = strings.CutSuffix(v, "_Crop")
	c, ok := strings.CutPrefix(v, "c")
	if !ok {
		return 0, 0, false
	}
	ws, hs, ok := strings.Cut(c, "x")
	wd, err1 := strconv.Atoi(ws)
	ht, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || wd < 1 || ht < 1 || wd > 10000 || ht > 10000 {
		return 0, 0, false
	}
	return wd, ht, true
}

func (s *Server) redirect(w http.ResponseWriter, t dlTarget) {
	tok := randomToken()
	t.expires = time.Now().Add(5 * time.Minute)
	s.mu.Lock()
	if s.staleLinks > 0 {
		s.staleLinks--
		t.expires = time.Now().Add(-time.Second)
	}
	s.downloads[tok] = t
	s.mu.Unlock()
	w.Header().Set("Location", s.DownloadURL+"/dl/"+tok+"?tempauth="+randomToken())
	w.WriteHeader(http.StatusFound)
}

// download is the pre-authenticated download host.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Downloads++
	if r.Header.Get("Authorization") != "" {
		s.stats.AuthorizedDownloads++
		s.mu.Unlock()
		s.t.Errorf("fakegraph: the download host received an Authorization header (%s %s)", r.Method, r.URL.Path)
		http.Error(w, "unexpected Authorization header", http.StatusBadRequest)
		return
	}
	t, ok := s.downloads[r.PathValue("token")]
	var it *item
	if ok {
		it = s.items[t.item]
	}
	s.mu.Unlock()
	if !ok || it == nil || time.Now().After(t.expires) || r.URL.Query().Get("tempauth") == "" {
		http.Error(w, "the link has expired", http.StatusUnauthorized)
		return
	}
	if t.thumb[0] > 0 {
		w.Header().Set("Content-Type", "image/png")
		_ = png.Encode(w, thumbnail(t.thumb[0], t.thumb[1]))
		return
	}
	s.mu.Lock()
	data, mod, name, mt := it.Data, it.Mod, it.Name, it.MIME
	s.mu.Unlock()
	w.Header().Set("Content-Type", mt)
	http.ServeContent(w, r, name, mod, bytes.NewReader(data))
}

// thumbnail is a 4:3 image fitting the w×h box.
func thumbnail(w, h int) image.Image {
	tw, th := w, w*3/4
	if th > h {
		tw, th = h*4/3, h
	}
	img := image.NewNRGBA(image.Rect(0, 0, max(tw, 1), max(th, 1)))
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			img.Set(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: 160, A: 255})
		}
	}
	return img
}

// collection writes one page of a driveItem collection with $top and
// $skiptoken; key names the collection so tokens do not cross over.
func (s *Server) collection(w http.ResponseWriter, r *http.Request, key string, ids []string, canonical string) {
	sel, ok := selectProps(w, r, itemProps, "driveItem")
	if !ok {
		return
	}
	q := r.URL.Query()
	top := 200
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			graphErr(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid value '%s' for $top query option found.", v))
			return
		}
		top = min(n, 1000)
	}
	start := 0
	if v := q.Get("$skiptoken"); v != "" {
		n, ok := s.readSkip(key, v)
		if !ok {
			graphErr(w, http.StatusBadRequest, "invalidRequest", "Invalid skip token.")
			return
		}
		start = n
	}
	end := min(start+top, len(ids))
	start = min(start, end)
	s.mu.Lock()
	page := []map[string]any{}
	for _, id := range ids[start:end] {
		if it := s.items[id]; it != nil {
			page = append(page, pick(s.itemJSON(it), sel))
		}
	}
	s.mu.Unlock()
	out := map[string]any{"@odata.context": s.URL + "/$metadata#Collection(driveItem)", "value": page}
	if end < len(ids) {
		nq := url.Values{}
		for k, v := range q {
			if k != "$skiptoken" {
				nq[k] = v
			}
		}
		nq.Set("$skiptoken", s.skip(key, end))
		u := *r.URL
		u.Scheme, u.Host, u.RawQuery = "http", r.Host, nq.Encode()
		if canonical != "" && s.CanonicalNextLinks.Load() {
			u.Path, u.RawPath = canonical, ""
		}
		out["@odata.nextLink"] = u.String()
	}
	writeJSON(w, out)
}

func (s *Server) skip(key string, n int) string {
	msg := key + "|" + strconv.Itoa(n)
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(append([]byte(strconv.Itoa(n)+"."), mac.Sum(nil)[:12]...))
}

func (s *Server) readSkip(key, tok string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	ns, _, ok := strings.Cut(string(raw), ".")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 0 {
		return 0, false
	}
	return n, hmac.Equal([]byte(s.skip(key, n)), []byte(tok))
}

func (s *Server) sharedWithMe(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("$skiptoken") != "" {
		graphErr(w, http.StatusBadRequest, "invalidRequest", "Invalid skip token.")
		return
	}
	s.mu.Lock()
	var page []map[string]any
	for i, id := range s.shared {
		it := s.items[id]
		if it == nil {
			continue
		}
		remote := s.itemJSON(it)
		delete(remote, "createdBy")
		page = append(page, map[string]any{
			"id": strings.ToUpper(s.own.ID) + "!s" + strconv.Itoa(i), "name": it.Name,
			"remoteItem": remote, "size": remote["size"],
		})
	}
	s.mu.Unlock()
	writeJSON(w, map[string]any{"value": page})
}

// search handles /me/drive/root/search(q='…'): the OData string literal
// with ” for a quote, matched against names (case-insensitive).
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	fn := r.PathValue("fn")
	lit, ok := strings.CutPrefix(fn, "search(q='")
	if ok {
		lit, ok = strings.CutSuffix(lit, "')")
	}
	if ok {
		// A lone quote ends the literal early: a syntax error, as in OData.
		ok = !strings.Contains(strings.ReplaceAll(lit, "''", ""), "'")
	}
	if !ok {
		graphErr(w, http.StatusBadRequest, "BadRequest", "Syntax error in the search function call.")
		return
	}
	q := strings.ToLower(strings.ReplaceAll(lit, "''", "'"))
	s.mu.Lock()
	var ids []string
	s.walk(s.items[s.own.Root], func(it *item) {
		if strings.Contains(strings.ToLower(it.Name), q) {
			ids = append(ids, it.ID)
		}
	})
	s.mu.Unlock()
	s.collection(w, r, "search:"+q, ids, "")
}

// ---- identity platform ---------------------------------------------------

var consentPage = template.Must(template.New("consent").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Let this app access your info?</title></head><body>
<h1>Let this app access your info?</h1>
<p>{{.Client}} wants to: {{.Scope}}</p>
<form method="post" id="consent">
<input type="hidden" name="request" value="{{.Request}}">
<button type="submit" name="accept" value="yes" id="yes">Accept</button>
<button type="submit" name="accept" value="no" id="no">Cancel</button>
</form>
{{if .Auto}}<script>document.getElementById({{if .Deny}}"no"{{else}}"yes"{{end}}).click();</script>{{end}}
</body></html>`))

var knownScopes = set("Files.Read", "Files.Read.All", "Files.ReadWrite", "Files.ReadWrite.All", "User.Read",
	"Sites.Read.All", "Sites.ReadWrite.All",
	"offline_access", "openid", "profile", "email")

func (s *Server) tenantOK(w http.ResponseWriter, r *http.Request) bool {
	if s.tenants[r.PathValue("tenant")] {
		return true
	}
	oauthErr(w, http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf("AADSTS90002: Tenant '%s' not found.", r.PathValue("tenant")))
	return false
}

func loopbackRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	h := u.Hostname()
	return h == "127.0.0.1" || h == "localhost" || h == "[::1]" || h == "::1"
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	if !s.tenantOK(w, r) {
		return
	}
	q := r.URL.Query()
	// Errors about the client or the redirect URI are shown, never
	// redirected (the redirect URI is not trusted yet).
	if q.Get("client_id") != s.ClientID {
		http.Error(w, "AADSTS700016: Application with identifier '"+q.Get("client_id")+"' was not found.", http.StatusBadRequest)
		return
	}
	if !loopbackRedirect(q.Get("redirect_uri")) {
		http.Error(w, "AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application.", http.StatusBadRequest)
		return
	}
	fail := func(code, desc string) {
		u, _ := url.Parse(q.Get("redirect_uri"))
		v := url.Values{"error": {code}, "error_description": {desc}}
		if st := q.Get("state"); st != "" {
			v.Set("state", st)
		}
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "AADSTS70005: response_type is not supported.")
		return
	}
	if q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		fail("invalid_request", "AADSTS9002325: Proof Key for Code Exchange is required for this client (S256).")
		return
	}
	for _, sc := range strings.Fields(q.Get("scope")) {
		if !knownScopes[sc] {
			fail("invalid_scope", "AADSTS70011: The provided value for the input parameter 'scope' is not valid: "+sc)
			return
		}
	}
	id := randomToken()
	s.mu.Lock()
	s.authReqs[id] = q
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentPage.Execute(w, map[string]any{"Client": q.Get("client_id"), "Scope": q.Get("scope"),
		"Request": id, "Auto": s.AutoConsent.Load(), "Deny": s.Deny.Load()})
}

func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	if !s.tenantOK(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	q, ok := s.authReqs[r.PostForm.Get("request")]
	delete(s.authReqs, r.PostForm.Get("request"))
	s.mu.Unlock()
	if !ok {
		http.Error(w, "AADSTS90014: unknown or used authorization request", http.StatusBadRequest)
		return
	}
	u, _ := url.Parse(q.Get("redirect_uri"))
	v := url.Values{}
	if r.PostForm.Get("accept") != "yes" {
		v.Set("error", "access_denied")
		v.Set("error_description", "AADSTS65004: User declined to consent to access the app.")
	} else {
		scope := q.Get("scope")
		v.Set("code", s.tokens.NewCode(providertest.Grant{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
			Challenge: q.Get("code_challenge"), Method: "S256", Scope: scope,
			Offline: slices.Contains(strings.Fields(scope), "offline_access")}))
	}
	if st := q.Get("state"); st != "" {
		v.Set("state", st)
	}
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func oauthErr(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": code, "error_description": desc, "error_codes": []int{aadsts},
		"timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z"), "trace_id": hex.EncodeToString(randomBytes(16)),
		"correlation_id": hex.EncodeToString(randomBytes(16))})
}

// token is the v2.0 token endpoint of a tenant: the shared strict token
// endpoint with Microsoft's public-client rules (tokenPolicy).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if !s.tenantOK(w, r) {
		return
	}
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		oauthErr(w, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must be application/x-www-form-urlencoded.")
		return
	}
	s.tokens.ServeHTTP(w, r)
}

// tokenPolicy is the identity platform's token endpoint for a public
// client: no secret, PKCE S256, codes and refresh tokens redeemed once
// (each refresh rotates), AADSTS error codes, scope without
// offline_access and ext_expires_in in the answer.
func (s *Server) tokenPolicy() providertest.Policy {
	return providertest.Policy{
		Client: func(id, secret string, _ bool) (providertest.Failure, bool) {
			switch {
			case id != s.ClientID:
				return providertest.UnknownClient, false
			case secret != "":
				return providertest.BadClientSecret, false
			}
			return 0, true
		},
		RotateRefresh:  true,
		AccessLifetime: s.TokenLifetime,
		Fail: func(w http.ResponseWriter, f providertest.Failure) {
			switch f {
			case providertest.BadRequest:
				oauthErr(w, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must be application/x-www-form-urlencoded.")
			case providertest.MissingClient, providertest.UnknownClient:
				oauthErr(w, http.StatusBadRequest, "unauthorized_client", 700016, "AADSTS700016: Application was not found in the directory.")
			case providertest.BadClientSecret:
				oauthErr(w, http.StatusUnauthorized, "invalid_client", 700025, "AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")
			case providertest.MissingCode, providertest.BadCode:
				oauthErr(w, http.StatusBadRequest, "invalid_grant", 70008, "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.")
			case providertest.RedirectMismatch:
				oauthErr(w, http.StatusBadRequest, "invalid_grant", 500112, "AADSTS500112: The reply address does not match the reply address provided when requesting the authorization code.")
			case providertest.MissingVerifier:
				oauthErr(w, http.StatusBadRequest, "invalid_request", 50148, "AADSTS50148: The code_verifier is missing.")
			case providertest.BadVerifier, providertest.UnneededVerifier:
				oauthErr(w, http.StatusBadRequest, "invalid_grant", 501481, "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.")
			case providertest.SpentRefreshToken:
				oauthErr(w, http.StatusBadRequest, "invalid_grant", 70000, "AADSTS70000: The provided refresh token has already been redeemed.")
			case providertest.BadRefreshToken:
				oauthErr(w, http.StatusBadRequest, "invalid_grant", 70000, "AADSTS9002313: Invalid request. Request is malformed or invalid.")
			default:
				oauthErr(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "AADSTS70003: The app requested an unsupported grant type.")
			}
		},
		Answer: func(g providertest.Grant, out map[string]any) {
			var granted []string
			for _, sc := range strings.Fields(g.Scope) {
				if sc != "offline_access" {
					granted = append(granted, sc)
				}
			}
			out["scope"] = strings.Join(granted, " ")
			out["ext_expires_in"] = out["expires_in"]
		},
	}
}
