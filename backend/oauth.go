package backend

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ferry-app/ferry/backend/api"
)

// maxProviderAnswer caps a provider's token JSON passed back to the app.
const maxProviderAnswer = 64 << 10

// backendProvider returns the provider config for a code-exchange route, or
// an error when the provider is unknown or does its own (PKCE) exchange.
func (s *Server) backendProvider(name string) (ProviderConfig, error) {
	p, ok := s.cfg.Providers[name]
	if !ok || p.exchange() != api.ExchangeBackend {
		return p, errorf(http.StatusNotFound, api.CodeUnknownProvider, "this backend does no code exchange for %q", name)
	}
	return p, nil
}

// clientSecret reads the provider's secret from the environment. Only the
// variable's name is ever logged.
func (s *Server) clientSecret(name string, p ProviderConfig) (string, error) {
	sec := s.getenv(p.ClientSecretEnv)
	if sec == "" {
		s.log.Error("oauth: client secret missing from the environment", "provider", name, "env", p.ClientSecretEnv)
		return "", errorf(http.StatusServiceUnavailable, api.CodeInternal, "the backend has no client secret for %q", name)
	}
	return sec, nil
}

// readRequestFields reads a form or JSON object of string fields.
func readRequestFields(r *http.Request) (url.Values, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var m map[string]string
		if err := decodeJSON(r.Body, &m); err != nil {
			return nil, err
		}
		v := url.Values{}
		for k, x := range m {
			v.Set(k, x)
		}
		return v, nil
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errorf(http.StatusRequestEntityTooLarge, api.CodeTooLarge, "request body too large")
		}
		return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "invalid form body")
	}
	return r.PostForm, nil
}

// validVerifier reports whether v is an RFC 7636 code_verifier: 43 to 128
// characters of [A-Za-z0-9-._~].
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)) {
			return false
		}
	}
	return true
}

// checkLoopbackRedirect accepts only the redirect URIs Ferry's own sign-in
// uses (RFC 8252 loopback): http://127.0.0.1:<port>/oauth/cb/<provider>, the
// same on [::1], or on localhost, the loopback form Dropbox and Box document
// for registered redirect URIs. With ports configured (providers that match
// redirect URIs exactly), the port must be one of them. Anything else would
// let the backend redeem codes issued to some other site's redirect.
func checkLoopbackRedirect(raw, provider string, ports []int) error {
	bad := errorf(http.StatusBadRequest, api.CodeBadRequest,
		"redirect_uri must be Ferry's loopback callback http://127.0.0.1:<port>/oauth/cb/%s", provider)
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return bad
	}
	host := u.Hostname()
	if host != "localhost" && !isLoopbackHost(host) {
		return bad
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || port < 1 || port > 65535 {
		return bad
	}
	if u.EscapedPath() != "/oauth/cb/"+provider {
		return bad
	}
	if len(ports) > 0 && !slices.Contains(ports, port) {
		return errorf(http.StatusBadRequest, api.CodeBadRequest, "redirect_uri port %d is not one announced for %s", port, provider)
	}
	return nil
}

// tokenForm builds the form forwarded to the provider's token endpoint from
// the app's request: only the fields of the two grants we support, plus the
// configured client ID and secret (whatever the app sent for those is
// ignored). A code is redeemed only with a PKCE verifier and Ferry's
// loopback redirect URI, so the route is no open code-redemption service.
func tokenForm(in url.Values, provider string, p ProviderConfig, secret string) (url.Values, error) {
	clientID := p.ClientID
	out := url.Values{}
	switch gt := in.Get("grant_type"); gt {
	case "authorization_code":
		if in.Get("code") == "" || in.Get("redirect_uri") == "" {
			return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "authorization_code needs code and redirect_uri")
		}
		if !validVerifier(in.Get("code_verifier")) {
			return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "authorization_code needs a PKCE code_verifier (RFC 7636)")
		}
		if err := checkLoopbackRedirect(in.Get("redirect_uri"), provider, p.Ports); err != nil {
			return nil, err
		}
		for _, k := range []string{"code", "code_verifier", "redirect_uri"} {
			if v := in.Get(k); v != "" {
				out.Set(k, v)
			}
		}
	case "refresh_token":
		if in.Get("refresh_token") == "" {
			return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "refresh_token is required")
		}
		out.Set("refresh_token", in.Get("refresh_token"))
		if v := in.Get("scope"); v != "" {
			out.Set("scope", v)
		}
	default:
		return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "grant_type must be authorization_code or refresh_token")
	}
	for k, vs := range in {
		if len(vs) > 1 || len(vs[0]) > 8192 || len(k) > 64 {
			return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "malformed token request")
		}
	}
	out.Set("grant_type", in.Get("grant_type"))
	out.Set("client_id", clientID)
	out.Set("client_secret", secret)
	return out, nil
}

func (s *Server) handleOAuthToken(w http.ResponseWriter, r *http.Request, user string) {
	name := r.PathValue("provider")
	p, err := s.backendProvider(name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := readRequestFields(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	secret, err := s.clientSecret(name, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	form, err := tokenForm(in, name, p, secret)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, tokenURL(name, p), strings.NewReader(form.Encode()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	s.forward(w, r, name, "token", req, false)
}

func (s *Server) handleOAuthRevoke(w http.ResponseWriter, r *http.Request, user string) {
	name := r.PathValue("provider")
	p, err := s.backendProvider(name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := readRequestFields(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	token := in.Get("token")
	if token == "" || len(token) > 8192 {
		s.fail(w, r, errorf(http.StatusBadRequest, api.CodeBadRequest, "token is required"))
		return
	}
	revokeURL, style := p.RevokeURL, p.RevokeAuth
	if d, ok := providerDefaults[name]; ok {
		if revokeURL == "" {
			revokeURL = d.RevokeURL
		}
		if style == "" {
			style = d.RevokeAuth
		}
	}
	if revokeURL == "" {
		s.fail(w, r, errorf(http.StatusNotFound, api.CodeNotFound, "%q has no revocation endpoint", name))
		return
	}
	var req *http.Request
	if style == "bearer" {
		// Dropbox: the token to revoke is the request's own credential.
		req, err = http.NewRequestWithContext(r.Context(), http.MethodPost, revokeURL, nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	} else {
		secret, serr := s.clientSecret(name, p)
		if serr != nil {
			s.fail(w, r, serr)
			return
		}
		form := url.Values{"token": {token}, "client_id": {p.ClientID}, "client_secret": {secret}}
		if h := in.Get("token_type_hint"); h == "access_token" || h == "refresh_token" {
			form.Set("token_type_hint", h)
		}
		req, err = http.NewRequestWithContext(r.Context(), http.MethodPost, revokeURL, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req.Header.Set("Accept", "application/json")
	s.forward(w, r, name, "revoke", req, true)
}

// forward sends req to the provider and passes its answer through: status
// and JSON body for the token endpoint; {} on success for revoke. Nothing of
// either body is logged.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, provider, op string, req *http.Request, emptyOnSuccess bool) {
	resp, err := s.client.Do(req)
	if err != nil {
		// A url.Error holds the URL only (no body, no secret): log just the op.
		s.log.Warn("oauth: provider unreachable", "provider", provider, "op", op)
		writeError(w, http.StatusBadGateway, api.CodeUpstream, "the provider cannot be reached")
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProviderAnswer+1))
	if err != nil || len(body) > maxProviderAnswer {
		s.log.Warn("oauth: bad provider answer", "provider", provider, "op", op, "status", resp.StatusCode)
		writeError(w, http.StatusBadGateway, api.CodeUpstream, "the provider's answer could not be read")
		return
	}
	if resp.StatusCode >= 300 {
		s.log.Info("oauth: provider refused", "provider", provider, "op", op, "status", resp.StatusCode)
	}
	if emptyOnSuccess && resp.StatusCode < 300 {
		writeJSON(w, http.StatusOK, struct{}{})
		return
	}
	status := resp.StatusCode
	if status >= 500 {
		status = http.StatusBadGateway
	}
	if !json.Valid(body) {
		if resp.StatusCode < 300 {
			// Some token endpoints answer form-encoded despite Accept.
			if v, perr := url.ParseQuery(string(body)); perr == nil && v.Get("access_token") != "" {
				m := map[string]string{}
				for k := range v {
					m[k] = v.Get(k)
				}
				writeJSON(w, http.StatusOK, m)
				return
			}
		}
		writeError(w, http.StatusBadGateway, api.CodeUpstream, fmt.Sprintf("the provider answered %d without JSON", resp.StatusCode))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// providerDefaults are the token and revoke endpoints of well-known
// providers, by the names discovery uses and their vendors' names.
var providerDefaults = map[string]ProviderConfig{
	"gdrive":    {TokenURL: "https://oauth2.googleapis.com/token", RevokeURL: "https://oauth2.googleapis.com/revoke", RevokeAuth: "form"},
	"google":    {TokenURL: "https://oauth2.googleapis.com/token", RevokeURL: "https://oauth2.googleapis.com/revoke", RevokeAuth: "form"},
	"box":       {TokenURL: "https://api.box.com/oauth2/token", RevokeURL: "https://api.box.com/oauth2/revoke", RevokeAuth: "form"},
	"dropbox":   {TokenURL: "https://api.dropboxapi.com/oauth2/token", RevokeURL: "https://api.dropboxapi.com/2/auth/token/revoke", RevokeAuth: "bearer"},
	"onedrive":  {TokenURL: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"},
	"microsoft": {TokenURL: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"},
}

// tokenURL is the provider's token endpoint: the config's, else the default.
func tokenURL(name string, p ProviderConfig) string {
	u := p.TokenURL
	if u == "" {
		u = providerDefaults[name].TokenURL
	}
	tenant := p.Tenant
	if tenant == "" {
		tenant = "common"
	}
	return strings.ReplaceAll(u, "{tenant}", url.PathEscape(tenant))
}
