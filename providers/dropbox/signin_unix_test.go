//go:build unix

package dropbox

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/testenv"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/dropbox/fakedropbox"
)

// chromium opens URLs in real headless Chromium, one browser per call.
func chromium(t *testing.T) auth.Opener { return testenv.ChromiumOpener(t) }

// TestSignInEndToEnd: PKCE sign-in with headless Chromium against the
// fake's consent page, on a registered fixed loopback port (Dropbox matches
// redirect URIs exactly), then browse with the token and sign out.
func TestSignInEndToEnd(t *testing.T) {
	fd := startFake(t, 10)
	fd.AutoApprove = true
	port := testenv.FreePort(t)
	fd.RegisterApp(fakedropbox.App{Key: "dbx-app-key", Secret: "never-sent-by-the-app",
		RedirectURIs: []string{"http://127.0.0.1:" + strconv.Itoa(port) + "/oauth/cb/dropbox"}})
	_, err := fd.AddFile("", "hello.txt", []byte("hello from Dropbox"))
	require.NoError(t, err)

	s := providers.Settings{Name: "dropbox", Type: "dropbox", ClientID: "dbx-app-key", Exchange: api.ExchangePKCE,
		Ports: []int{port}, AuthBase: fd.URL, APIBase: fd.URL}
	si := Kind.SignIn(s)
	c := &auth.Config{ID: s.Name, AuthURL: si.AuthURL, TokenURL: si.TokenURL, RevokeURL: si.RevokeURL,
		ClientID: s.ClientID, Scopes: si.Scopes, AuthParams: si.AuthParams, Exchange: s.Exchange, Ports: s.Ports}
	sctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := c.SignIn(sctx, auth.Options{Opener: chromium(t), Timeout: 80 * time.Second})
	require.NoError(t, err)
	require.NotEmpty(t, res.Token.RefreshToken, "token_access_type=offline yields a refresh token")

	p, err := Kind.New(sctx, s, providers.Deps{Tokens: c.TokenSource(sctx, res.Token)})
	require.NoError(t, err)
	acct, err := p.(providers.AccountInfo).AccountInfo(sctx)
	require.NoError(t, err)
	assert.Equal(t, "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", acct.ID)
	page, err := p.List(sctx, "", "")
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	rc, err := p.Open(sctx, page.Entries[0].ID, 6)
	require.NoError(t, err)
	b := make([]byte, 4)
	_, err = rc.Read(b)
	rc.Close()
	require.NoError(t, err)
	assert.Equal(t, "from", string(b))

	// The refresh token works at the fake's token endpoint (PKCE client:
	// client_id only).
	tok, err := c.Refresh(sctx, res.Token.RefreshToken)
	require.NoError(t, err)
	assert.NotEqual(t, res.Token.AccessToken, tok.AccessToken)

	require.NoError(t, Revoke(sctx, s.APIBase, nil, res.Token))
	assert.True(t, fd.Revoked(res.Token.RefreshToken))
}
