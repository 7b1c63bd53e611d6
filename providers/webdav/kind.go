package webdav

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ferry-app/ferry/providers"
)

// Kind registers WebDAV with the providers registry: Settings.URL is the
// folder (a Nextcloud …/remote.php/dav/files/ without the user is
// completed with the signed-in user's ID, see UserFolder), Deps.User and Deps.Secret the login name and (app) password from
// the vault; no browser sign-in of the OAuth kind (Nextcloud's Login Flow v2
// is StartLogin, driven by the caller).
var Kind = providers.Kind{
	Type:  "webdav",
	Title: "WebDAV / Nextcloud",
	New: func(ctx context.Context, s providers.Settings, d providers.Deps) (providers.Provider, error) {
		opts := Options{URL: s.URL, User: d.User, Password: d.Secret,
			Client: &providers.Client{Name: s.Name, Logger: d.Logger}}
		if d.Transport != nil {
			opts.HTTPClient = &http.Client{Transport: d.Transport}
		}
		if u, err := url.Parse(s.URL); err == nil && d.User != "" && needsUserFolder(u) {
			// A Nextcloud DAV root without the user: the folder is named by
			// the user ID the server reports, not by the login name.
			folder, err := UserFolder(ctx, u, opts)
			if err != nil {
				return nil, err
			}
			opts.URL = folder.String()
		}
		return New(opts)
	},
}
