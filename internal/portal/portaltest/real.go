package portaltest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// XdgDesktopPortal is where Debian's xdg-desktop-portal package puts the
// real portal frontend.
const XdgDesktopPortal = "/usr/libexec/xdg-desktop-portal"

// backendName is the bus name of Backend; the frontend finds it through a
// .portal file naming it.
const backendName = "org.ferry.Test.PortalBackend"

// ImplCall is one org.freedesktop.impl.portal.FileChooser.OpenFile call
// the real frontend made to the backend.
type ImplCall struct {
	Handle       dbus.ObjectPath
	AppID        string
	ParentWindow string
	Title        string
	Options      map[string]dbus.Variant
}

// Bool returns the boolean option name (false when absent).
func (c ImplCall) Bool(name string) bool {
	b, _ := c.Options[name].Value().(bool)
	return b
}

// Bytes returns the byte-string option name (nil when absent).
func (c ImplCall) Bytes(name string) []byte {
	b, _ := c.Options[name].Value().([]byte)
	return b
}

// Backend is a portal backend (what xdg-desktop-portal-gtk or -gnome are)
// whose file chooser answers at once, without a person: the real frontend
// runs in front of it.
type Backend struct {
	answer func(ImplCall) Reply
	mu     sync.Mutex
	calls  []ImplCall
}

// Calls returns the OpenFile calls the frontend made so far.
func (b *Backend) Calls() []ImplCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]ImplCall(nil), b.calls...)
}

type implChooser struct{ b *Backend }

// OpenFile is org.freedesktop.impl.portal.FileChooser.OpenFile
// (IN o handle, IN s app_id, IN s parent_window, IN s title, IN a{sv}
// options, OUT u response, OUT a{sv} results).
func (c implChooser) OpenFile(handle dbus.ObjectPath, appID, parent, title string, options map[string]dbus.Variant) (uint32, map[string]dbus.Variant, *dbus.Error) {
	call := ImplCall{Handle: handle, AppID: appID, ParentWindow: parent, Title: title, Options: options}
	c.b.mu.Lock()
	c.b.calls = append(c.b.calls, call)
	c.b.mu.Unlock()
	r := c.b.answer(call)
	results := map[string]dbus.Variant{}
	if r.Response == 0 {
		results["uris"] = dbus.MakeVariant(append([]string{}, r.URIs...))
	}
	return r.Response, results, nil
}

// StartXdgDesktopPortal runs Debian's real xdg-desktop-portal on the bus
// at address, in front of a Backend answering with answer, and returns
// once the frontend owns org.freedesktop.portal.Desktop. Both stop when
// the test ends.
func StartXdgDesktopPortal(t testing.TB, address string, answer func(ImplCall) Reply) *Backend {
	t.Helper()
	if _, err := os.Stat(XdgDesktopPortal); err != nil {
		t.Fatalf("xdg-desktop-portal not found (scripts/install-deps.sh test installs it): %v", err)
	}
	b := &Backend{answer: answer}
	conn, err := dbus.Connect(address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Export(implChooser{b}, "/org/freedesktop/portal/desktop", "org.freedesktop.impl.portal.FileChooser"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(backendName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("portal backend: own %s: %v (reply %d)", backendName, err, reply)
	}

	// The frontend (1.16) picks backends from .portal files in
	// XDG_DESKTOP_PORTAL_DIR whose UseIn names the current desktop.
	dir := t.TempDir()
	portalFile := "[portal]\nDBusName=" + backendName + "\nInterfaces=org.freedesktop.impl.portal.FileChooser\nUseIn=ferrytest\n"
	if err := os.WriteFile(filepath.Join(dir, "ferrytest.portal"), []byte(portalFile), 0o644); err != nil {
		t.Fatal(err)
	}
	// Watch for the frontend taking its name before starting it.
	owned := make(chan *dbus.Signal, 16)
	conn.Signal(owned)
	if err := conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, "org.freedesktop.portal.Desktop")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, XdgDesktopPortal, "--verbose")
	cmd.Env = append(os.Environ(),
		"DBUS_SESSION_BUS_ADDRESS="+address,
		"XDG_DESKTOP_PORTAL_DIR="+dir,
		"XDG_CURRENT_DESKTOP=ferrytest",
		"XDG_RUNTIME_DIR="+dir, // no document portal or FUSE mount of the person's session
		"GIO_USE_VFS=local",
	)
	var logs bytes.Buffer // read only after Wait
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start xdg-desktop-portal: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-exited
		if t.Failed() {
			t.Logf("xdg-desktop-portal: %s", logs.String())
		}
	})
	timeout := time.NewTimer(30 * time.Second) // a hung start fails the test instead of hanging it
	defer timeout.Stop()
	for {
		select {
		case sig := <-owned:
			if len(sig.Body) == 3 && sig.Body[0] == "org.freedesktop.portal.Desktop" && sig.Body[2] != "" {
				conn.RemoveSignal(owned)
				return b
			}
		case err := <-exited:
			exited <- err
			t.Fatalf("xdg-desktop-portal exited: %v", err)
		case <-timeout.C:
			t.Fatal("xdg-desktop-portal did not take its bus name within 30 s")
		}
	}
}
