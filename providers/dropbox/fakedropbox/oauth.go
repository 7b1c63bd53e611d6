package fakedropbox

import (
	"crypto/subtle"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ferry-app/ferry/providers/providertest"
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
		scope := v.Get("scope")
		if scope == "" {
			scope = strings.Join([]string{ScopeMetadataRead, ScopeContentRead, ScopeAccountRead}, " ")
		}
		code := s.tokens.NewCode(providertest.Grant{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), Scope: scope,
			Challenge: v.Get("code_challenge"), Method: v.Get("code_challenge_method"), Offline: v.Get("token_access_type") == "offline"})
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
// refresh_token grants — the shared strict endpoint with Dropbox's rules.
func (s *Server) token(w http.ResponseWriter, r *http.Request) { s.tokens.ServeHTTP(w, r) }

// tokenPolicy: an app key with, optionally, its secret (required to redeem
// a code issued without PKCE); refresh tokens last and do not rotate;
// access tokens start "sl.".
func (s *Server) tokenPolicy() providertest.Policy {
	return providertest.Policy{
		Client: func(id, secret string, _ bool) (providertest.Failure, bool) {
			s.mu.Lock()
			app := s.apps[id]
			s.mu.Unlock()
			if app == nil || (secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(app.Secret)) != 1) {
				return providertest.BadClientSecret, false
			}
			return 0, true
		},
		SecretWithoutPKCE: true,
		AccessLifetime:    s.lifetime,
		AccessPrefix:      "sl.",
		Fail: func(w http.ResponseWriter, f providertest.Failure) {
			switch f {
			case providertest.BadRequest:
				tokenError(w, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
			case providertest.MissingClient, providertest.UnknownClient, providertest.BadClientSecret:
				tokenError(w, "invalid_client", "Invalid client_id or client_secret")
			case providertest.MissingClientSecret:
				tokenError(w, "invalid_request", "No auth function available for given request")
			case providertest.MissingCode, providertest.BadCode:
				tokenError(w, "invalid_grant", "code doesn't exist or has expired")
			case providertest.RedirectMismatch:
				tokenError(w, "invalid_grant", "redirect_uri mismatch")
			case providertest.MissingVerifier, providertest.BadVerifier, providertest.UnneededVerifier:
				tokenError(w, "invalid_grant", "invalid code verifier")
			case providertest.BadRefreshToken, providertest.SpentRefreshToken:
				tokenError(w, "invalid_grant", "refresh token is invalid or revoked")
			default:
				tokenError(w, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
			}
		},
		Answer: func(g providertest.Grant, out map[string]any) {
			out["token_type"] = "bearer"
			// A code exchange (a refresh token, or an online grant, which
			// never refreshes) also names the account.
			if _, withRefresh := out["refresh_token"]; withRefresh || !g.Offline {
				s.mu.Lock()
				out["uid"], out["account_id"] = "12345", s.account.AccountID
				s.mu.Unlock()
			} else {
				delete(out, "scope")
			}
		},
	}
}
