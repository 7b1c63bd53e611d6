// Package portaltest runs a private D-Bus session bus (Debian's dbus-daemon)
// and a fake xdg-desktop-portal file chooser on it, for tests of code that
// asks the portal.
//
// The fake follows the documented interfaces, and where they leave
// something open, what xdg-desktop-portal's frontend does:
// https://flatpak.github.io/xdg-desktop-portal/docs/doc-org.freedesktop.portal.FileChooser.html
// https://flatpak.github.io/xdg-desktop-portal/docs/doc-org.freedesktop.portal.Request.html
package portaltest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

// busConfig is a session bus that lets its one user own and call anything,
// with no service activation: a name nobody owns is "not there".
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// StartBus starts a private dbus-daemon for the test and returns its
// address; it stops when the test ends. The daemon comes from Debian's
// dbus-daemon package (scripts/install-deps.sh test).
func StartBus(t testing.TB) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Fatalf("dbus-daemon not found (scripts/install-deps.sh test installs it): %v", err)
	}
	// A short directory: a unix socket path is limited to 108 bytes.
	dir, err := os.MkdirTemp("", "ferry-bus")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--print-address")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer // read only after Wait
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("dbus-daemon: %s", stderr.String())
		}
	})
	// The daemon prints its address once it listens.
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(line)
}

// Call is one OpenFile call the fake received.
type Call struct {
	Sender       string // the caller's unique name
	ParentWindow string
	Title        string
	Options      map[string]dbus.Variant
	Handle       dbus.ObjectPath // the request handle the fake answered with
}

// Bool returns the boolean option name (false when absent).
func (c Call) Bool(name string) bool {
	b, _ := c.Options[name].Value().(bool)
	return b
}

// Bytes returns the byte-string option name (nil when absent).
func (c Call) Bytes(name string) []byte {
	b, _ := c.Options[name].Value().([]byte)
	return b
}

// Reply is how the fake person answers one OpenFile.
type Reply struct {
	// Response is the Response signal's code: 0 chosen, 1 cancelled,
	// 2 ended some other way.
	Response uint32
	// URIs are the results' "uris" (with Response 0).
	URIs []string
	// Early sends the Response before OpenFile returns its handle: the
	// race the Request documentation's handle convention exists for.
	Early bool
	// Hold keeps the chooser open (no Response) until the caller calls
	// Request.Close.
	Hold bool
	// Legacy answers as portals before 0.9 did: with a handle of the
	// portal's own, not the one the caller's handle_token names. The
	// Response is sent once the caller subscribes to that handle.
	Legacy bool
}

// Fake is org.freedesktop.portal.Desktop with the FileChooser interface.
type Fake struct {
	conn    *dbus.Conn
	address string
	// Answer decides each OpenFile's reply; it runs on the bus's goroutine.
	answer func(Call) Reply

	mu     sync.Mutex
	calls  []Call
	closed []dbus.ObjectPath
	done   chan struct{} // closed at each Request.Close, then renewed
	opened chan Call
}

// Start owns org.freedesktop.portal.Desktop on the bus at address and
// answers OpenFile with answer. It leaves the bus when the test ends.
func Start(t testing.TB, address string, answer func(Call) Reply) *Fake {
	t.Helper()
	conn, err := dbus.Connect(address)
	if err != nil {
		t.Fatalf("fake portal: connect: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &Fake{conn: conn, address: address, answer: answer, done: make(chan struct{}), opened: make(chan Call, 64)}
	if err := conn.Export(fileChooser{f}, "/org/freedesktop/portal/desktop", "org.freedesktop.portal.FileChooser"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.portal.Desktop", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("fake portal: own the portal's name: %v (reply %d)", err, reply)
	}
	return f
}

// Calls returns the OpenFile calls received so far.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Closed returns the request handles closed through Request.Close.
func (f *Fake) Closed() []dbus.ObjectPath {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]dbus.ObjectPath(nil), f.closed...)
}

// Opened receives each OpenFile call as the chooser opens (up to 64
// unread).
func (f *Fake) Opened() <-chan Call { return f.opened }

// ClosedChan is closed at the next Request.Close.
func (f *Fake) ClosedChan() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.done
}

type fileChooser struct{ f *Fake }

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// optionTypes are the OpenFile options the documentation lists, with their
// D-Bus signatures; the frontend rejects a listed option of another type.
var optionTypes = map[string]string{
	"handle_token":   "s",
	"accept_label":   "s",
	"modal":          "b",
	"multiple":       "b",
	"directory":      "b",
	"filters":        "a(sa(us))",
	"current_filter": "(sa(us))",
	"choices":        "a(ssa(ss)s)",
	"current_folder": "ay",
}

func invalidArgs(format string, args ...any) *dbus.Error {
	return dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{fmt.Sprintf(format, args...)})
}

// OpenFile is org.freedesktop.portal.FileChooser.OpenFile
// (IN s parent_window, IN s title, IN a{sv} options, OUT o handle).
func (fc fileChooser) OpenFile(sender dbus.Sender, parent, title string, options map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	f := fc.f
	for name, v := range options {
		if want, ok := optionTypes[name]; ok && v.Signature().String() != want {
			return "", invalidArgs("option %q has type %q, not %q", name, v.Signature(), want)
		}
	}
	token := "t" + fmt.Sprint(len(f.Calls()))
	if v, ok := options["handle_token"]; ok {
		token = v.Value().(string)
		if !tokenRE.MatchString(token) {
			return "", invalidArgs("invalid token %q", token)
		}
	}
	if b, ok := options["current_folder"]; ok {
		if bs := b.Value().([]byte); len(bs) == 0 || bs[len(bs)-1] != 0 {
			return "", invalidArgs("current_folder is not a NUL-terminated byte string")
		}
	}
	handle := dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" +
		strings.ReplaceAll(strings.TrimPrefix(string(sender), ":"), ".", "_") + "/" + token)
	r := f.answer(Call{Sender: string(sender), ParentWindow: parent, Title: title, Options: options})
	var subscribed <-chan struct{}
	if r.Legacy {
		handle = dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/portal/desktop/request/legacy%d", len(f.Calls())))
		var err error
		if subscribed, err = f.watchSubscription(handle); err != nil {
			return "", dbus.MakeFailedError(err)
		}
	}
	c := Call{Sender: string(sender), ParentWindow: parent, Title: title, Options: options, Handle: handle}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	if err := f.conn.Export(request{f, handle}, handle, "org.freedesktop.portal.Request"); err != nil {
		return "", dbus.MakeFailedError(err)
	}
	select {
	case f.opened <- c:
	default:
	}
	switch {
	case r.Hold:
	case r.Legacy:
		go func() {
			<-subscribed
			f.respond(handle, r)
		}()
	case r.Early:
		f.respond(handle, r)
	default:
		go f.respond(handle, r)
	}
	return handle, nil
}

// respond emits Request::Response (u response, a{sv} results) on handle
// and ends the request, as the frontend does.
func (f *Fake) respond(handle dbus.ObjectPath, r Reply) {
	results := map[string]dbus.Variant{}
	if r.Response == 0 {
		results["uris"] = dbus.MakeVariant(append([]string{}, r.URIs...))
	}
	_ = f.conn.Emit(handle, "org.freedesktop.portal.Request.Response", r.Response, results)
	_ = f.conn.Export(nil, handle, "org.freedesktop.portal.Request")
}

// watchSubscription reports when some connection asks the bus for the
// Response signals on handle: a monitor connection (the bus's Monitoring
// interface) sees the AddMatch call, and the bus adds the rule before it
// handles any later message, so a signal sent after that is delivered.
func (f *Fake) watchSubscription(handle dbus.ObjectPath) (<-chan struct{}, error) {
	mon, err := dbus.Connect(f.address)
	if err != nil {
		return nil, err
	}
	msgs := make(chan *dbus.Message, 1024)
	mon.Eavesdrop(msgs) // from now on every message comes here, replies too
	rule := "type='method_call',interface='org.freedesktop.DBus',member='AddMatch'"
	call := mon.BusObject().Go("org.freedesktop.DBus.Monitoring.BecomeMonitor", 0, nil, []string{rule}, uint32(0))
	if call.Err != nil {
		mon.Close()
		return nil, call.Err
	}
	for m := range msgs { // the reply: the monitor is in place
		if m.Type == dbus.TypeMethodReply || m.Type == dbus.TypeError {
			if m.Type == dbus.TypeError {
				mon.Close()
				return nil, fmt.Errorf("BecomeMonitor: %v", m.Body)
			}
			break
		}
	}
	done := make(chan struct{})
	go func() {
		defer mon.Close()
		for m := range msgs {
			if len(m.Body) == 1 && strings.Contains(fmt.Sprint(m.Body[0]), "path='"+string(handle)+"'") {
				close(done)
				return
			}
		}
	}()
	return done, nil
}

type request struct {
	f      *Fake
	handle dbus.ObjectPath
}

// Close is org.freedesktop.portal.Request.Close: the chooser closes and no
// Response is sent.
func (r request) Close() *dbus.Error {
	f := r.f
	_ = f.conn.Export(nil, r.handle, "org.freedesktop.portal.Request")
	f.mu.Lock()
	f.closed = append(f.closed, r.handle)
	close(f.done)
	f.done = make(chan struct{})
	f.mu.Unlock()
	return nil
}
