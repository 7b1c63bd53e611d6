package portal_test

import (
	"context"
	"errors"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/internal/portal"
	"github.com/ferry-app/ferry/internal/portal/portaltest"
)

// TestOpenFileSendsTheDocumentedOptions checks what Ferry asks for and
// what it makes of the answer: percent-decoded file:// paths (a "+" stays a
// "+"), document-portal paths kept as they are, other URIs skipped without
// their passwords or queries.
func TestOpenFileSendsTheDocumentedOptions(t *testing.T) {
	bus := portaltest.StartBus(t)
	fake := portaltest.Start(t, bus, func(portaltest.Call) portaltest.Reply {
		return portaltest.Reply{URIs: []string{
			"file:///home/ann/My%20Photos/a+b%25.jpg",
			"file:///run/user/1000/doc/3f2a9c1e/report.pdf",
			"file://localhost/home/ann/notes.txt",
			"sftp://ann:hunter2@files.example/x.txt?sig=abc",
			"file://otherhost/share/y.txt",
		}}
	})
	sel, err := portal.FileChooser{Address: bus}.OpenFile(context.Background(), portal.OpenOptions{
		Title: "Add files", ParentWindow: "x11:4a0000a", AcceptLabel: "Add",
		Multiple: true, CurrentFolder: "/home/ann/Ünïcode dir",
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"/home/ann/My Photos/a+b%.jpg", "/run/user/1000/doc/3f2a9c1e/report.pdf", "/home/ann/notes.txt"}, sel.Paths)
	assert.Equal(t, []string{"sftp://files.example/x.txt", "file://otherhost/share/y.txt"}, sel.Skipped)

	calls := fake.Calls()
	require.Len(t, calls, 1)
	c := calls[0]
	assert.Equal(t, "x11:4a0000a", c.ParentWindow)
	assert.Equal(t, "Add files", c.Title)
	assert.True(t, c.Bool("multiple"))
	assert.False(t, c.Bool("directory"))
	assert.Equal(t, "Add", c.Options["accept_label"].Value())
	assert.Equal(t, append([]byte("/home/ann/Ünïcode dir"), 0), c.Bytes("current_folder"), "current_folder is a NUL-terminated byte string")
	token, _ := c.Options["handle_token"].Value().(string)
	assert.Regexp(t, `^ferry_[0-9a-f]{32}$`, token, "an unguessable token with a per-library prefix")
}

func TestOpenFileChoosesFolders(t *testing.T) {
	bus := portaltest.StartBus(t)
	fake := portaltest.Start(t, bus, func(portaltest.Call) portaltest.Reply {
		return portaltest.Reply{URIs: []string{"file:///srv/a", "file:///srv/b"}}
	})
	sel, err := portal.FileChooser{Address: bus}.OpenFile(context.Background(), portal.OpenOptions{Multiple: true, Directory: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"/srv/a", "/srv/b"}, sel.Paths)
	c := fake.Calls()[0]
	assert.True(t, c.Bool("directory"))
	_, sent := c.Options["current_folder"]
	assert.False(t, sent, "no current_folder when none is known")
}

// TestOpenFileHearsAResponseSentBeforeTheReply is the race the Request
// documentation describes: the portal may answer before OpenFile returns.
func TestOpenFileHearsAResponseSentBeforeTheReply(t *testing.T) {
	bus := portaltest.StartBus(t)
	portaltest.Start(t, bus, func(portaltest.Call) portaltest.Reply {
		return portaltest.Reply{Early: true, URIs: []string{"file:///tmp/early.txt"}}
	})
	sel, err := portal.FileChooser{Address: bus}.OpenFile(context.Background(), portal.OpenOptions{Multiple: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"/tmp/early.txt"}, sel.Paths)
}

func TestOpenFileResponses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		response uint32
		want     error
	}{
		{"cancelled", portal.ResponseCancelled, portal.ErrCancelled},
		{"ended", portal.ResponseEnded, portal.ErrEnded},
		{"unknown code", 7, portal.ErrEnded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bus := portaltest.StartBus(t)
			portaltest.Start(t, bus, func(portaltest.Call) portaltest.Reply {
				return portaltest.Reply{Response: tc.response}
			})
			sel, err := portal.FileChooser{Address: bus}.OpenFile(context.Background(), portal.OpenOptions{})
			assert.ErrorIs(t, err, tc.want)
			assert.Empty(t, sel.Paths)
		})
	}
}

func TestOpenFileWithoutAPortal(t *testing.T) {
	t.Run("no bus", func(t *testing.T) {
		_, err := portal.FileChooser{Address: "unix:path=" + t.TempDir() + "/none"}.OpenFile(context.Background(), portal.OpenOptions{})
		assert.ErrorIs(t, err, portal.ErrUnavailable)
	})
	t.Run("no portal on the bus", func(t *testing.T) {
		bus := portaltest.StartBus(t)
		_, err := portal.FileChooser{Address: bus}.OpenFile(context.Background(), portal.OpenOptions{})
		assert.ErrorIs(t, err, portal.ErrUnavailable)
	})
	t.Run("a portal without FileChooser", func(t *testing.T) {
		bus := portaltest.StartBus(t)
		conn, err := dbus.Connect(bus)
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.RequestName(portal.BusName, dbus.NameFlagDoNotQueue)
		require.NoError(t, err)
		_, err = portal.FileChooser{Address: bus}.OpenFile(context.Background(), portal.OpenOptions{})
		assert.ErrorIs(t, err, portal.ErrUnavailable)
	})
}

// TestOpenFileClosesTheChooserWhenCancelled: when Ferry stops waiting (its
// window closes), the chooser is closed through Request.Close.
func TestOpenFileClosesTheChooserWhenCancelled(t *testing.T) {
	bus := portaltest.StartBus(t)
	fake := portaltest.Start(t, bus, func(portaltest.Call) portaltest.Reply { return portaltest.Reply{Hold: true} })
	ctx, cancel := context.WithCancel(context.Background())
	closed := fake.ClosedChan()
	errc := make(chan error, 1)
	go func() {
		_, err := portal.FileChooser{Address: bus}.OpenFile(ctx, portal.OpenOptions{})
		errc <- err
	}()
	// Wait until the chooser is open, then give up on it.
	select {
	case <-fake.Opened():
	case err := <-errc:
		t.Fatalf("OpenFile returned before the chooser opened: %v", err)
	}
	cancel()
	assert.True(t, errors.Is(<-errc, context.Canceled))
	<-closed
	assert.Equal(t, []dbus.ObjectPath{fake.Calls()[0].Handle}, fake.Closed())
}

func TestLocalPath(t *testing.T) {
	for uri, want := range map[string]string{
		"file:///a/b%20c":          "/a/b c",
		"file:///a/%E2%82%AC+.txt": "/a/€+.txt",
		"file://localhost/x":       "/x",
	} {
		got, ok := portal.LocalPath(uri)
		assert.True(t, ok, uri)
		assert.Equal(t, want, got, uri)
	}
	for _, uri := range []string{"https://example.com/a", "file://host/a", "file:", "not a uri %zz"} {
		_, ok := portal.LocalPath(uri)
		assert.False(t, ok, uri)
	}
}

// TestOpenFileThroughXdgDesktopPortal runs Debian's real xdg-desktop-portal
// frontend, with a backend that answers without a person: the options
// Ferry sends pass the real frontend's checks and reach the backend, and
// the frontend's Response is understood.
func TestOpenFileThroughXdgDesktopPortal(t *testing.T) {
	bus := portaltest.StartBus(t)
	backend := portaltest.StartXdgDesktopPortal(t, bus, func(portaltest.ImplCall) portaltest.Reply {
		return portaltest.Reply{URIs: []string{"file:///srv/photos/a%20b.jpg", "file:///srv/photos/c.jpg"}}
	})
	sel, err := portal.FileChooser{Address: bus}.OpenFile(context.Background(), portal.OpenOptions{
		Title: "Add files", AcceptLabel: "Add", Multiple: true, CurrentFolder: "/srv/photos",
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"/srv/photos/a b.jpg", "/srv/photos/c.jpg"}, sel.Paths)
	calls := backend.Calls()
	require.Len(t, calls, 1)
	c := calls[0]
	assert.Equal(t, "Add files", c.Title)
	assert.True(t, c.Bool("multiple"))
	assert.Equal(t, "Add", c.Options["accept_label"].Value())

	// current_folder came to OpenFile in version 4 of the interface; an
	// older frontend (Debian 12's 1.16 is version 3) drops it.
	conn, err := dbus.Connect(bus)
	require.NoError(t, err)
	defer conn.Close()
	v, err := conn.Object(portal.BusName, portal.ObjectPath).GetProperty(portal.FileChooserIf + ".version")
	require.NoError(t, err)
	if v.Value().(uint32) >= 4 {
		assert.Equal(t, append([]byte("/srv/photos"), 0), c.Bytes("current_folder"))
	} else {
		assert.Nil(t, c.Bytes("current_folder"), "version %v has no current_folder for OpenFile", v)
	}
}

// TestOpenFileFollowsAnOldPortalsHandle: portals before 0.9 choose their
// own request handle; the Request documentation says to subscribe to the
// handle returned then.
func TestOpenFileFollowsAnOldPortalsHandle(t *testing.T) {
	bus := portaltest.StartBus(t)
	fake := portaltest.Start(t, bus, func(portaltest.Call) portaltest.Reply {
		return portaltest.Reply{Legacy: true, URIs: []string{"file:///tmp/old.txt"}}
	})
	sel, err := portal.FileChooser{Address: bus}.OpenFile(context.Background(), portal.OpenOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"/tmp/old.txt"}, sel.Paths)
	assert.Contains(t, string(fake.Calls()[0].Handle), "/legacy")
}
