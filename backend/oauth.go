package backend

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ferry-app/ferry/backend/api"
)

func (s *Server) handleOAuthToken(w http.ResponseWriter, r *http.Request, user string) {
	writeError(w, http.StatusNotFound, api.CodeUnknownProvider, "no such provider")
}

func (s *Server) handleOAuthRevoke(w http.ResponseWriter, r *http.Request, user string) {
	writeError(w, http.StatusNotFound, api.CodeUnknownProvider, "no such provider")
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
