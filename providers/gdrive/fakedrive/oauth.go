package fakedrive

import (
	"crypto/subtle"
	"encoding/json"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ferry-app/ferry/providers/providertest"
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
	s.mu.Unlock()
	method := v.Get("code_challenge_method")
	if method == "" && v.Get("code_challenge") != "" {
		method = "plain"
	}
	code := s.tokens.NewCode(providertest.Grant{ClientID: clientID, RedirectURI: v.Get("redirect_uri"), Scope: v.Get("scope"),
		Challenge: v.Get("code_challenge"), Method: method, Offline: offline})
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
// HTTP Basic — the shared strict endpoint with Google's rules.
func (s *Server) token(w http.ResponseWriter, r *http.Request) { s.tokens.ServeHTTP(w, r) }

// tokenPolicy: every Google client sends its secret (a desktop client its
// published one), PKCE is plain or S256 and a verifier for a code without a
// challenge is refused, refresh tokens last and do not rotate.
func (s *Server) tokenPolicy() providertest.Policy {
	return providertest.Policy{
		Client: func(id, secret string, _ bool) (providertest.Failure, bool) {
			s.mu.Lock()
			want, known := s.clients[id]
			s.mu.Unlock()
			switch {
			case id == "":
				return providertest.MissingClient, false
			case !known:
				return providertest.UnknownClient, false
			case secret == "":
				return providertest.MissingClientSecret, false
			case subtle.ConstantTimeCompare([]byte(secret), []byte(want)) != 1:
				return providertest.BadClientSecret, false
			}
			return 0, true
		},
		RefuseUnneededVerifier: true,
		AccessLifetime:         s.lifetime,
		AccessPrefix:           "ya29.", RefreshPrefix: "1//",
		Fail: func(w http.ResponseWriter, f providertest.Failure) {
			switch f {
			case providertest.BadRequest:
				tokenError(w, http.StatusBadRequest, "invalid_request", "Bad Request")
			case providertest.MissingClient:
				tokenError(w, http.StatusBadRequest, "invalid_request", "Could not determine client ID from request.")
			case providertest.UnknownClient:
				tokenError(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
			case providertest.MissingClientSecret:
				tokenError(w, http.StatusBadRequest, "invalid_request", "client_secret is missing.")
			case providertest.BadClientSecret:
				tokenError(w, http.StatusUnauthorized, "invalid_client", "Unauthorized")
			case providertest.MissingGrantType:
				tokenError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type")
			case providertest.MissingCode:
				tokenError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: code")
			case providertest.BadCode:
				tokenError(w, http.StatusBadRequest, "invalid_grant", "Malformed auth code.")
			case providertest.RedirectMismatch:
				tokenError(w, http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request")
			case providertest.MissingVerifier:
				tokenError(w, http.StatusBadRequest, "invalid_grant", "Missing code verifier.")
			case providertest.BadVerifier:
				tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid code verifier.")
			case providertest.UnneededVerifier:
				tokenError(w, http.StatusBadRequest, "invalid_grant", "code_verifier or verifier is not needed.")
			case providertest.BadRefreshToken, providertest.SpentRefreshToken:
				tokenError(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
			default:
				tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type")
			}
		},
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
	if _, st := s.tokens.Check(tok); st == providertest.AccessExpired || !s.tokens.Revoke(tok) {
		tokenError(w, http.StatusBadRequest, "invalid_token", "Token expired or revoked")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write([]byte("{}"))
}

// Revoked reports whether a refresh token has been revoked (tests of
// sign-out).
func (s *Server) Revoked(refreshToken string) bool { return s.tokens.Revoked(refreshToken) }
