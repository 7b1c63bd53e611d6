package ui

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/providers"
)

// TestAddAccountWithoutAdministratorAddsAWebDAVServer: with nothing set up
// by an administrator, Add account still offers a WebDAV or Nextcloud
// server by address; a server without browser sign-in asks for a login
// name and password in the window (no terminal), and the account appears.
// The cloud drives say once, plainly, that an administrator must set them
// up.
func TestAddAccountWithoutAdministratorAddsAWebDAVServer(t *testing.T) {
	test.NewTempApp(t)
	dir := localTree(t)
	var mu sync.Mutex
	var added, passwords []string
	signedIn := false
	accts := &fakeAccounts{
		addWebDAV: func(_ context.Context, address string) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			added = append(added, address)
			return "nas-example-org", nil
		},
		signIn: func(context.Context, string, auth.Options) (string, error) {
			return "", fmt.Errorf("nas-example-org: %w", providers.ErrPasswordSignIn)
		},
		withPassword: func(_ context.Context, remote, user, password string) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			passwords = append(passwords, remote+" "+user+" "+password)
			signedIn = true
			return user + " on nas.example.org", nil
		},
		accounts: func(context.Context) ([]app.Account, error) {
			mu.Lock()
			defer mu.Unlock()
			if !signedIn {
				return nil, nil
			}
			return []app.Account{{Remote: "nas-example-org", Title: "WebDAV / Nextcloud (nas-example-org)", ID: "bob", Name: "bob on nas.example.org", Status: app.StatusSignedIn}}, nil
		},
	}
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: noBackend}, StartDir: dir, Local: localSource(t, dir).Prov, ThumbnailDir: t.TempDir(), Accounts: accts})
	defer m.Close()
	m.browser.Wait()

	withUI(func() { m.sidebar.presentAddMenu(nil, nil) }) // no administrator: no remotes
	var labels []string
	for _, it := range m.sidebar.menu.Items {
		labels = append(labels, it.Label)
	}
	assert.Equal(t, []string{"WebDAV or Nextcloud server…", "Google Drive, Dropbox, OneDrive, Box…"}, labels)

	withUI(func() { m.sidebar.menu.Items[1].Action() })
	withUI(func() {
		assert.Contains(t, allText(w.Canvas().Overlays().Top()), "Ask your administrator to set Ferry up")
	})

	withUI(func() { m.sidebar.menu.Items[0].Action() })
	require.NotNil(t, m.webdav.addressForm)
	withUI(func() {
		test.Type(m.webdav.address, "nas.example.org/remote.php/webdav")
		m.webdav.addressForm.Submit()
	})
	m.browser.Wait()
	assert.Equal(t, []string{"nas.example.org/remote.php/webdav"}, added)
	require.NotNil(t, m.webdav.passwordForm, "no browser sign-in there: the window asks for a password")
	withUI(func() {
		test.Type(m.webdav.user, "bob")
		test.Type(m.webdav.pass, "correct horse")
		m.webdav.passwordForm.Submit()
	})
	m.browser.Wait()
	assert.Equal(t, []string{"nas-example-org bob correct horse"}, passwords)
	assert.Equal(t, "Signed in to nas-example-org as bob on nas.example.org.", m.status.Text)
	assert.Empty(t, m.webdav.pass.Text, "the password does not stay in the form")
	assert.Contains(t, sideLabels(m.sidebar), "bob on nas.example.org")
}
