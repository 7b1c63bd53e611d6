package cli

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/internal/testenv"
)

// TestSessionOffersWebDAVSignInAndListsItOnce: a configured WebDAV remote is
// offered under "Add account" (app.Session.Remotes) (Nextcloud signs in through the browser), is
// browsable before any sign-in, and once signed in appears once, with its
// account.
func TestSessionOffersWebDAVSignInAndListsItOnce(t *testing.T) {
	testenv.RequireSecretService(t)
	home := isolate(t)
	nc := startFakeNextcloud(t, "bob", "correct horse")
	writeUserConfig(t, home, fmt.Sprintf("[providers.nas]\ntype = \"webdav\"\nurl = %q\n", nc.URL+"/nc/remote.php/dav/files/bob/"))
	ctx := context.Background()
	t.Cleanup(func() { vault.Open(ctx, vault.Options{AppID: app.ID}).ForgetAll(ctx) })
	s := app.New(app.Options{Warnings: &testWriter{t}})
	defer s.Close()

	srcs, err := s.Remotes(ctx)
	require.NoError(t, err)
	var remotes []string
	for _, r := range srcs {
		remotes = append(remotes, r.Name)
	}
	assert.Contains(t, remotes, "nas", "Add account offers the WebDAV remote")

	accountsOf := func() []app.Account {
		accts, err := s.Accounts(ctx)
		require.NoError(t, err)
		var nas []app.Account
		for _, a := range accts {
			if a.Remote == "nas" {
				nas = append(nas, a)
			}
		}
		return nas
	}
	before := accountsOf()
	require.Len(t, before, 1)
	assert.Empty(t, before[0].ID, "browsable as configured, before any sign-in")

	_, err = s.SignInWebDAVPassword(ctx, "nas", "bob", "correct horse")
	require.NoError(t, err)
	after := accountsOf()
	require.Len(t, after, 1, "listed once, with its account")
	assert.Equal(t, "bob", after[0].ID)
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
