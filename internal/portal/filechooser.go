// Package portal opens the desktop's own file chooser through the XDG
// desktop portal (org.freedesktop.portal.FileChooser on the D-Bus session
// bus), the way GTK and Qt applications do under GNOME, KDE and Flatpak.
//
// Reference: https://flatpak.github.io/xdg-desktop-portal/docs/doc-org.freedesktop.portal.FileChooser.html
// and https://flatpak.github.io/xdg-desktop-portal/docs/doc-org.freedesktop.portal.Request.html.
//
// github.com/rymdport/portal (already a dependency through Fyne) is not used:
// v0.4.2 subscribes to the Response signal only after the call returns (the
// race the Request documentation warns about) and takes any Response on the
// bus as its own, cannot be cancelled, always uses the process's shared
// session bus, and unescapes URIs as query strings ("+" becomes a space).
package portal

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// D-Bus names of the portal, from the documentation above.
const (
	BusName        = "org.freedesktop.portal.Desktop"
	ObjectPath     = dbus.ObjectPath("/org/freedesktop/portal/desktop")
	FileChooserIf  = "org.freedesktop.portal.FileChooser"
	RequestIf      = "org.freedesktop.portal.Request"
	requestPrefix  = "/org/freedesktop/portal/desktop/request/"
	openFileMethod = FileChooserIf + ".OpenFile"
)

// Response codes of org.freedesktop.portal.Request::Response.
const (
	ResponseSuccess   uint32 = 0
	ResponseCancelled uint32 = 1
	ResponseEnded     uint32 = 2
)

var (
	// ErrUnavailable means there is no portal file chooser to ask: no
	// session bus, no portal service on it, or a portal without the
	// FileChooser interface. Callers fall back to a chooser of their own.
	ErrUnavailable = errors.New("no desktop file chooser portal")
	// ErrCancelled means the person closed the chooser without choosing
	// (response 1).
	ErrCancelled = errors.New("the file chooser was cancelled")
	// ErrEnded means the portal ended the interaction some other way
	// (response 2, or a response code the documentation does not know).
	ErrEnded = errors.New("the file chooser ended without an answer")
)

// OpenOptions are what OpenFile asks the chooser for.
type OpenOptions struct {
	// Title is the chooser window's title.
	Title string
	// ParentWindow identifies the window the chooser belongs to, as the
	// portal documents it ("x11:<hex XID>", "wayland:<handle>"), or "".
	ParentWindow string
	// AcceptLabel is the accept button's label ("" lets the portal choose).
	AcceptLabel string
	// Multiple lets the person choose more than one item.
	Multiple bool
	// Directory chooses folders instead of files (portal version 3 and
	// later; older portals ignore it and offer files).
	Directory bool
	// CurrentFolder is the folder the chooser starts in ("": its default).
	CurrentFolder string
}

// Selection is what the person chose.
type Selection struct {
	// Paths are the chosen files or folders as local paths, in the order
	// the portal gave them. Paths the document portal made (under
	// /run/user/UID/doc/) are ordinary readable paths.
	Paths []string
	// Skipped are chosen URIs that are not files on this computer (another
	// scheme or host), without any user name, password or query.
	Skipped []string
}

// FileChooser asks the portal on a D-Bus bus. The zero value uses the
// session bus. It keeps no connection between calls, so it is safe to
// copy and to use from several goroutines.
type FileChooser struct {
	// Address is the bus address; "" is the session bus
	// (DBUS_SESSION_BUS_ADDRESS).
	Address string
	// CallTimeout bounds the OpenFile method call itself, which starts the
	// portal if it is D-Bus activatable; 0 is 25 s, D-Bus's own default.
	// The person's time in the chooser is not bounded: ctx ends it.
	CallTimeout time.Duration
}

// OpenFile shows the chooser and blocks until the person chooses (nil
// error), cancels (ErrCancelled), the portal ends the interaction
// (ErrEnded) or ctx ends (ctx.Err(); the chooser is then closed through
// Request.Close). ErrUnavailable means no portal chooser could be asked.
func (c FileChooser) OpenFile(ctx context.Context, opts OpenOptions) (Selection, error) {
	conn, err := c.connect()
	if err != nil {
		return Selection{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer conn.Close()

	token, err := newToken()
	if err != nil {
		return Selection{}, err
	}
	// Subscribe before calling: the Response may arrive before the reply.
	signals := make(chan *dbus.Signal, 8)
	conn.Signal(signals)
	expected := requestPath(conn.Names()[0], token)
	if err := subscribe(ctx, conn, expected); err != nil {
		return Selection{}, err
	}

	options := map[string]dbus.Variant{
		"handle_token": dbus.MakeVariant(token),
		"multiple":     dbus.MakeVariant(opts.Multiple),
		"directory":    dbus.MakeVariant(opts.Directory),
	}
	if opts.AcceptLabel != "" {
		options["accept_label"] = dbus.MakeVariant(opts.AcceptLabel)
	}
	if opts.CurrentFolder != "" {
		// "ay": a NUL-terminated byte string, since paths need not be UTF-8.
		options["current_folder"] = dbus.MakeVariant(append([]byte(opts.CurrentFolder), 0))
	}
	callCtx, cancel := context.WithTimeout(ctx, cmp.Or(c.CallTimeout, 25*time.Second))
	defer cancel()
	var handle dbus.ObjectPath
	err = conn.Object(BusName, ObjectPath).CallWithContext(callCtx, openFileMethod, 0,
		opts.ParentWindow, opts.Title, options).Store(&handle)
	if err != nil {
		if ctx.Err() != nil {
			// The portal may have opened the chooser at the handle it
			// was told before the call was given up.
			closeRequest(conn, expected)
			return Selection{}, ctx.Err()
		}
		if unavailable(err) {
			return Selection{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return Selection{}, fmt.Errorf("file chooser portal: %w", err)
	}
	// Portals before 0.9 choose their own handle: follow it, as the
	// Request documentation recommends.
	if handle != expected {
		if err := subscribe(ctx, conn, handle); err != nil {
			return Selection{}, err
		}
	}

	for {
		select {
		case <-ctx.Done():
			closeRequest(conn, handle)
			return Selection{}, ctx.Err()
		case sig, ok := <-signals:
			if !ok {
				return Selection{}, fmt.Errorf("file chooser portal: %w", ErrEnded)
			}
			if sig.Path != handle || sig.Name != RequestIf+".Response" {
				continue
			}
			return parseResponse(sig.Body)
		}
	}
}

// connect opens a private connection, closed by OpenFile. It is not tied
// to the caller's ctx: godbus closes a connection whose context ends, and
// the chooser must still be closed through it then.
func (c FileChooser) connect() (*dbus.Conn, error) {
	if c.Address == "" {
		return dbus.ConnectSessionBus()
	}
	return dbus.Connect(c.Address)
}

// subscribe adds a match for the portal's Response on path.
func subscribe(ctx context.Context, conn *dbus.Conn, path dbus.ObjectPath) error {
	err := conn.AddMatchSignalContext(ctx,
		dbus.WithMatchSender(BusName),
		dbus.WithMatchObjectPath(path),
		dbus.WithMatchInterface(RequestIf),
		dbus.WithMatchMember("Response"))
	if err != nil {
		return fmt.Errorf("file chooser portal: subscribe to the response: %w", err)
	}
	return nil
}

// closeRequest ends the chooser when the caller stops waiting; the portal
// then sends no Response. Errors are of no use to anyone at that point.
func closeRequest(conn *dbus.Conn, handle dbus.ObjectPath) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = conn.Object(BusName, handle).CallWithContext(ctx, RequestIf+".Close", 0).Err
}

// requestPath is the handle the portal will use (documented since 0.9):
// the caller's unique name without ':' and with '.' as '_', then the token.
func requestPath(unique, token string) dbus.ObjectPath {
	sender := strings.ReplaceAll(strings.TrimPrefix(unique, ":"), ".", "_")
	return dbus.ObjectPath(requestPrefix + sender + "/" + token)
}

// newToken is a unique, unguessable handle_token with a per-library prefix,
// as the Request documentation recommends; it is a valid path element.
func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("file chooser portal: %w", err)
	}
	return "ferry_" + hex.EncodeToString(b), nil
}

// unavailable reports errors that mean "no portal chooser here".
func unavailable(err error) bool {
	var de dbus.Error
	if errors.As(err, &de) {
		switch de.Name {
		case "org.freedesktop.DBus.Error.ServiceUnknown",
			"org.freedesktop.DBus.Error.NameHasNoOwner",
			"org.freedesktop.DBus.Error.UnknownMethod",
			"org.freedesktop.DBus.Error.UnknownInterface",
			"org.freedesktop.DBus.Error.UnknownObject":
			return true
		}
		return strings.HasPrefix(de.Name, "org.freedesktop.DBus.Error.Spawn.")
	}
	var pde *dbus.Error
	if errors.As(err, &pde) {
		return unavailable(*pde)
	}
	return false
}

// parseResponse reads Response's (u response, a{sv} results).
func parseResponse(body []any) (Selection, error) {
	if len(body) != 2 {
		return Selection{}, fmt.Errorf("file chooser portal: a response of %d values: %w", len(body), ErrEnded)
	}
	code, ok := body[0].(uint32)
	results, ok2 := body[1].(map[string]dbus.Variant)
	if !ok || !ok2 {
		return Selection{}, fmt.Errorf("file chooser portal: a response of types %T, %T: %w", body[0], body[1], ErrEnded)
	}
	switch code {
	case ResponseSuccess:
	case ResponseCancelled:
		return Selection{}, ErrCancelled
	default:
		return Selection{}, fmt.Errorf("file chooser portal: response %d: %w", code, ErrEnded)
	}
	var uris []string
	if v, ok := results["uris"]; ok {
		if err := v.Store(&uris); err != nil {
			return Selection{}, fmt.Errorf("file chooser portal: uris: %w", err)
		}
	}
	var sel Selection
	for _, u := range uris {
		if p, ok := LocalPath(u); ok {
			sel.Paths = append(sel.Paths, p)
		} else {
			sel.Skipped = append(sel.Skipped, shown(u))
		}
	}
	return sel, nil
}

// LocalPath returns the local path of a file:// URI on this computer
// (no host, or "localhost"), percent-decoded; ok is false for anything else.
func LocalPath(uri string) (path string, ok bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
		return "", false
	}
	return u.Path, true
}

// shown is uri without user information, query or fragment, which may
// hold a password or a signed token.
func shown(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "(an address that cannot be read)"
	}
	u.User, u.RawQuery, u.Fragment, u.ForceQuery = nil, "", "", false
	return u.String()
}
