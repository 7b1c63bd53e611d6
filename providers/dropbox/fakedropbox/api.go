package fakedropbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/ferry-app/ferry/providers/providertest"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	rpc := func(name string, scope string, arg func() any, h func(*call)) {
		mux.HandleFunc("POST /2/"+name, s.rpc(name, scope, arg, h))
	}
	rpc("files/list_folder", ScopeMetadataRead, func() any { return &listFolderArg{} }, s.listFolder)
	rpc("files/list_folder/continue", ScopeMetadataRead, func() any { return &cursorArg{} }, s.listFolderContinue)
	rpc("files/get_metadata", ScopeMetadataRead, func() any { return &getMetadataArg{} }, s.getMetadata)
	rpc("files/search_v2", ScopeMetadataRead, func() any { return &searchArg{} }, s.search)
	rpc("files/search/continue_v2", ScopeMetadataRead, func() any { return &cursorArg{} }, s.searchContinue)
	rpc("users/get_current_account", ScopeAccountRead, nil, s.currentAccount)
	rpc("users/get_space_usage", ScopeAccountRead, nil, s.spaceUsage)
	rpc("auth/token/revoke", "", nil, s.tokenRevoke)
	mux.HandleFunc("POST /2/files/download", s.contentEndpoint("files/download", ScopeContentRead, func() any { return &downloadArg{} }, s.download))
	mux.HandleFunc("POST /2/files/export", s.contentEndpoint("files/export", ScopeContentRead, func() any { return &exportArg{} }, s.export))
	mux.HandleFunc("POST /2/files/get_thumbnail_v2", s.contentEndpoint("files/get_thumbnail_v2", ScopeContentRead, func() any { return &thumbnailArg{} }, s.thumbnail))
	mux.HandleFunc("GET /oauth2/authorize", s.authorize)
	mux.HandleFunc("POST /oauth2/authorize", s.approve)
	mux.HandleFunc("POST /oauth2/token", s.token)
	return mux
}

// call is one authenticated API request.
type call struct {
	w        http.ResponseWriter
	r        *http.Request
	endpoint string
	arg      any
	token    string
}

// authenticate checks the bearer token and scope; on failure it answers.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, endpoint, scope string) (string, bool) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	s.mu.Unlock()
	h := r.Header.Get("Authorization")
	if h == "" {
		badInput(w, endpoint, `Must provide HTTP header "Authorization" or URL parameter "authorization".`)
		return "", false
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		badInput(w, endpoint, `Invalid authorization value in HTTP header "Authorization". Expecting "Bearer <oauth2-access-token>".`)
		return "", false
	}
	g, state := s.tokens.Check(tok)
	switch {
	case state == providertest.AccessUnknown || state == providertest.AccessRevoked:
		authError(w, "invalid_access_token", nil)
		return "", false
	case state == providertest.AccessExpired:
		authError(w, "expired_access_token", nil)
		return "", false
	case scope != "" && !slices.Contains(strings.Fields(g.Scope), scope):
		authError(w, "missing_scope", map[string]any{"required_scope": scope})
		return "", false
	}
	return tok, true
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data; msg is Dropbox's description of the failure.
func decodeStrict(b []byte, v any) (msg string) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		if strings.Contains(err.Error(), "unknown field") {
			return strings.ReplaceAll(strings.TrimPrefix(err.Error(), "json: "), `"`, "'")
		}
		return "could not decode input as JSON"
	}
	if d.More() {
		return "could not decode input as JSON"
	}
	if r, ok := v.(interface{ required() string }); ok {
		if f := r.required(); f != "" {
			return "missing required field '" + f + "'"
		}
	}
	return ""
}

// rpc wraps an RPC endpoint: JSON body (or none for argument-less ones).
func (s *Server) rpc(endpoint, scope string, newArg func() any, h func(*call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := s.authenticate(w, r, endpoint, scope)
		if !ok {
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			badInput(w, endpoint, "could not read the request body")
			return
		}
		ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		var arg any
		if newArg == nil {
			if len(body) > 0 && strings.TrimSpace(string(body)) != "null" {
				badInput(w, endpoint, "request body: could not decode input as JSON")
				return
			}
			if len(body) > 0 && ct != "application/json" {
				badInput(w, endpoint, fmt.Sprintf(`Bad HTTP "Content-Type" header: %q. Expecting one of "application/json", "application/json; charset=utf-8", "text/plain; charset=dropbox-cors-hack".`, r.Header.Get("Content-Type")))
				return
			}
		} else {
			if ct != "application/json" || (params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
				badInput(w, endpoint, fmt.Sprintf(`Bad HTTP "Content-Type" header: %q. Expecting one of "application/json", "application/json; charset=utf-8", "text/plain; charset=dropbox-cors-hack".`, r.Header.Get("Content-Type")))
				return
			}
			arg = newArg()
			if msg := decodeStrict(body, arg); msg != "" {
				badInput(w, endpoint, "request body: "+msg)
				return
			}
		}
		h(&call{w: w, r: r, endpoint: endpoint, arg: arg, token: tok})
	}
}

// contentEndpoint wraps a content-download endpoint: the argument comes in
// the Dropbox-API-Arg header (ASCII JSON) or the arg URL parameter; no body.
func (s *Server) contentEndpoint(endpoint, scope string, newArg func() any, h func(*call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := s.authenticate(w, r, endpoint, scope)
		if !ok {
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, _ := mime.ParseMediaType(ct)
			if mt != "text/plain" && mt != "application/octet-stream" {
				badInput(w, endpoint, fmt.Sprintf(`Bad HTTP "Content-Type" header: %q. Expecting one of "application/octet-stream", "text/plain; charset=dropbox-cors-hack".`, ct))
				return
			}
		}
		if b, _ := io.ReadAll(io.LimitReader(r.Body, 1)); len(b) > 0 {
			badInput(w, endpoint, "this endpoint takes no request body")
			return
		}
		raw, where := r.Header.Get("Dropbox-API-Arg"), `HTTP header "Dropbox-API-Arg"`
		if raw == "" {
			raw, where = r.URL.Query().Get("arg"), `URL parameter "arg"`
		}
		if raw == "" {
			badInput(w, endpoint, `Must provide HTTP header "Dropbox-API-Arg" or URL parameter "arg".`)
			return
		}
		for i := 0; i < len(raw) && where[0] == 'H'; i++ {
			if raw[i] < 0x20 || raw[i] >= 0x7f {
				badInput(w, endpoint, where+": could not decode input as JSON")
				return
			}
		}
		arg := newArg()
		if msg := decodeStrict([]byte(raw), arg); msg != "" {
			badInput(w, endpoint, where+": "+msg)
			return
		}
		h(&call{w: w, r: r, endpoint: endpoint, arg: arg, token: tok})
	}
}

// --- paths ---

// resolve finds the node a path argument names. allowRoot: "" is valid
// (list_folder). On failure it answers (400 for a path that does not match
// the endpoint's pattern, 409 path/... otherwise) and returns nil.
func (s *Server) resolve(c *call, p string, allowRoot bool, errTags ...string) *node {
	if len(errTags) == 0 {
		errTags = []string{"path"}
	}
	switch {
	case p == "" && allowRoot:
	case strings.HasPrefix(p, "/"), strings.HasPrefix(p, "id:"), strings.HasPrefix(p, "ns:"), strings.HasPrefix(p, "rev:") && !allowRoot:
	default:
		pattern := `(/(.|[\r\n])*|id:.*)|(rev:[0-9a-z]+)|(ns:[0-9]+(/.*)?)`
		if allowRoot {
			pattern = `(/(.|[\r\n])*)?|id:.*|(ns:[0-9]+(/.*)?)`
		}
		badInput(c.w, c.endpoint, fmt.Sprintf("request body: path: '%s' did not match pattern '%s'", p, pattern))
		return nil
	}
	root, teamMode, ok := s.pathRoot(c)
	if !ok {
		return nil
	}
	if p == "" && allowRoot {
		return root
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur *node
	rest := p
	switch {
	case strings.HasPrefix(p, "id:"):
		id, r, _ := strings.Cut(p, "/")
		cur, rest = s.nodes[id], r
		if r != "" {
			rest = "/" + r
		}
		if cur != nil && cur.team && !teamMode {
			cur = nil // outside the home namespace: not there without the header
		}
	case strings.HasPrefix(p, "/"):
		cur = root
	}
	// The path's form is checked before anything is looked up.
	var comps []string
	if rest != "" {
		comps = strings.Split(rest[1:], "/")
	}
	for _, comp := range comps {
		if comp == "" || comp == "." || comp == ".." {
			endpointError(c.w, append(errTags, "malformed_path")...)
			return nil
		}
	}
	if cur == nil {
		endpointError(c.w, append(errTags, "not_found")...)
		return nil
	}
	for _, comp := range comps {
		if !cur.dir {
			endpointError(c.w, append(errTags, "not_folder")...)
			return nil
		}
		var next *node
		for _, id := range cur.children {
			if n := s.nodes[id]; n != nil && strings.EqualFold(n.name, comp) {
				next = n
				break
			}
		}
		if next == nil {
			endpointError(c.w, append(errTags, "not_found")...)
			return nil
		}
		cur = next
	}
	return cur
}

// pathRoot reads the Dropbox-API-Path-Root header ("Path Root Header
// Modes"): absent or {".tag":"home"}, paths start at the member's home
// namespace; {".tag":"root","root":ID} starts them at the root namespace,
// which must be the account's current one (else 422 invalid_root with the
// current root_info); {".tag":"namespace_id",...} names a namespace the
// member may read (else 422 no_permission). A malformed value is a 400.
func (s *Server) pathRoot(c *call) (root *node, teamMode, ok bool) {
	raw := c.r.Header.Get("Dropbox-API-Path-Root")
	s.mu.Lock()
	home, team := s.nodes[""], s.teamRoot
	info := s.rootInfoLocked()
	s.mu.Unlock()
	if raw == "" {
		return home, false, true
	}
	var h struct {
		Tag         string `json:".tag"`
		Root        string `json:"root"`
		NamespaceID string `json:"namespace_id"`
	}
	if json.Unmarshal([]byte(raw), &h) != nil {
		badInput(c.w, c.endpoint, `Invalid value in HTTP header "Dropbox-API-Path-Root": could not decode input as JSON`)
		return nil, false, false
	}
	switch h.Tag {
	case "home":
		return home, false, true
	case "root":
		if h.Root != info["root_namespace_id"] {
			writeJSONStatus(c.w, 422, map[string]any{"error_summary": "invalid_root/..", "error": map[string]any{".tag": "invalid_root", "invalid_root": info}})
			return nil, false, false
		}
		if team == nil {
			return home, false, true
		}
		return team, true, true
	case "namespace_id":
		switch h.NamespaceID {
		case HomeNamespaceID:
			return home, false, true
		case info["root_namespace_id"]:
			if team != nil {
				return team, true, true
			}
		}
		writeJSONStatus(c.w, 422, map[string]any{"error_summary": "no_permission/..", "error": map[string]any{".tag": "no_permission"}})
		return nil, false, false
	}
	badInput(c.w, c.endpoint, `Invalid value in HTTP header "Dropbox-API-Path-Root": unknown tag `+h.Tag)
	return nil, false, false
}

// rootInfoLocked is get_current_account's root_info. Call with s.mu held.
func (s *Server) rootInfoLocked() map[string]any {
	if s.teamRoot == nil {
		return map[string]any{".tag": "user", "root_namespace_id": HomeNamespaceID, "home_namespace_id": HomeNamespaceID}
	}
	return map[string]any{".tag": "team", "root_namespace_id": s.teamNS, "home_namespace_id": HomeNamespaceID,
		"home_path": "/" + s.account.DisplayName}
}

// --- cursors ---

type cursorState struct {
	Kind   string `json:"k"` // "list" or "search"
	Key    string `json:"n"` // folder ID or query
	Offset int    `json:"o"`
	Limit  int    `json:"l"`
}

func (s *Server) makeCursor(st cursorState) string {
	b, _ := json.Marshal(st)
	m := hmac.New(sha256.New, s.secret)
	m.Write(b)
	return "AA" + base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func (s *Server) readCursor(c string, kind string) (cursorState, bool) {
	var st cursorState
	body, sig, ok := strings.Cut(strings.TrimPrefix(c, "AA"), ".")
	b, err1 := base64.RawURLEncoding.DecodeString(body)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err1 != nil || err2 != nil {
		return st, false
	}
	m := hmac.New(sha256.New, s.secret)
	m.Write(b)
	if !hmac.Equal(got, m.Sum(nil)[:16]) || json.Unmarshal(b, &st) != nil || st.Kind != kind || st.Offset < 0 {
		return st, false
	}
	return st, true
}

// --- files/list_folder ---

type listFolderArg struct {
	Path                            *string         `json:"path"`
	Recursive                       bool            `json:"recursive"`
	IncludeMediaInfo                bool            `json:"include_media_info"`
	IncludeDeleted                  bool            `json:"include_deleted"`
	IncludeHasExplicitSharedMembers bool            `json:"include_has_explicit_shared_members"`
	IncludeMountedFolders           *bool           `json:"include_mounted_folders"`
	Limit                           *int            `json:"limit"`
	SharedLink                      json.RawMessage `json:"shared_link"`
	IncludePropertyGroups           json.RawMessage `json:"include_property_groups"`
	IncludeNonDownloadableFiles     *bool           `json:"include_non_downloadable_files"`
}

func (a *listFolderArg) required() string {
	if a.Path == nil {
		return "path"
	}
	return ""
}

type cursorArg struct {
	Cursor *string `json:"cursor"`
}

func (a *cursorArg) required() string {
	if a.Cursor == nil {
		return "cursor"
	}
	return ""
}

func (s *Server) listFolder(c *call) {
	a := c.arg.(*listFolderArg)
	limit := 2000
	if a.Limit != nil {
		if *a.Limit < 1 || *a.Limit > 2000 {
			badInput(c.w, c.endpoint, fmt.Sprintf("request body: limit: %d is not within range [1, 2000]", *a.Limit))
			return
		}
		limit = *a.Limit
	}
	if a.Recursive {
		badInput(c.w, c.endpoint, "request body: recursive: the fake does not list recursively")
		return
	}
	n := s.resolve(c, *a.Path, true)
	if n == nil {
		return
	}
	if !n.dir {
		endpointError(c.w, "path", "not_folder")
		return
	}
	s.listPage(c, n.id, 0, limit)
}

func (s *Server) listFolderContinue(c *call) {
	st, ok := s.readCursor(*c.arg.(*cursorArg).Cursor, "list")
	if !ok {
		badInput(c.w, c.endpoint, "Invalid \"cursor\" parameter")
		return
	}
	s.mu.Lock()
	n := s.nodes[st.Key]
	s.mu.Unlock()
	if n == nil {
		endpointError(c.w, "path", "not_found")
		return
	}
	s.listPage(c, st.Key, st.Offset, st.Limit)
}

func (s *Server) listPage(c *call, folderID string, offset, limit int) {
	s.mu.Lock()
	n := s.nodes[folderID]
	if limit <= 0 {
		limit = s.pageSize
	}
	limit = min(limit, s.pageSize)
	kids := n.children
	offset = min(offset, len(kids))
	end := min(offset+limit, len(kids))
	entries := []any{}
	for _, id := range kids[offset:end] {
		if id == s.homeAlias && s.homeAlias != "" {
			// The member's folder in the team root is their home namespace.
			entries = append(entries, map[string]any{".tag": "folder", "name": s.account.DisplayName, "id": id,
				"path_lower": strings.ToLower("/" + s.account.DisplayName), "path_display": "/" + s.account.DisplayName})
			continue
		}
		entries = append(entries, s.metadata(s.nodes[id]))
	}
	s.mu.Unlock()
	writeJSONStatus(c.w, http.StatusOK, map[string]any{
		"entries": entries, "has_more": end < len(kids),
		"cursor": s.makeCursor(cursorState{Kind: "list", Key: folderID, Offset: end, Limit: limit}),
	})
}

// --- files/get_metadata ---

type getMetadataArg struct {
	Path                            *string         `json:"path"`
	IncludeMediaInfo                bool            `json:"include_media_info"`
	IncludeDeleted                  bool            `json:"include_deleted"`
	IncludeHasExplicitSharedMembers bool            `json:"include_has_explicit_shared_members"`
	IncludePropertyGroups           json.RawMessage `json:"include_property_groups"`
}

func (a *getMetadataArg) required() string {
	if a.Path == nil {
		return "path"
	}
	return ""
}

func (s *Server) getMetadata(c *call) {
	n := s.resolve(c, *c.arg.(*getMetadataArg).Path, false)
	if n == nil {
		return
	}
	s.mu.Lock()
	m := s.metadata(n)
	s.mu.Unlock()
	writeJSONStatus(c.w, http.StatusOK, m)
}

// --- files/search_v2 ---

type searchArg struct {
	Query   *string `json:"query"`
	Options *struct {
		Path           string          `json:"path"`
		MaxResults     *int            `json:"max_results"`
		OrderBy        json.RawMessage `json:"order_by"`
		FileStatus     json.RawMessage `json:"file_status"`
		FilenameOnly   bool            `json:"filename_only"`
		FileExtensions []string        `json:"file_extensions"`
		FileCategories json.RawMessage `json:"file_categories"`
		AccountID      string          `json:"account_id"`
	} `json:"options"`
	MatchFieldOptions json.RawMessage `json:"match_field_options"`
	IncludeHighlights bool            `json:"include_highlights"`
}

func (a *searchArg) required() string {
	if a.Query == nil {
		return "query"
	}
	return ""
}

func (s *Server) search(c *call) {
	a := c.arg.(*searchArg)
	if len(*a.Query) > 1000 {
		badInput(c.w, c.endpoint, "request body: query: length 1001 exceeds max_length 1000")
		return
	}
	limit := 100
	if a.Options != nil && a.Options.MaxResults != nil {
		if *a.Options.MaxResults < 1 || *a.Options.MaxResults > 1000 {
			badInput(c.w, c.endpoint, fmt.Sprintf("request body: options.max_results: %d is not within range [1, 1000]", *a.Options.MaxResults))
			return
		}
		limit = *a.Options.MaxResults
	}
	s.searchPage(c, *a.Query, 0, limit)
}

func (s *Server) searchContinue(c *call) {
	st, ok := s.readCursor(*c.arg.(*cursorArg).Cursor, "search")
	if !ok {
		badInput(c.w, c.endpoint, "Invalid \"cursor\" parameter")
		return
	}
	s.searchPage(c, st.Key, st.Offset, st.Limit)
}

func (s *Server) searchPage(c *call, query string, offset, limit int) {
	q := strings.ToLower(query)
	s.mu.Lock()
	var hits []*node
	var walk func(id string)
	walk = func(id string) {
		for _, k := range s.nodes[id].children {
			n := s.nodes[k]
			if strings.Contains(strings.ToLower(n.name), q) {
				hits = append(hits, n)
			}
			if n.dir {
				walk(k)
			}
		}
	}
	walk("")
	limit = min(limit, s.pageSize)
	offset = min(offset, len(hits))
	end := min(offset+limit, len(hits))
	matches := []any{}
	for _, n := range hits[offset:end] {
		matches = append(matches, map[string]any{
			"match_type": map[string]any{".tag": "filename"},
			"metadata":   map[string]any{".tag": "metadata", "metadata": s.metadata(n)},
		})
	}
	s.mu.Unlock()
	out := map[string]any{"matches": matches, "has_more": end < len(hits)}
	if end < len(hits) {
		out["cursor"] = s.makeCursor(cursorState{Kind: "search", Key: query, Offset: end, Limit: limit})
	}
	writeJSONStatus(c.w, http.StatusOK, out)
}

// --- users, auth ---

func (s *Server) currentAccount(c *call) {
	s.mu.Lock()
	a := s.account
	info := s.rootInfoLocked()
	s.mu.Unlock()
	given, sur, _ := strings.Cut(a.DisplayName, " ")
	writeJSONStatus(c.w, http.StatusOK, map[string]any{
		"account_id": a.AccountID,
		"name": map[string]any{"given_name": given, "surname": sur, "familiar_name": given,
			"display_name": a.DisplayName, "abbreviated_name": initials(a.DisplayName)},
		"email": a.Email, "email_verified": true, "disabled": false, "locale": "en", "country": "US",
		"referral_link": "https://db.tt/ZITNuhtI", "is_paired": false,
		"account_type": map[string]any{".tag": "basic"},
		"root_info":    info,
	})
}

func initials(s string) string {
	var b strings.Builder
	for _, w := range strings.Fields(s) {
		b.WriteString(strings.ToUpper(w[:1]))
	}
	return b.String()
}

func (s *Server) spaceUsage(c *call) {
	s.mu.Lock()
	used := 0
	for _, n := range s.nodes {
		used += len(n.content)
	}
	s.mu.Unlock()
	writeJSONStatus(c.w, http.StatusOK, map[string]any{"used": used,
		"allocation": map[string]any{".tag": "individual", "allocated": 2147483648}})
}

// tokenRevoke disables the calling access token, its refresh token and the
// other access tokens of that refresh token.
func (s *Server) tokenRevoke(c *call) {
	s.tokens.Revoke(c.token)
	c.w.Header().Set("Content-Type", "application/json")
	_, _ = c.w.Write([]byte("null"))
}

// --- content endpoints ---

type downloadArg struct {
	Path *string `json:"path"`
	Rev  string  `json:"rev"`
}

func (a *downloadArg) required() string {
	if a.Path == nil {
		return "path"
	}
	return ""
}

func (s *Server) download(c *call) {
	n := s.resolve(c, *c.arg.(*downloadArg).Path, false)
	if n == nil {
		return
	}
	if n.dir {
		endpointError(c.w, "path", "not_file")
		return
	}
	if n.paper {
		// files/download: "unsupported_file: This file type isn't supported
		// for download: export it" (Paper docs are exported).
		endpointError(c.w, "unsupported_file")
		return
	}
	s.mu.Lock()
	md, _ := json.Marshal(s.metadata(n))
	data, mod := n.content, n.modified
	s.mu.Unlock()
	c.w.Header().Set("Dropbox-API-Result", escapeHeaderJSON(md))
	c.w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(c.w, c.r, "", mod, bytes.NewReader(data))
}

type exportArg struct {
	Path         *string `json:"path"`
	ExportFormat string  `json:"export_format"`
}

func (a *exportArg) required() string {
	if a.Path == nil {
		return "path"
	}
	return ""
}

// export is files/export: a file with export_info (a Paper doc) in its
// export_as format or one of its export_options; anything else is
// non_exportable. The answer's Dropbox-API-Result holds export_metadata and
// file_metadata.
func (s *Server) export(c *call) {
	a := c.arg.(*exportArg)
	n := s.resolve(c, *a.Path, false)
	if n == nil {
		return
	}
	if n.dir || !n.paper {
		endpointError(c.w, "non_exportable")
		return
	}
	switch a.ExportFormat {
	case "", "markdown":
	default:
		endpointError(c.w, "invalid_export_format")
		return
	}
	s.mu.Lock()
	fm := s.metadata(n)
	data := n.content
	s.mu.Unlock()
	res, _ := json.Marshal(map[string]any{"export_metadata": map[string]any{
		"name": strings.TrimSuffix(n.name, ".paper") + ".md", "size": len(data), "export_hash": ContentHash(data)},
		"file_metadata": fm})
	c.w.Header().Set("Dropbox-API-Result", escapeHeaderJSON(res))
	c.w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = c.w.Write(data)
}

type thumbnailArg struct {
	Resource json.RawMessage `json:"resource"`
	Format   json.RawMessage `json:"format"`
	Size     json.RawMessage `json:"size"`
	Mode     json.RawMessage `json:"mode"`
	Quality  json.RawMessage `json:"quality"`
}

func (a *thumbnailArg) required() string {
	if len(a.Resource) == 0 {
		return "resource"
	}
	return ""
}

// voidTag reads a union of void members given as "tag" or {".tag":"tag"}.
func voidTag(raw json.RawMessage, def string) (string, bool) {
	if len(raw) == 0 {
		return def, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || len(m) != 1 {
		return "", false
	}
	s, ok := m[".tag"].(string)
	return s, ok
}

var thumbSizes = map[string][2]int{"w32h32": {32, 32}, "w64h64": {64, 64}, "w128h128": {128, 128}, "w256h256": {256, 256},
	"w480h320": {480, 320}, "w640h480": {640, 480}, "w960h640": {960, 640}, "w1024h768": {1024, 768}, "w2048h1536": {2048, 1536}}

func (s *Server) thumbnail(c *call) {
	a := c.arg.(*thumbnailArg)
	var res struct {
		Tag  string `json:".tag"`
		Path string `json:"path"`
	}
	if json.Unmarshal(a.Resource, &res) != nil || res.Tag != "path" {
		badInput(c.w, c.endpoint, `HTTP header "Dropbox-API-Arg": resource: expected a PathOrLink union with .tag "path"`)
		return
	}
	format, ok1 := voidTag(a.Format, "jpeg")
	size, ok2 := voidTag(a.Size, "w64h64")
	mode, ok3 := voidTag(a.Mode, "strict")
	dims, ok4 := thumbSizes[size]
	if !ok1 || !ok2 || !ok3 || !ok4 || (format != "jpeg" && format != "png" && format != "webp") ||
		(mode != "strict" && mode != "bestfit" && mode != "fitone_bestfit") {
		badInput(c.w, c.endpoint, `HTTP header "Dropbox-API-Arg": could not decode input as JSON`)
		return
	}
	n := s.resolve(c, res.Path, false)
	if n == nil {
		return
	}
	ext := strings.ToLower(path.Ext(n.name))
	switch {
	case n.dir || !slices.Contains([]string{".jpg", ".jpeg", ".png", ".tiff", ".tif", ".gif", ".webp", ".ppm", ".bmp"}, ext):
		endpointError(c.w, "unsupported_extension")
		return
	case len(n.content) >= 20<<20:
		endpointError(c.w, "unsupported_image")
		return
	}
	s.mu.Lock()
	md, _ := json.Marshal(map[string]any{"file_metadata": s.metadata(n)})
	s.mu.Unlock()
	w, h := dims[0], dims[1]
	if mode == "bestfit" { // keep a 4:3 picture inside the box
		h = min(h, w*3/4)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), 64, uint8(y), 255})
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, nil)
	c.w.Header().Set("Dropbox-API-Result", escapeHeaderJSON(md))
	c.w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = c.w.Write(b.Bytes())
}
