package fakedropbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

var knownScopes = []string{ScopeMetadataRead, ScopeContentRead, ScopeAccountRead, "files.content.write", "files.metadata.write", "sharing.read"}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>API Request Authorization - Dropbox</title></head>
<body>
<h1>Fake Dropbox: allow access?</h1>
<p>{{.App}} would like to: {{.Scope}}</p>
<form method="post" action="/oauth2/authorize">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<button id="allow" name="decision" value="allow">Allow</button>
<button id="deny" name="decision" value="deny">Cancel</button>
</form>
{{if .Press}}<script>document.getElementById({{.Press}}).click();</script>{{end}}
</body></html>
`))

func errorPage(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte("<!doctype html><title>Error</title><p>" + template.HTMLEscapeString(msg) + "</p>"))
}

// authParams validates an authorization request: a bad app or redirect
// URI is shown on an error page, never redirected.
func (s *Server) authParams(v url.Values) (*url.URL, string) {
	s.mu.Lock()
	app := s.apps[v.Get("client_id")]
	s.mu.Unlock()
	if app == nil {
		return nil, "Invalid client_id: " + v.Get("client_id")
	}
	if !slices.Contains(app.RedirectURIs, v.Get("redirect_uri")) {
		return nil, "Invalid redirect_uri. It must exactly match one of the redirect URIs you've pre-configured for your app (including the path)."
	}
	u, err := url.Parse(v.Get("redirect_uri"))
	if err != nil {
		return nil, "Invalid redirect_uri."
	}
	if v.Get("response_type") != "code" {
		return nil, `Invalid response_type: expected "code".`
	}
	switch v.Get("token_access_type") {
	case "", "online", "offline", "legacy":
	default:
		return nil, "Invalid token_access_type."
	}
	for _, sc := range strings.Fields(v.Get("scope")) {
		if !slices.Contains(knownScopes, sc) {
			return nil, "Invalid scope: " + sc
		}
	}
	if ch := v.Get("code_challenge"); ch != "" {
		if m := v.Get("code_challenge_method"); m != "S256" && m != "plain" {
			return nil, "Invalid code_challenge_method: must be S256 or plain."
		}
		if len(ch) < 43 || len(ch) > 128 {
			return nil, "Invalid code_challenge."
		}
	}
	return u, ""
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	if _, msg := s.authParams(v); msg != "" {
		errorPage(w, msg)
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
	_ = consentPage.Execute(w, map[string]any{"App": v.Get("client_id"), "Scope": v.Get("scope"), "Params": params, "Press": press})
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, "Bad request.")
		return
	}
	v := r.PostForm
	u, msg := s.authParams(v)
	if msg != "" {
		errorPage(w, msg)
		return
	}
	q := u.Query()
	q.Set("state", v.Get("state"))
	if v.Get("decision") != "allow" {
		q.Set("error", "access_denied")
		q.Set("error_description", "The user chose not to give your app access to their Dropbox account.")
	} else {
		code := randomToken("")
		scope := v.Get("scope")
		if scope == "" {
			scope = strings.Join([]string{ScopeMetadataRead, ScopeContentRead, ScopeAccountRead}, " ")
		}
		s.mu.Lock()
		s.codes[code] = &grant{app: v.Get("client_id"), redirectURI: v.Get("redirect_uri"), scope: scope,
			challenge: v.Get("code_challenge"), method: v.Get("code_challenge_method"),
			offline: v.Get("token_access_type") == "offline", expires: time.Now().Add(10 * time.Minute)}
		s.mu.Unlock()
		q.Set("code", code)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func tokenError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// token is /oauth2/token: authorization_code (PKCE, or the app secret) and
// refresh_token grants.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		tokenError(w, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request", "malformed body")
		return
	}
	f := r.PostForm
	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		clientID, secret = u, p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	app := s.apps[clientID]
	if app == nil {
		tokenError(w, "invalid_client", "Invalid client_id or client_secret")
		return
	}
	if secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(app.Secret)) != 1 {
		tokenError(w, "invalid_client", "Invalid client_id or client_secret")
		return
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		code := f.Get("code")
		g := s.codes[code]
		delete(s.codes, code)
		if g == nil || time.Now().After(g.expires) || g.app != clientID {
			tokenError(w, "invalid_grant", "code doesn't exist or has expired")
			return
		}
		if g.redirectURI != f.Get("redirect_uri") {
			tokenError(w, "invalid_grant", "redirect_uri mismatch")
			return
		}
		if g.challenge != "" {
			ver := f.Get("code_verifier")
			got := ver
			if g.method == "S256" {
				sum := sha256.Sum256([]byte(ver))
				got = base64.RawURLEncoding.EncodeToString(sum[:])
			}
			if ver == "" || subtle.ConstantTimeCompare([]byte(got), []byte(g.challenge)) != 1 {
				tokenError(w, "invalid_grant", "invalid code verifier")
				return
			}
		} else if secret == "" {
			tokenError(w, "invalid_request", "No auth function available for given request")
			return
		}
		rt := &tokenInfo{app: clientID, scope: g.scope}
		refresh := ""
		if g.offline {
			refresh = randomToken("")
			s.refresh[refresh] = rt
		}
		out := map[string]any{"access_token": s.issueAccessLocked(rt, refresh), "token_type": "bearer",
			"expires_in": int(s.lifetime.Seconds()), "scope": g.scope, "uid": "12345", "account_id": s.account.AccountID}
		if refresh != "" {
			out["refresh_token"] = refresh
		}
		writeJSONStatus(w, http.StatusOK, out)
	case "refresh_token":
		rtok := f.Get("refresh_token")
		rt := s.refresh[rtok]
		if rt == nil || rt.revoked || rt.app != clientID {
			tokenError(w, "invalid_grant", "refresh token is invalid or revoked")
			return
		}
		writeJSONStatus(w, http.StatusOK, map[string]any{"access_token": s.issueAccessLocked(rt, rtok),
			"token_type": "bearer", "expires_in": int(s.lifetime.Seconds())})
	default:
		tokenError(w, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
}
