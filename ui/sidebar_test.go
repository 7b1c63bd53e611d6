package ui

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/upload"
)

func noBackend(context.Context) (*upload.Client, *api.Discovery, error) {
	return nil, nil, errors.New("unused")
}

func sideLabels(s *sidebar) []string {
	out := make([]string, len(s.rows))
	for i, r := range s.rows {
		out[i] = r.label
		if r.detail != "" {
			out[i] += " [" + r.detail + "]"
		}
	}
	return out
}

func TestSidebarWithoutAccountsListsPlacesAndAddAccount(t *testing.T) {
	test.NewTempApp(t)
	dir := localTree(t)
	w := test.NewWindow(nil)
	m := Create(w, Deps{Uploads: fakeUploads{connect: noBackend}, StartDir: dir, Local: localSource(t, dir).Prov, ThumbnailDir: t.TempDir()})
	defer m.Close()
	m.browser.Wait()
	assert.Equal(t, []string{"This Computer", "Test", "Add account…"}, sideLabels(m.sidebar))
	assert.Equal(t, dir, m.browser.loc.folder().ID)

	// A remote without the administrator's client ID is offered, and
	// explains that the administrator must set one.
	m.sidebar.presentAddMenu([]app.Remote{{Name: "uitest-oauth", Title: "Test Cloud", NeedsSetup: true}}, nil)
	var item *fyne.MenuItem
	for _, it := range m.sidebar.menu.Items {
		if it.Label == "Test Cloud (uitest-oauth) — needs setup" {
			item = it
		}
	}
	require.NotNil(t, item, "the kind is offered")
	item.Action()
	top := w.Canvas().Overlays().Top()
	require.NotNil(t, top)
	assert.Contains(t, allText(top), "administrator must register an app with Test Cloud")
}

func TestSidebarAccountsByProviderWithStatus(t *testing.T) {
	test.NewTempApp(t)
	dir := localTree(t)
	drive := newFakeDrive(12)
	var mu sync.Mutex
	var opened, signedIn []string
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: noBackend}, StartDir: dir, Local: localSource(t, dir).Prov, ThumbnailDir: t.TempDir(), Accounts: &fakeAccounts{
		accounts: func(context.Context) ([]app.Account, error) {
			return []app.Account{
				{Remote: "gdrive", Title: "Google Drive", ID: "1", Name: "ann@example.com", Status: app.StatusSignedIn},
				{Remote: "gdrive", Title: "Google Drive", ID: "2", Name: "bob@example.com", Status: app.StatusNeedsSignIn},
				{Remote: "dropbox", Title: "Dropbox", ID: "9", Name: "Ann\u202Egpj.exe", Status: app.StatusOffline},
			}, nil
		},
		open: func(_ context.Context, remote, account string) (providers.Provider, error) {
			mu.Lock()
			opened = append(opened, remote+"/"+account)
			mu.Unlock()
			return drive, nil
		},
		signIn: func(_ context.Context, remote string, _ auth.Options) (string, error) {
			mu.Lock()
			signedIn = append(signedIn, remote)
			mu.Unlock()
			return "bob@example.com", nil
		},
	}})
	defer m.Close()
	m.browser.Wait()
	assert.Equal(t, []string{"This Computer", "Test", "Google Drive", "ann@example.com", "bob@example.com [Sign in again]",
		"Dropbox", "Ann\uFFFDgpj.exe [Offline]", "Add account…"}, sideLabels(m.sidebar))

	withUI(func() { m.sidebar.list.Select(3) }) // ann
	m.browser.Wait()
	assert.Equal(t, []string{"gdrive/1"}, opened)
	assert.Equal(t, "Google Drive — ann@example.com", m.browser.loc.src.Title)
	assert.Len(t, m.browser.shown, 12)
	withUI(func() { m.sidebar.list.Select(1) }) // back to This Computer
	m.browser.Wait()
	withUI(func() { m.sidebar.list.Select(3) }) // the opened account is reused
	m.browser.Wait()
	assert.Equal(t, []string{"gdrive/1"}, opened)

	withUI(func() { m.sidebar.list.Select(4) }) // bob needs to sign in again
	m.browser.Wait()
	assert.Equal(t, []string{"gdrive"}, signedIn)
	assert.Equal(t, "Signed in to Google Drive.", m.status.Text)
	require.NotNil(t, m.signIn, "the sign-in dialog stays to say how it went")
	assert.Contains(t, allText(m.signIn.body), "You are signed in to Google Drive as bob@example.com.")
}

func TestUploadSelectedFolderKeepsRelativePaths(t *testing.T) {
	test.NewTempApp(t)
	connect, _ := embeddedConnect(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "photos", "2026", "beach.jpg"), 700)
	writeRandom(t, filepath.Join(src, "photos", "index.txt"), 10)
	writeRandom(t, filepath.Join(src, "other.txt"), 10)
	w := test.NewWindow(nil)
	m := Create(w, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, ThumbnailDir: t.TempDir()})
	defer m.Close()
	m.browser.Wait()
	require.Equal(t, "photos", m.browser.shown[0].Name)
	m.browser.click(0, 0)
	assert.Equal(t, "1 selected (0 B + 1 folder)", m.selLabel.Text)
	withUI(func() { test.Tap(m.upBtn) })
	m.Wait()
	got := map[string]upload.State{}
	for _, r := range m.queue.Rows() {
		got[r.Name] = r.State
	}
	assert.Equal(t, map[string]upload.State{"photos/2026/beach.jpg": upload.Done, "photos/index.txt": upload.Done}, got)
	assert.True(t, m.upBtn.Disabled(), "the selection was handed to the queue")
}

// sharedDrive is a cloud account with more than its own files: a "Shared
// with me" root beside "My Drive", holding one file someone shared.
type sharedDrive struct{ *fakeDrive }

func (d sharedDrive) Roots(context.Context) ([]providers.Entry, error) {
	return []providers.Entry{{ID: "root", Name: "My Drive", IsDir: true, Size: -1},
		{ID: "@shared", Name: "Shared with me", IsDir: true, Size: -1}}, nil
}

func (d sharedDrive) List(ctx context.Context, folderID, token string) (providers.Page, error) {
	if folderID == "@shared" {
		return providers.Page{Entries: []providers.Entry{{ID: "s1", Name: "budget from ann.xlsx", Size: 4096}}}, nil
	}
	return d.fakeDrive.List(ctx, folderID, token)
}

func (d sharedDrive) Stat(ctx context.Context, id string) (providers.Entry, error) {
	if id == "@shared" {
		return providers.Entry{ID: "@shared", Name: "Shared with me", IsDir: true, Size: -1}, nil
	}
	return d.fakeDrive.Stat(ctx, id)
}

// TestOpenedAccountShowsItsRootsInTheSidebar: once an account is opened,
// its other roots (Shared with me, team spaces, SharePoint libraries)
// appear under it in the sidebar, and one click browses them.
func TestOpenedAccountShowsItsRootsInTheSidebar(t *testing.T) {
	test.NewTempApp(t)
	dir := localTree(t)
	drive := sharedDrive{newFakeDrive(3)}
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: noBackend}, StartDir: dir, Local: localSource(t, dir).Prov, ThumbnailDir: t.TempDir(),
		Accounts: &fakeAccounts{
			accounts: func(context.Context) ([]app.Account, error) {
				return []app.Account{{Remote: "gdrive", Title: "Google Drive", ID: "1", Name: "ann@example.com", Status: app.StatusSignedIn}}, nil
			},
			open: func(context.Context, string, string) (providers.Provider, error) { return drive, nil },
		}})
	defer m.Close()
	m.browser.Wait()
	assert.Equal(t, []string{"This Computer", "Test", "Google Drive", "ann@example.com", "Add account…"}, sideLabels(m.sidebar))

	withUI(func() { m.sidebar.list.Select(3) }) // ann: My Drive opens
	m.browser.Wait()
	assert.Equal(t, "My Drive", m.browser.loc.folder().Name)
	assert.Equal(t, []string{"This Computer", "Test", "Google Drive", "ann@example.com", "    My Drive", "    Shared with me", "Add account…"}, sideLabels(m.sidebar))

	withUI(func() { m.sidebar.list.Select(5) }) // Shared with me
	m.browser.Wait()
	assert.Equal(t, "Shared with me", m.browser.loc.folder().Name)
	require.Len(t, m.browser.shown, 1)
	assert.Equal(t, "budget from ann.xlsx", m.browser.shown[0].Name)
}
