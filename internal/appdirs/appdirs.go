// Package appdirs names Ferry's per-user directories: configuration (the
// user config file and the encrypted token vault), data (the embedded
// backend's storage, the upload journal) and cache (thumbnails).
package appdirs

import (
	"os"
	"path/filepath"
	"runtime"
)

const name = "ferry"

// ConfigDir is os.UserConfigDir()/ferry.
func ConfigDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, name)
	}
	return filepath.Join(os.TempDir(), name+"-config")
}

// CacheDir is os.UserCacheDir()/ferry.
func CacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, name)
	}
	return filepath.Join(os.TempDir(), name+"-cache")
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
	return filepath.Join(os.TempDir(), name+"-data")
}
