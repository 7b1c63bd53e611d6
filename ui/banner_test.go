package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoKeychainShowsABannerUntilDismissed is issue 20 item 6: without a
// reachable keychain the window says, until the person dismisses it, that
// sign-ins last only until Ferry quits and how to fix it.
func TestNoKeychainShowsABannerUntilDismissed(t *testing.T) {
	test.NewTempApp(t)
	src := t.TempDir()
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: noBackend}, StartDir: src, ThumbnailDir: t.TempDir(),
		Accounts: &fakeAccounts{notKept: "no Secret Service keychain is available; install and start gnome-keyring or KeePassXC"}})
	defer m.Close()
	m.browser.Wait()
	m.Wait()
	var text string
	withUI(func() { text = allText(w.Content()) })
	assert.Contains(t, text, "Sign-ins last only until Ferry quits: no Secret Service keychain is available; install and start gnome-keyring or KeePassXC.")
	require.NotNil(t, m.banner)
	assert.True(t, m.banner.box.Visible())
	withUI(func() { test.Tap(m.banner.dismiss) })
	assert.False(t, m.banner.box.Visible(), "dismissed")

	// With a keychain there is no banner.
	w2 := test.NewWindow(nil)
	m2 := Create(w2, Deps{Uploads: fakeUploads{connect: noBackend}, StartDir: src, ThumbnailDir: t.TempDir(),
		Accounts: &fakeAccounts{}})
	defer m2.Close()
	m2.browser.Wait()
	m2.Wait()
	assert.False(t, m2.banner.box.Visible())
}
