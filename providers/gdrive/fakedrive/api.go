package fakedrive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ferry-app/ferry/providers/providertest"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /drive/v3/files", s.api(s.filesList))
	mux.HandleFunc("GET /drive/v3/files/{fileId}", s.api(s.filesGet))
	mux.HandleFunc("GET /drive/v3/files/{fileId}/export", s.api(s.filesExport))
	mux.HandleFunc("GET /drive/v3/about", s.api(s.aboutGet))
	mux.HandleFunc("GET /drive/v3/drives", s.api(s.drivesList))
	mux.HandleFunc("GET /thumb/{link}", s.thumbnail)
	mux.HandleFunc("GET /feeds/download/export/{fileId}", s.api(s.exportLink))
	mux.HandleFunc("GET /o/oauth2/v2/auth", s.authorize)
	mux.HandleFunc("POST /o/oauth2/v2/auth", s.approve)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /revoke", s.revoke)
	return mux
}

// call is one authenticated API request.
type call struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	q     url.Values
	scope []string
}

// systemParams are accepted by every Google API method.
var systemParams = []string{"fields", "alt", "key", "prettyPrint", "quotaUser", "userIp", "callback",
	"upload_protocol", "uploadType", "$.xgafv", "access_token", "oauth_token"}

// methodParams are each method's own query parameters (Drive v3 reference).
var methodParams = map[string][]string{
	"files.list": {"corpora", "driveId", "includeItemsFromAllDrives", "includeTeamDriveItems", "orderBy",
		"pageSize", "pageToken", "q", "spaces", "supportsAllDrives", "supportsTeamDrives", "teamDriveId",
		"includePermissionsForView", "includeLabels"},
	"files.get":    {"acknowledgeAbuse", "supportsAllDrives", "supportsTeamDrives", "includePermissionsForView", "includeLabels"},
	"files.export": {"mimeType"},
	"exportLink":   {"mimeType"},
	"about.get":    {},
	"drives.list":  {"pageSize", "pageToken", "q", "useDomainAdminAccess"},
}

// api wraps a handler with the checks every Drive call gets: known query
// parameters, a valid bearer token, the injected 403 quota errors.
func (s *Server) api(h func(c *call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
		forbid := s.forbid403 > 0
		if forbid {
			s.forbid403--
		}
		s.mu.Unlock()
		method := "files.list"
		switch {
		case strings.HasSuffix(r.URL.Path, "/export"):
			method = "files.export"
		case strings.HasPrefix(r.URL.Path, "/feeds/"):
			method = "exportLink"
		case strings.HasPrefix(r.URL.Path, "/drive/v3/files/"):
			method = "files.get"
		case r.URL.Path == "/drive/v3/about":
			method = "about.get"
		case r.URL.Path == "/drive/v3/drives":
			method = "drives.list"
		}
		q := r.URL.Query()
		for k, vs := range q {
			if !slices.Contains(systemParams, k) && !slices.Contains(methodParams[method], k) {
				unknownParam(w, k)
				return
			}
			if len(vs) > 1 && k != "fields" {
				invalidParam(w, k, "Invalid value for "+k)
				return
			}
		}
		scope, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		if !hasScope(scope, ScopeDrive, ScopeDriveReadonly, ScopeDriveMetadata) {
			insufficientScopes(w)
			return
		}
		if forbid {
			writeError(w, http.StatusForbidden, "User Rate Limit Exceeded",
				apiErr{Domain: "usageLimits", Reason: "userRateLimitExceeded"})
			return
		}
		for _, b := range []string{"supportsAllDrives", "includeItemsFromAllDrives", "supportsTeamDrives", "includeTeamDriveItems", "acknowledgeAbuse", "prettyPrint"} {
			if v := q.Get(b); v != "" && v != "true" && v != "false" {
				invalidParam(w, b, fmt.Sprintf("Invalid value '%s'. Values must be one of: true, false", v))
				return
			}
		}
		h(&call{s: s, w: w, r: r, q: q, scope: scope})
	}
}

func unknownParam(w http.ResponseWriter, name string) {
	msg := fmt.Sprintf("Invalid JSON payload received. Unknown name %q: Cannot bind query parameter. Field '%s' could not be found in request message.", name, name)
	body := map[string]any{"error": map[string]any{
		"code": 400, "message": msg, "status": "INVALID_ARGUMENT",
		"details": []any{map[string]any{"@type": "type.googleapis.com/google.rpc.BadRequest",
			"fieldViolations": []any{map[string]any{"description": msg}}}},
	}}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusBadRequest)
	writeJSONBody(w, body)
}

func writeJSONBody(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	_, _ = w.Write(b)
}

func insufficientScopes(w http.ResponseWriter) {
	writeError(w, http.StatusForbidden, "Request had insufficient authentication scopes.",
		apiErr{Message: "Insufficient Permission", Domain: "global", Reason: "insufficientPermissions"})
}

func hasScope(granted []string, any ...string) bool {
	for _, g := range granted {
		if slices.Contains(any, g) {
			return true
		}
	}
	return false
}

// authenticate checks the Authorization header; on failure it writes
// Google's 401 and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if h == "" || !ok || tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
		writeError(w, http.StatusUnauthorized, "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
			apiErr{Message: "Login Required.", Domain: "global", Reason: "required", Location: "Authorization", LocationType: "header"})
		return nil, false
	}
	g, state := s.tokens.Check(tok)
	valid := state == providertest.AccessValid
	scope := strings.Fields(g.Scope)
	if !valid {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
			apiErr{Message: "Invalid Credentials", Domain: "global", Reason: "authError", Location: "Authorization", LocationType: "header"})
		return nil, false
	}
	return scope, true
}

// fieldsMask parses and checks the fields parameter against sch; a nil
// mask with ok means "the method's default fields".
func fieldsMask(c *call, sch schema, required bool) (mask, bool) {
	f := c.q.Get("fields")
	if f == "" {
		if required {
			writeError(c.w, http.StatusBadRequest, "The 'fields' parameter is required for this method.",
				apiErr{Domain: "global", Reason: "required", Location: "fields", LocationType: "parameter"})
			return nil, false
		}
		return nil, true
	}
	m, err := parseMask(f)
	if err != nil {
		invalidParam(c.w, "fields", err.Error())
		return nil, false
	}
	if bad := m.check(sch); bad != "" {
		invalidParam(c.w, "fields", "Invalid field selection "+bad)
		return nil, false
	}
	return m, true
}

func (c *call) flag(name string) bool { return c.q.Get(name) == "true" }

// visible reports whether a request may see f: shared-drive items need
// supportsAllDrives=true; another person's items need to be shared with the
// user, or reached through a link-shared ancestor.
func (c *call) visible(f *file) bool {
	return f != nil && (f.driveID == "" || c.flag("supportsAllDrives") || c.flag("supportsTeamDrives")) &&
		(!f.othersRoot || c.s.reachable(f))
}

// reachable: another person's item the user may see.
func (s *Server) reachable(f *file) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for cur := f; cur != nil && cur.id != s.othersID; {
		if cur.sharedWithMe || cur.resourceKey != "" {
			return true
		}
		if len(cur.parents) == 0 {
			break
		}
		cur = s.files[cur.parents[0]]
	}
	return false
}

// keyed reports whether a request naming f carries f's resource key, when
// it has one. Drive's resource-keys guide: requests for a link-shared item
// send "fileId/resourceKey" pairs, comma-separated, in the
// X-Goog-Drive-Resource-Keys header; without the key the item is not found.
func (c *call) keyed(f *file) bool {
	if f.resourceKey == "" || f.sharedWithMe {
		return true
	}
	for _, pair := range strings.Split(c.r.Header.Get("X-Goog-Drive-Resource-Keys"), ",") {
		if id, key, ok := strings.Cut(strings.TrimSpace(pair), "/"); ok && id == f.id && key == f.resourceKey {
			return true
		}
	}
	return false
}

// lookup resolves a fileId path parameter ("root" is My Drive's root).
func (s *Server) lookup(c *call) (*file, bool) {
	id := c.r.PathValue("fileId")
	if id == "root" {
		id = s.rootID
	}
	s.mu.Lock()
	f := s.files[id]
	s.mu.Unlock()
	if !c.visible(f) || !c.keyed(f) {
		notFound(c.w, c.r.PathValue("fileId"))
		return nil, false
	}
	return f, true
}

const exportPrefix = "application/vnd.google-apps."

// fileJSON is the full File resource the fake knows for f.
func (s *Server) fileJSON(f *file) map[string]any {
	m := map[string]any{
		"kind": "drive#file", "id": f.id, "name": f.name, "mimeType": f.mimeType,
		"trashed": f.trashed, "explicitlyTrashed": f.trashed,
		"createdTime": f.created.UTC().Format("2006-01-02T15:04:05.000Z"), "modifiedTime": f.modified.UTC().Format("2006-01-02T15:04:05.000Z"),
		"starred": false, "shared": false, "ownedByMe": f.driveID == "", "spaces": []string{"drive"},
		"hasThumbnail": s.hasThumbnail(f), "version": strconv.FormatInt(f.modified.UnixMilli(), 10),
		"capabilities": map[string]any{"canDownload": !f.noDownload, "canEdit": false},
	}
	if len(f.parents) > 0 {
		m["parents"] = f.parents
	}
	if f.driveID != "" {
		m["driveId"] = f.driveID
	}
	if f.othersRoot {
		m["ownedByMe"] = false
		m["shared"] = true
	}
	if f.resourceKey != "" {
		m["resourceKey"] = f.resourceKey
	}
	if formats, ok := exportFormats[f.mimeType]; ok {
		// The files resource's exportLinks: one download URL per export
		// format (on docs.google.com for the real service).
		links := map[string]string{}
		for _, mt := range formats {
			links[mt] = s.URL + "/feeds/download/export/" + f.id + "?" + url.Values{"mimeType": {mt}}.Encode()
		}
		m["exportLinks"] = links
	}
	if f.mimeType != FolderMIME && !strings.HasPrefix(f.mimeType, exportPrefix) {
		m["size"] = strconv.Itoa(len(f.content))
		m["quotaBytesUsed"] = strconv.Itoa(len(f.content))
		m["md5Checksum"] = md5hex(f.content)
		m["headRevisionId"] = f.revision
		m["originalFilename"] = f.name
	}
	if f.mimeType == ShortcutMIME {
		d := map[string]any{"targetId": f.target}
		s.mu.Lock()
		if t := s.files[f.target]; t != nil {
			d["targetMimeType"] = t.mimeType
			if t.resourceKey != "" {
				d["targetResourceKey"] = t.resourceKey
			}
		}
		s.mu.Unlock()
		m["shortcutDetails"] = d
	}
	if s.hasThumbnail(f) {
		m["thumbnailLink"] = s.URL + "/thumb/" + f.id + "=s220"
	}
	return m
}

func (s *Server) hasThumbnail(f *file) bool {
	if strings.HasPrefix(f.mimeType, "image/") {
		return true
	}
	switch f.mimeType {
	case DocMIME, SheetMIME, SlidesMIME, DrawingMIME:
		return true
	}
	return false
}

var defaultFileFields = mask{"kind": nil, "id": nil, "name": nil, "mimeType": nil}

// --- files.list ---

type term struct {
	field, op, value string
}

func (s *Server) filesList(c *call) {
	m, ok := fieldsMask(c, fileListSchema, false)
	if !ok {
		return
	}
	if m == nil {
		m = mask{"kind": nil, "nextPageToken": nil, "incompleteSearch": nil, "files": defaultFileFields}
	}
	pageSize := 100
	if v := c.q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			invalidParam(c.w, "pageSize", fmt.Sprintf("Invalid value '%s'. Values must be within the range: [1, 1000]", v))
			return
		}
		pageSize = n
	}
	pageSize = min(pageSize, s.pageSize)
	allDrives := c.flag("includeItemsFromAllDrives") || c.flag("includeTeamDriveItems")
	if allDrives && !(c.flag("supportsAllDrives") || c.flag("supportsTeamDrives")) {
		invalidParam(c.w, "includeItemsFromAllDrives", "The includeItemsFromAllDrives parameter can only be set to true when supportsAllDrives is also set to true.")
		return
	}
	switch corp := c.q.Get("corpora"); corp {
	case "", "user", "domain":
	case "allDrives":
		if !allDrives {
			invalidParam(c.w, "corpora", "The includeItemsFromAllDrives parameter must be set to true when corpora is set to allDrives.")
			return
		}
	case "drive":
		if c.q.Get("driveId") == "" || !allDrives {
			invalidParam(c.w, "driveId", "The driveId parameter must be specified if and only if corpora is set to drive.")
			return
		}
	default:
		invalidParam(c.w, "corpora", "Invalid Value")
		return
	}
	terms, err := parseQuery(c.q.Get("q"))
	if err != nil {
		writeError(c.w, http.StatusBadRequest, "Invalid Value", apiErr{Domain: "global", Reason: "invalid", Location: "q", LocationType: "parameter"})
		return
	}
	queryKey := c.q.Get("q") + "|" + c.q.Get("corpora") + "|" + strconv.FormatBool(allDrives)
	offset := 0
	if tok := c.q.Get("pageToken"); tok != "" {
		if offset, ok = s.parsePageToken(queryKey, tok); !ok {
			writeError(c.w, http.StatusBadRequest, "Invalid Value", apiErr{Domain: "global", Reason: "invalid", Location: "pageToken", LocationType: "parameter"})
			return
		}
	}
	for _, t := range terms {
		if t.field != "parents" {
			continue
		}
		s.mu.Lock()
		parent := s.files[t.value]
		s.mu.Unlock()
		if parent != nil && !c.keyed(parent) {
			// The folder is named without its resource key: nothing in it
			// is found.
			terms = append(terms, term{field: "nothing"})
		}
	}
	s.mu.Lock()
	var cands []*file
	for _, id := range s.order {
		f := s.files[id]
		if f == nil || (f.driveID != "" && !allDrives) {
			continue
		}
		if c.q.Get("corpora") == "drive" && f.driveID != c.q.Get("driveId") {
			continue
		}
		if matches(f, terms) {
			cands = append(cands, f)
		}
	}
	s.mu.Unlock()
	var hits []*file
	for _, f := range cands {
		if !f.othersRoot || s.reachable(f) {
			hits = append(hits, f)
		}
	}
	if offset > len(hits) {
		offset = len(hits)
	}
	end := min(offset+pageSize, len(hits))
	files := make([]any, 0, end-offset)
	for _, f := range hits[offset:end] {
		files = append(files, s.fileJSON(f))
	}
	out := map[string]any{"kind": "drive#fileList", "incompleteSearch": false, "files": files}
	if end < len(hits) {
		out["nextPageToken"] = s.pageToken(queryKey, end)
	}
	writeJSON(c.w, m.apply(out))
}

// parseQuery understands the subset of Drive's query language Ferry uses:
// terms joined by "and": 'ID' in parents, trashed = bool, name contains
// 'x', name = 'x', mimeType = / != 'x', sharedWithMe.
func parseQuery(q string) ([]term, error) {
	toks, err := tokenize(q)
	if err != nil {
		return nil, err
	}
	var terms []term
	for len(toks) > 0 {
		switch {
		case len(toks) >= 3 && toks[0].str && toks[1].text == "in" && toks[2].text == "parents":
			terms = append(terms, term{field: "parents", op: "in", value: toks[0].text})
			toks = toks[3:]
		case len(toks) >= 1 && toks[0].text == "sharedWithMe" && !toks[0].str:
			terms = append(terms, term{field: "sharedWithMe"})
			toks = toks[1:]
		case len(toks) >= 3 && !toks[0].str:
			t := term{field: toks[0].text, op: toks[1].text, value: toks[2].text}
			switch {
			case t.field == "trashed" && t.op == "=" && !toks[2].str && (t.value == "true" || t.value == "false"):
			case t.field == "name" && (t.op == "contains" || t.op == "=" || t.op == "!=") && toks[2].str:
			case t.field == "mimeType" && (t.op == "=" || t.op == "!=") && toks[2].str:
			default:
				return nil, fmt.Errorf("unsupported term %v", t)
			}
			terms = append(terms, t)
			toks = toks[3:]
		default:
			return nil, fmt.Errorf("bad query")
		}
		if len(toks) > 0 {
			if toks[0].str || !strings.EqualFold(toks[0].text, "and") || len(toks) == 1 {
				return nil, fmt.Errorf("expected and")
			}
			toks = toks[1:]
		}
	}
	return terms, nil
}

type qtoken struct {
	text string
	str  bool
}

func tokenize(q string) ([]qtoken, error) {
	var out []qtoken
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '\'':
			var b strings.Builder
			i++
			closed := false
			for i < len(q) {
				if q[i] == '\\' && i+1 < len(q) {
					b.WriteByte(q[i+1])
					i += 2
					continue
				}
				if q[i] == '\'' {
					closed = true
					i++
					break
				}
				b.WriteByte(q[i])
				i++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated string")
			}
			out = append(out, qtoken{text: b.String(), str: true})
		case c == '=' || c == '!':
			if c == '!' {
				if i+1 >= len(q) || q[i+1] != '=' {
					return nil, fmt.Errorf("bad operator")
				}
				out = append(out, qtoken{text: "!="})
				i += 2
				continue
			}
			out = append(out, qtoken{text: "="})
			i++
		default:
			j := i
			for j < len(q) && q[j] != ' ' && q[j] != '=' && q[j] != '!' && q[j] != '\'' {
				j++
			}
			out = append(out, qtoken{text: q[i:j]})
			i = j
		}
	}
	return out, nil
}

func matches(f *file, terms []term) bool {
	for _, t := range terms {
		switch t.field {
		case "parents":
			if !slices.Contains(f.parents, t.value) {
				return false
			}
		case "trashed":
			if strconv.FormatBool(f.trashed) != t.value {
				return false
			}
		case "sharedWithMe":
			if !f.sharedWithMe {
				return false
			}
		case "nothing":
			return false
		case "name":
			switch t.op {
			case "=":
				if f.name != t.value {
					return false
				}
			case "!=":
				if f.name == t.value {
					return false
				}
			case "contains":
				if !namePrefixMatch(f.name, t.value) {
					return false
				}
			}
		case "mimeType":
			if (f.mimeType == t.value) != (t.op == "=") {
				return false
			}
		}
	}
	return true
}

// namePrefixMatch is Drive's "name contains": prefix matching on the name
// and on each word in it ("Hello" finds HelloWorld; "World" does not).
func namePrefixMatch(name, q string) bool {
	n, p := strings.ToLower(name), strings.ToLower(q)
	if p == "" {
		return true
	}
	for i, r := range n {
		if i == 0 || !isWordRune(prevRune(n, i)) {
			if strings.HasPrefix(n[i:], p) {
				return true
			}
		}
		_ = r
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func prevRune(s string, i int) rune {
	r := []rune(s[:i])
	return r[len(r)-1]
}

// --- files.get ---

func (s *Server) filesGet(c *call) {
	f, ok := s.lookup(c)
	if !ok {
		return
	}
	switch c.q.Get("alt") {
	case "", "json":
	case "media":
		s.media(c, f)
		return
	default:
		invalidParam(c.w, "alt", "Invalid value for alt")
		return
	}
	m, ok := fieldsMask(c, fileSchema, false)
	if !ok {
		return
	}
	if m == nil {
		m = defaultFileFields
	}
	writeJSON(c.w, m.apply(s.fileJSON(f)))
}

func (s *Server) media(c *call, f *file) {
	if !hasScope(c.scope, ScopeDrive, ScopeDriveReadonly) {
		insufficientScopes(c.w)
		return
	}
	if f.mimeType == FolderMIME || strings.HasPrefix(f.mimeType, exportPrefix) {
		writeError(c.w, http.StatusForbidden, "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
			apiErr{Domain: "global", Reason: "fileNotDownloadable", Location: "alt", LocationType: "parameter"})
		return
	}
	s.mu.Lock()
	data := f.content
	mod := f.modified
	abusive, noDownload := f.abusive, f.noDownload
	s.mu.Unlock()
	if noDownload {
		writeError(c.w, http.StatusForbidden, "The user does not have permission to download this file.",
			apiErr{Domain: "global", Reason: "cannotDownloadFile"})
		return
	}
	// files.get reference, acknowledgeAbuse: "Whether the user is
	// acknowledging the risk of downloading known malware or other abusive
	// files"; without it such a file answers 403 cannotDownloadAbusiveFile.
	if abusive && !c.flag("acknowledgeAbuse") {
		writeError(c.w, http.StatusForbidden, "This file has been identified as malware or spam and cannot be downloaded.",
			apiErr{Domain: "global", Reason: "cannotDownloadAbusiveFile"})
		return
	}
	c.w.Header().Set("Content-Type", f.mimeType)
	http.ServeContent(c.w, c.r, "", mod, bytes.NewReader(data))
}

// exportFormats are the formats each Docs Editors type exports to.
var exportFormats = map[string][]string{
	DocMIME:     {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/pdf", "text/plain", "application/rtf", "application/vnd.oasis.opendocument.text"},
	SheetMIME:   {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf", "text/csv", "application/x-vnd.oasis.opendocument.spreadsheet"},
	SlidesMIME:  {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "application/pdf", "text/plain"},
	DrawingMIME: {"image/png", "image/jpeg", "image/svg+xml", "application/pdf"},
}

// ExportContent is what the fake answers for an export of the file named
// name to mimeType (PNG drawings are a real 64×48 PNG).
func ExportContent(name, mimeType string) []byte {
	if mimeType == "image/png" {
		return pngOf(64, 48)
	}
	return []byte(fmt.Sprintf("%s exported as %s\n", name, mimeType))
}

func (s *Server) filesExport(c *call) {
	if !hasScope(c.scope, ScopeDrive, ScopeDriveReadonly) {
		insufficientScopes(c.w)
		return
	}
	mt := c.q.Get("mimeType")
	if mt == "" {
		writeError(c.w, http.StatusBadRequest, "Required parameter: mimeType",
			apiErr{Domain: "global", Reason: "required", Location: "mimeType", LocationType: "parameter"})
		return
	}
	id := c.r.PathValue("fileId")
	s.mu.Lock()
	f := s.files[id]
	s.mu.Unlock()
	if f == nil || !c.visible(f) || !c.keyed(f) {
		notFound(c.w, id)
		return
	}
	formats, ok := exportFormats[f.mimeType]
	if !ok {
		writeError(c.w, http.StatusForbidden, "Export only supports Docs Editors files.",
			apiErr{Domain: "global", Reason: "fileNotExportable"})
		return
	}
	if !slices.Contains(formats, mt) {
		writeError(c.w, http.StatusBadRequest, "The requested conversion is not supported.",
			apiErr{Domain: "global", Reason: "badRequest", Location: "convertTo", LocationType: "parameter"})
		return
	}
	s.mu.Lock()
	size := f.exportSize
	s.mu.Unlock()
	if size > ExportLimit {
		writeError(c.w, http.StatusForbidden, "This file is too large to be exported.",
			apiErr{Domain: "global", Reason: "exportSizeLimitExceeded"})
		return
	}
	c.w.Header().Set("Content-Type", mt)
	_, _ = c.w.Write(ExportContent(f.name, mt))
}

// ExportLimit is files.export's cap: "the exported content is limited to
// 10MB" (files.export reference); larger documents download through the
// file's exportLinks.
const ExportLimit = 10 << 20

// exportLink serves a URL of a file's exportLinks: the bearer token and the
// resource key as for the API, no size cap.
func (s *Server) exportLink(c *call) {
	id := c.r.PathValue("fileId")
	s.mu.Lock()
	f := s.files[id]
	s.mu.Unlock()
	if f == nil || (f.othersRoot && !s.reachable(f)) || !c.keyed(f) {
		notFound(c.w, id)
		return
	}
	mt := c.q.Get("mimeType")
	if !slices.Contains(exportFormats[f.mimeType], mt) {
		writeError(c.w, http.StatusBadRequest, "The requested conversion is not supported.", apiErr{Domain: "global", Reason: "badRequest"})
		return
	}
	c.w.Header().Set("Content-Type", mt)
	_, _ = c.w.Write(ExportContent(f.name, mt))
}

// --- about.get, drives.list ---

func (s *Server) aboutGet(c *call) {
	m, ok := fieldsMask(c, aboutSchema, true)
	if !ok {
		return
	}
	s.mu.Lock()
	u := s.user
	var used int
	for _, f := range s.files {
		used += len(f.content)
	}
	s.mu.Unlock()
	about := map[string]any{
		"kind": "drive#about",
		"user": map[string]any{"kind": "drive#user", "displayName": u.DisplayName, "me": true,
			"permissionId": u.PermissionID, "emailAddress": u.EmailAddress, "photoLink": s.URL + "/photo.jpg"},
		"storageQuota": map[string]any{"limit": "16106127360", "usage": strconv.Itoa(used),
			"usageInDrive": strconv.Itoa(used), "usageInDriveTrash": "0"},
	}
	writeJSON(c.w, m.apply(about))
}

func (s *Server) drivesList(c *call) {
	m, ok := fieldsMask(c, driveListSchema, false)
	if !ok {
		return
	}
	if m == nil {
		m = mask{"kind": nil, "nextPageToken": nil, "drives": mask{"kind": nil, "id": nil, "name": nil}}
	}
	pageSize := 10
	if v := c.q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			invalidParam(c.w, "pageSize", fmt.Sprintf("Invalid value '%s'. Values must be within the range: [1, 100]", v))
			return
		}
		pageSize = n
	}
	pageSize = min(pageSize, s.pageSize)
	offset := 0
	if tok := c.q.Get("pageToken"); tok != "" {
		var ok bool
		if offset, ok = s.parsePageToken("drives", tok); !ok {
			writeError(c.w, http.StatusBadRequest, "Invalid Value", apiErr{Domain: "global", Reason: "invalid", Location: "pageToken", LocationType: "parameter"})
			return
		}
	}
	s.mu.Lock()
	ids := append([]string(nil), s.drives...)
	var drives []any
	end := min(offset+pageSize, len(ids))
	for _, id := range ids[min(offset, end):end] {
		drives = append(drives, map[string]any{"kind": "drive#drive", "id": id, "name": s.files[id].name, "hidden": false,
			"createdTime": s.files[id].created.UTC().Format(time.RFC3339)})
	}
	s.mu.Unlock()
	out := map[string]any{"kind": "drive#driveList", "drives": drives}
	if end < len(ids) {
		out["nextPageToken"] = s.pageToken("drives", end)
	}
	writeJSON(c.w, m.apply(out))
}

// --- thumbnails (lh3.googleusercontent.com's role) ---

// thumbnail serves /thumb/<id>=s<N>: a PNG whose longer side is N, to a
// request that carries a valid bearer token.
func (s *Server) thumbnail(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	link := r.PathValue("link")
	id, size, ok := strings.Cut(link, "=s")
	n, err := strconv.Atoi(size)
	s.mu.Lock()
	f := s.files[id]
	s.mu.Unlock()
	if !ok || err != nil || n < 1 || f == nil || !s.hasThumbnail(f) {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	n = min(n, 1600)
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(pngOf(n, max(1, n*3/4)))
}

func pngOf(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
