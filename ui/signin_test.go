package ui

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/internal/app"
)

const authURL = "https://login.example/authorize?client_id=ferry&state=S7ATE-SECRET&code_challenge=CHALLENGE"

// fakeSignIn behaves like auth.Config.SignIn as the dialog sees it: it
// announces the link, reports that no browser opened, refuses a pasted
// address with the wrong state and accepts the right one.
func fakeSignIn(result func(ctx context.Context) (string, error)) func(context.Context, string, auth.Options) (string, error) {
	return func(ctx context.Context, _ string, o auth.Options) (string, error) {
		o.OnURL(authURL)
		o.OnBrowserError(auth.ErrNoBrowser)
		for {
			select {
			case <-ctx.Done():
				return "", auth.ErrCancelled
			case s := <-o.Paste:
				u, err := url.Parse(s)
				if err != nil || u.Query().Get("state") != "S7ATE-SECRET" {
					o.OnPasteError(auth.ErrStateMismatch)
					continue
				}
				return result(ctx)
			}
		}
	}
}

func signInWindow(t *testing.T, signIn func(context.Context, string, auth.Options) (string, error)) (*Main, fyne.Window) {
	t.Helper()
	dir := localTree(t)
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: noBackend}, StartDir: dir, Local: localSource(t, dir).Prov, ThumbnailDir: t.TempDir(), Accounts: &fakeAccounts{signIn: signIn}})
	t.Cleanup(m.Close)
	m.browser.Wait()
	return m, w
}

// waitUI polls cond under the UI lock.
func waitUI(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, func() bool {
		uiMu.Lock()
		defer uiMu.Unlock()
		return cond()
	}, 5*time.Second, 10*time.Millisecond)
}

func TestSignInDialogCopyLinkPasteAndSuccess(t *testing.T) {
	a := test.NewTempApp(t)
	m, _ := signInWindow(t, fakeSignIn(func(context.Context) (string, error) { return "ann@example.com", nil }))
	withUI(func() { m.requestSignIn("dropbox", "Dropbox") })
	s := m.signIn
	require.NotNil(t, s)
	// The link and the browser's failure arrive as two UI updates.
	waitUI(t, func() bool {
		return !s.copyBtn.Disabled() && strings.Contains(s.status.Text, "No web browser could be opened")
	})
	withUI(func() {
		assert.Contains(t, allText(s.body), "Continue in your browser")
		assert.NotContains(t, allText(s.body), "S7ATE", "the link is never shown")
		test.Tap(s.copyBtn)
		assert.Equal(t, authURL, a.Clipboard().Content(), "Copy link puts the whole link on the clipboard")
		assert.Equal(t, "Link copied. Open it in a web browser to sign in.", s.status.Text)

		test.Type(s.pasteIn, "http://127.0.0.1:5000/callback?code=abc&state=WRONG")
		test.Tap(s.pasteBtn)
	})
	waitUI(t, func() bool { return strings.HasPrefix(s.status.Text, "That address does not belong") })
	withUI(func() {
		assert.Empty(t, s.pasteIn.Text, "the field is ready for the next paste")
		test.Type(s.pasteIn, "http://127.0.0.1:5000/callback?code=abc&state=S7ATE-SECRET")
		s.pasteIn.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	m.browser.Wait()
	withUI(func() {
		assert.Contains(t, allText(s.body), "You are signed in to Dropbox as ann@example.com. Its files are listed on the left.")
		assert.NotContains(t, allText(s.body), "Paste the address", "the paste field is gone once signed in")
		assert.Equal(t, "Signed in to Dropbox.", m.status.Text)
		assert.NotContains(t, allText(s.body), "abc")
	})
}

func TestSignInDialogExplainsFailureWithRedactedDetails(t *testing.T) {
	test.NewTempApp(t)
	m, _ := signInWindow(t, func(context.Context, string, auth.Options) (string, error) {
		return "", &auth.OAuthError{Code: "server_error", Description: "refresh_token=rt-123 was refused for https://login.example/token?code=c0de", Status: 500}
	})
	withUI(func() { m.requestSignIn("gdrive", "Google Drive") })
	s := m.signIn
	m.browser.Wait()
	withUI(func() {
		text := allText(s.body)
		assert.Contains(t, text, "Signing in to Google Drive did not finish.")
		assert.Contains(t, text, "The sign-in service refused the sign-in. Try again; if it keeps failing, contact your administrator.")
		assert.Contains(t, text, "Details")
		details := explain(s.outcome).Details
		assert.Contains(t, details, "server_error")
		for _, secret := range []string{"rt-123", "c0de"} {
			assert.NotContains(t, details, secret)
			assert.NotContains(t, text, secret)
		}
		assert.Equal(t, "Sign-in failed.", m.status.Text)
	})
	// Try again starts a new sign-in in a fresh dialog.
	withUI(func() { test.Tap(s.retryBtn) })
	m.browser.Wait()
	withUI(func() { assert.NotSame(t, s, m.signIn) })
}

func TestEscCancelsSignIn(t *testing.T) {
	test.NewTempApp(t)
	cancelled := make(chan struct{})
	m, w := signInWindow(t, func(ctx context.Context, _ string, o auth.Options) (string, error) {
		o.OnURL(authURL)
		<-ctx.Done()
		close(cancelled)
		return "", auth.ErrCancelled
	})
	withUI(func() { m.requestSignIn("box", "Box") })
	withUI(func() { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("Esc did not cancel the sign-in")
	}
	m.browser.Wait()
	withUI(func() {
		assert.Equal(t, "Sign-in cancelled.", m.status.Text)
		assert.Nil(t, m.signIn)
		assert.Empty(t, m.dialogs)
	})

	// Esc in the paste field cancels too.
	cancelled = make(chan struct{})
	withUI(func() { m.requestSignIn("box", "Box") })
	withUI(func() { m.signIn.pasteIn.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("Esc in the paste field did not cancel the sign-in")
	}
	m.browser.Wait()
}

func TestNeedsSignInAccountOffersSignInAgain(t *testing.T) {
	test.NewTempApp(t)
	dir := localTree(t)
	signedIn := make(chan string, 1)
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: noBackend}, StartDir: dir, Local: localSource(t, dir).Prov, ThumbnailDir: t.TempDir(), Accounts: &fakeAccounts{
		accounts: func(context.Context) ([]app.Account, error) {
			return []app.Account{{Remote: "gdrive", Title: "Google Drive", ID: "2", Name: "bob@example.com", Status: app.StatusNeedsSignIn}}, nil
		},
		signIn: func(ctx context.Context, remote string, _ auth.Options) (string, error) {
			signedIn <- remote
			return "bob@example.com", nil
		},
	}})
	defer m.Close()
	m.browser.Wait()
	var labels []string
	withUI(func() {
		for _, it := range m.menuItems() {
			labels = append(labels, it.Label)
		}
	})
	assert.Contains(t, labels, "Sign in to Google Drive again (bob@example.com)")
	assert.Contains(t, labels, "Sign out of Google Drive (bob@example.com)…")
	assert.Contains(t, labels, "Forget all accounts…")
	assert.Contains(t, labels, "Settings…")
	assert.Contains(t, labels, "About Ferry")
	withUI(func() {
		for _, it := range m.menuItems() {
			if strings.HasPrefix(it.Label, "Sign in to Google Drive again") {
				it.Action()
			}
		}
	})
	assert.Equal(t, "gdrive", <-signedIn)
	m.browser.Wait()
}

// TestSignInDialogTabOrder: Tab goes from the paste field to Continue,
// then Cancel, then Copy link.
func TestSignInDialogTabOrder(t *testing.T) {
	test.NewTempApp(t)
	m, w := signInWindow(t, fakeSignIn(func(context.Context) (string, error) { return "", nil }))
	withUI(func() { m.requestSignIn("box", "Box") })
	s := m.signIn
	waitUI(t, func() bool { return !s.copyBtn.Disabled() })
	var order []fyne.Focusable
	withUI(func() {
		c := w.Canvas()
		c.Focus(s.pasteIn)
		order = append(order, c.Focused())
		for range 3 {
			c.FocusNext()
			order = append(order, c.Focused())
		}
	})
	require.Len(t, order, 4)
	assert.Equal(t, fyne.Focusable(s.pasteIn), order[0])
	assert.Equal(t, fyne.Focusable(s.pasteBtn), order[1])
	assert.Equal(t, fyne.Focusable(s.cancelBtn), order[2])
	assert.Equal(t, fyne.Focusable(s.copyBtn), order[3])
	withUI(func() { s.cancelByKey() })
	m.browser.Wait()
}

// TestUploadServiceAccountInMenuNotSidebar: the organisation's own sign-in
// is not a source to browse; the menu offers to sign out of it, or to sign
// in when the service needs it and nobody is signed in.
func TestUploadServiceAccountInMenuNotSidebar(t *testing.T) {
	test.NewTempApp(t)
	dir := localTree(t)
	var mu sync.Mutex
	accts := []app.Account{{Remote: "backend", ID: "sub-1", Name: "ann@acme.example", Status: app.StatusSignedIn, Service: true}}
	signedOut := make(chan string, 1)
	w := test.NewWindow(nil)
	m := Create(w, Deps{Uploads: fakeUploads{connect: noBackend}, StartDir: dir, Local: localSource(t, dir).Prov, ThumbnailDir: t.TempDir(), Accounts: &fakeAccounts{
		serviceSignsIn: func() bool { return true },
		accounts: func(context.Context) ([]app.Account, error) {
			mu.Lock()
			defer mu.Unlock()
			return append([]app.Account(nil), accts...), nil
		},
		signOut: func(_ context.Context, remote, account string) error {
			mu.Lock()
			accts = nil
			mu.Unlock()
			signedOut <- remote + "/" + account
			return nil
		},
	}})
	defer m.Close()
	m.browser.Wait()
	assert.Equal(t, []string{"This Computer", "Test", "Add account…"}, sideLabels(m.sidebar))
	labels := func() []string {
		var out []string
		withUI(func() {
			for _, it := range m.menuItems() {
				out = append(out, it.Label)
			}
		})
		return out
	}
	assert.Contains(t, labels(), "Sign out of the upload service (ann@acme.example)…")
	assert.NotContains(t, labels(), "Sign in to the upload service…")
	withUI(func() {
		for _, it := range m.menuItems() {
			if it.Label == "Sign out of the upload service (ann@acme.example)…" {
				it.Action()
			}
		}
		require.Len(t, m.dialogs, 1, "sign-out asks first")
		m.dialogs[0].(interface{ Confirm() }).Confirm()
	})
	assert.Equal(t, "backend/sub-1", <-signedOut)
	m.browser.Wait()
	assert.Contains(t, labels(), "Sign in to the upload service…")
	assert.Equal(t, "Signed out of the upload service.", m.status.Text)
}
