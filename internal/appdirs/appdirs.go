// Package appdirs names Ferry's per-user directories: configuration (the
// user config file and the encrypted token vault), data (the embedded
// backend's storage, the upload journal) and cache (thumbnails).
package appdirs

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

const name = "ferry"

// private is the folder used when the user's own folders are unknown (no
// home folder): made once per process by os.MkdirTemp, so its name cannot
// be guessed and claimed by another account beforehand, and mode 0700.
// Nothing there outlives the process's temp folder cleanup.
var private = sync.OnceValue(func() string {
	if d, err := os.MkdirTemp("", name+"-"); err == nil {
		return d
	}
	// Not even a temp folder: an unguessable name that callers create
	// themselves (with their own private modes) or fail to.
	return filepath.Join(os.TempDir(), name+"-"+rand.Text())
})

// ConfigDir is os.UserConfigDir()/ferry (without a home folder: a folder in
// a private temporary folder, see private).
func ConfigDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, name)
	}
	return filepath.Join(private(), "config")
}

// CacheDir is os.UserCacheDir()/ferry.
func CacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, name)
	}
	return filepath.Join(private(), "cache")
}

// DataDir is $XDG_DATA_HOME/ferry (default ~/.local/share/ferry) on Unix,
// ~/Library/Application Support/Ferry on macOS and %LocalAppData%\Ferry on
// Windows. Go has no os.UserDataDir, hence this function.
func DataDir() string {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "Ferry")
		}
	case "darwin":
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, "Library", "Application Support", "Ferry")
		}
	default:
		if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, name)
		}
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, ".local", "share", name)
		}
	}
	return filepath.Join(private(), "data")
}
