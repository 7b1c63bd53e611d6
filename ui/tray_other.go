//go:build !(linux || freebsd || openbsd || netbsd)

package ui

// trayHostReachable: Windows and macOS trays need no session bus.
func trayHostReachable() bool { return true }
