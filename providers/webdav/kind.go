package webdav

import (
	"context"
	"net/http"

	"github.com/ferry-app/ferry/providers"
)

// Kind registers WebDAV with the providers registry: Settings.URL is the
// folder, Deps.User and Deps.Secret the login name and (app) password from
// the vault; no browser sign-in of the OAuth kind (Nextcloud's Login Flow v2
// is StartLogin, driven by the caller).
var Kind = providers.Kind{
	Type:  "webdav",
	Title: "WebDAV / Nextcloud",
	New: func(_ context.Context, s providers.Settings, d providers.Deps) (providers.Provider, error) {
		opts := Options{URL: s.URL, User: d.User, Password: d.Secret,
			Client: &providers.Client{Name: s.Name, Logger: d.Logger}}
		if d.Transport != nil {
			opts.HTTPClient = &http.Client{Transport: d.Transport}
		}
		return New(opts)
	},
}
