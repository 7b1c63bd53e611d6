package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/internal/testenv"
	"github.com/ferry-app/ferry/ui"
)

// TestWindowOffersWebDAVSignInAndListsItOnce: a configured WebDAV remote is
// offered under "Add account" (Nextcloud signs in through the browser), is
// browsable before any sign-in, and once signed in appears once, with its
// account.
func TestWindowOffersWebDAVSignInAndListsItOnce(t *testing.T) {
	testenv.RequireSecretService(t)
	home := isolate(t)
	nc := startFakeNextcloud(t, "bob", "correct horse")
	writeUserConfig(t, home, fmt.Sprintf("[providers.nas]\ntype = \"webdav\"\nurl = %q\n", nc.URL+"/nc/remote.php/dav/files/bob/"))
	ctx := context.Background()
	t.Cleanup(func() { vault.Open(ctx, vault.Options{AppID: appID}).ForgetAll(ctx) })
	env := newEnv(&testWriter{t}, &testWriter{t}, globalFlags{})
	defer env.Close()

	srcs, err := env.GUISources(ctx)
	require.NoError(t, err)
	var remotes []string
	for _, s := range srcs {
		remotes = append(remotes, s.Remote)
	}
	assert.Contains(t, remotes, "nas", "Add account offers the WebDAV remote")

	accountsOf := func() []ui.AccountView {
		accts, err := env.GUIAccounts(ctx)
		require.NoError(t, err)
		var nas []ui.AccountView
		for _, a := range accts {
			if a.Remote == "nas" {
				nas = append(nas, a)
			}
		}
		return nas
	}
	before := accountsOf()
	require.Len(t, before, 1)
	assert.Empty(t, before[0].Account, "browsable as configured, before any sign-in")

	_, err = env.SignInWebDAVPassword(ctx, "nas", "bob", "correct horse")
	require.NoError(t, err)
	after := accountsOf()
	require.Len(t, after, 1, "listed once, with its account")
	assert.Equal(t, "bob", after[0].Account)
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
