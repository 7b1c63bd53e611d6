package app

import (
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/box"
	"github.com/ferry-app/ferry/providers/dropbox"
	"github.com/ferry-app/ferry/providers/gdrive"
	"github.com/ferry-app/ferry/providers/local"
	"github.com/ferry-app/ferry/providers/onedrive"
	"github.com/ferry-app/ferry/providers/webdav"
)

// Kinds is the one list of source kinds Ferry knows, so the command line
// and the window agree.
func Kinds() *providers.Registry {
	return providers.NewRegistry(
		local.Kind,    // This Computer
		webdav.Kind,   // WebDAV / Nextcloud
		gdrive.Kind,   // Google Drive
		dropbox.Kind,  // Dropbox
		onedrive.Kind, // OneDrive (Microsoft Graph)
		box.Kind,      // Box
	)
}
