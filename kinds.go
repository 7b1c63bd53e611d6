package main

// Every source kind Ferry knows registers itself with providers on import;
// this file is the one list of them, so the CLI and the window agree.
import (
	_ "github.com/ferry-app/ferry/providers/box"      // Box
	_ "github.com/ferry-app/ferry/providers/dropbox"  // Dropbox
	_ "github.com/ferry-app/ferry/providers/gdrive"   // Google Drive
	_ "github.com/ferry-app/ferry/providers/local"    // This Computer
	_ "github.com/ferry-app/ferry/providers/onedrive" // OneDrive (Microsoft Graph)
	_ "github.com/ferry-app/ferry/providers/webdav"   // WebDAV / Nextcloud
)
