//go:build linux || freebsd || openbsd || netbsd

package ui

import (
	"os"

	"github.com/godbus/dbus/v5"
)

// trayHostReachable says whether a tray icon would be shown: on these
// systems a tray host (a StatusNotifierWatcher) answers on the D-Bus session
// bus. Ferry asks for a tray only then, because fyne.io/systray v1.12.0
// dereferences a nil connection when the app quits if it could not set the
// tray up (a panic, exit status 2, on every SIGTERM or Quit without a tray
// host). The bus is not autolaunched: that would leave a stray dbus-daemon.
func trayHostReachable() bool {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return false
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return false
	}
	defer conn.Close()
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}
