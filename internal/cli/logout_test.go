package cli

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/internal/testenv"
	"github.com/ferry-app/ferry/providers/dropbox/fakedropbox"
)

// TestLogoutDropboxRevokesAtDropbox: Dropbox has no RFC 7009 endpoint, so
// signing out of a PKCE sign-in calls its /2/auth/token/revoke with the
// access token; afterwards the refresh token is dead at Dropbox and the
// account is gone here.
func TestLogoutDropboxRevokesAtDropbox(t *testing.T) {
	testenv.RequireSecretService(t)
	home := isolate(t)
	fd := fakedropbox.New(fakedropbox.Options{})
	t.Cleanup(fd.Close)
	writeUserConfig(t, home, fmt.Sprintf("[providers.dropbox]\nclient_id = \"ferry-dropbox-app\"\nexchange = \"pkce\"\napi_url = %q\n", fd.URL))
	ctx := context.Background()
	v := vault.Open(ctx, vault.Options{AppID: app.ID})
	t.Cleanup(func() { v.ForgetAll(ctx) })
	at, rt := fd.IssueToken()
	require.NoError(t, v.Put(ctx, vault.Account{Provider: "dropbox", ID: "dbid:1", Email: "ann@example.com", Status: vault.StatusOK},
		&oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(time.Hour)}))

	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"logout", "ann@example.com"}, &stdout, &stderr), stderr.String())
	assert.Contains(t, stdout.String(), "Signed out of Dropbox")
	assert.True(t, fd.Revoked(rt), "Dropbox no longer honours the refresh token")
	accts, err := vault.Open(ctx, vault.Options{AppID: app.ID}).Accounts(ctx)
	require.NoError(t, err)
	assert.Empty(t, accts)
}
