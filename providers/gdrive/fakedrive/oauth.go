package fakedrive

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// knownScopes are the scopes the consent page grants.
var knownScopes = []string{ScopeDrive, ScopeDriveReadonly, ScopeDriveMetadata,
	"openid", "email", "profile", "https://www.googleapis.com/auth/userinfo.email", "https://www.googleapis.com/auth/userinfo.profile"}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in - Google Accounts</title></head>
<body>
<h1>Fake Google: allow access?</h1>
<p>{{.Client}} wants to see your Google Drive files ({{.Scope}}).</p>
<form method="post" action="/o/oauth2/v2/auth">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<button id="allow" name="decision" value="allow">Allow</button>
<button id="deny" name="decision" value="deny">Cancel</button>
</form>
{{if .Press}}<script>document.getElementById({{.Press}}).click();</script>{{end}}
</body></html>
`))

// authParams validates an authorization request. A problem with the client
// or redirect URI is shown on Google's error page (never redirected); the
// others go back to the client as error=... on the redirect URI.
func (s *Server) authParams(v url.Values) (redirect *url.URL, pageErr, redirectErr string) {
	s.mu.Lock()
	_, known := s.clients[v.Get("client_id")]
	s.mu.Unlock()
	if !known {
		return nil, "Error 401: invalid_client. The OAuth client was not found.", ""
	}
	u, err := url.Parse(v.Get("redirect_uri"))
	if err != nil || u.Scheme != "http" || !isLoopback(u.Hostname()) || u.Fragment != "" {
		return nil, "Error 400: redirect_uri_mismatch. Desktop clients must use a loopback redirect URI.", ""
	}
	if v.Get("response_type") != "code" {
		return u, "", "unsupported_response_type"
	}
	scopes := strings.Fields(v.Get("scope"))
	if len(scopes) == 0 {
		return nil, "Error 400: invalid_request. Missing required parameter: scope", ""
	}
	for _, sc := range scopes {
		if !slices.Contains(knownScopes, sc) {
			return nil, "Error 400: invalid_scope. Some requested scopes were invalid.", ""
		}
	}
	if ch := v.Get("code_challenge"); ch != "" {
		if m := v.Get("code_challenge_method"); m != "" && m != "S256" && m != "plain" {
			return nil, "Error 400: invalid_request. Invalid code_challenge_method.", ""
		}
		if len(ch) < 43 || len(ch) > 128 {
			return nil, "Error 400: invalid_request. Invalid code_challenge.", ""
		}
	}
	if at := v.Get("access_type"); at != "" && at != "online" && at != "offline" {
		return nil, "Error 400: invalid_request. Invalid access_type: " + at, ""
	}
	return u, "", ""
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func errorPage(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte("<!doctype html><title>Error</title><p>Access blocked: " + template.HTMLEscapeString(msg) + "</p>"))
}

func redirectWith(w http.ResponseWriter, r *http.Request, u *url.URL, params url.Values) {
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// authorize shows the consent page.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	u, pageErr, redirErr := s.authParams(v)
	if pageErr != "" {
		errorPage(w, pageErr)
		return
	}
	if redirErr != "" {
		redirectWith(w, r, u, url.Values{"error": {redirErr}, "state": {v.Get("state")}})
		return
	}
	params := map[string]string{}
	for k := range v {
		params[k] = v.Get(k)
	}
	press := ""
	switch {
	case s.Deny:
		press = "deny"
	case s.AutoApprove:
		press = "allow"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = consentPage.Execute(w, map[string]any{"Client": v.Get("client_id"), "Scope": v.Get("scope"), "Params": params, "Press": press})
}

// approve takes the consent form's post and redirects with a code.
func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, "Error 400: invalid_request.")
		return
	}
	v := r.PostForm
	u, pageErr, redirErr := s.authParams(v)
	if pageErr != "" {
		errorPage(w, pageErr)
		return
	}
	if redirErr != "" {
		redirectWith(w, r, u, url.Values{"error": {redirErr}, "state": {v.Get("state")}})
		return
	}
	if v.Get("decision") != "allow" {
		redirectWith(w, r, u, url.Values{"error": {"access_denied"}, "state": {v.Get("state")}})
		return
	}
	clientID := v.Get("client_id")
	code := randomToken("4/0A")
	s.mu.Lock()
	// Google's OAuth guide for installed apps: a refresh token comes with
	// the first consent a user gives a client for offline access, or with
	// prompt=consent; a user who consented before (on another machine, to
	// another Ferry remote) gets an access token only. Consent is per user.
	consentKey := clientID + "\x00" + s.user.PermissionID
	offline := v.Get("access_type") == "offline" &&
		(!s.consented[consentKey] || slices.Contains(strings.Fields(v.Get("prompt")), "consent"))
	if v.Get("access_type") == "offline" {
		s.consented[consentKey] = true
	}
	method := v.Get("code_challenge_method")
	if method == "" && v.Get("code_challenge") != "" {
		method = "plain"
	}
	s.codes[code] = &grant{clientID: clientID, redirectURI: v.Get("redirect_uri"), scope: v.Get("scope"),
		challenge: v.Get("code_challenge"), method: method, offline: offline, expires: time.Now().Add(10 * time.Minute)}
	s.mu.Unlock()
	redirectWith(w, r, u, url.Values{"state": {v.Get("state")}, "code": {code}, "scope": {v.Get("scope")}, "authuser": {"0"}, "prompt": {"consent"}})
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// token is Google's token endpoint: authorization_code (with PKCE) and
// refresh_token grants; client_id and client_secret in the body or as
// HTTP Basic.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		tokenError(w, http.StatusBadRequest, "invalid_request", "Bad Request")
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "Bad Request")
		return
	}
	f := r.PostForm
	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		clientID, secret = u, p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want, known := s.clients[clientID]
	if clientID == "" {
		tokenError(w, http.StatusBadRequest, "invalid_request", "Could not determine client ID from request.")
		return
	}
	if !known {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return
	}
	if secret == "" {
		tokenError(w, http.StatusBadRequest, "invalid_request", "client_secret is missing.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(want)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "Unauthorized")
		return
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		code := f.Get("code")
		if code == "" {
			tokenError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: code")
			return
		}
		g := s.codes[code]
		delete(s.codes, code) // single use, whatever happens next
		if g == nil || time.Now().After(g.expires) || g.clientID != clientID {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "Malformed auth code.")
			return
		}
		if f.Get("redirect_uri") != g.redirectURI {
			tokenError(w, http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request")
			return
		}
		if g.challenge != "" {
			ver := f.Get("code_verifier")
			if ver == "" {
				tokenError(w, http.StatusBadRequest, "invalid_grant", "Missing code verifier.")
				return
			}
			got := ver
			if g.method == "S256" {
				sum := sha256.Sum256([]byte(ver))
				got = base64.RawURLEncoding.EncodeToString(sum[:])
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(g.challenge)) != 1 {
				tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid code verifier.")
				return
			}
		} else if f.Get("code_verifier") != "" {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "code_verifier or verifier is not needed.")
			return
		}
		rt := &tokenInfo{clientID: clientID, scope: g.scope}
		refresh := ""
		if g.offline {
			refresh = randomToken("1//")
			s.refresh[refresh] = rt
		}
		out := map[string]any{"access_token": s.issueAccessLocked(rt, refresh), "expires_in": int(s.lifetime.Seconds()),
			"scope": g.scope, "token_type": "Bearer"}
		if refresh != "" {
			out["refresh_token"] = refresh
		}
		writeTokenJSON(w, out)
	case "refresh_token":
		rtok := f.Get("refresh_token")
		rt := s.refresh[rtok]
		if rt == nil || rt.revoked || rt.clientID != clientID {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
			return
		}
		writeTokenJSON(w, map[string]any{"access_token": s.issueAccessLocked(rt, rtok), "expires_in": int(s.lifetime.Seconds()),
			"scope": rt.scope, "token_type": "Bearer"})
	case "":
		tokenError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type")
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+f.Get("grant_type"))
	}
}

func writeTokenJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

// revoke is Google's revocation endpoint: token in the form body (or the
// query). Revoking a refresh token revokes the access tokens it made.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	tok := r.Form.Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt := s.refresh[tok]; rt != nil && !rt.revoked {
		rt.revoked = true
	} else if at := s.access[tok]; at != nil && !at.revoked && time.Now().Before(at.expires) {
		at.revoked = true
		if rt := s.refresh[at.refresh]; rt != nil {
			rt.revoked = true
		}
	} else {
		tokenError(w, http.StatusBadRequest, "invalid_token", "Token expired or revoked")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write([]byte("{}"))
}

// Revoked reports whether a refresh token has been revoked (tests of
// sign-out).
func (s *Server) Revoked(refreshToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.refresh[refreshToken]
	return rt != nil && rt.revoked
}
