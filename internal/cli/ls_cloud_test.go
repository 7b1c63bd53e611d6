//go:build unix

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/internal/testenv"
	_ "github.com/ferry-app/ferry/providers/box" // registers the box kind
	"github.com/ferry-app/ferry/providers/box/fakebox"
	_ "github.com/ferry-app/ferry/providers/onedrive" // registers the onedrive kind
	"github.com/ferry-app/ferry/providers/onedrive/fakegraph"
)

// TestLsCloudAfterLogin is issue 9's done-criterion from the command line:
// with the fakes configured in the user's config file, `ferry login
// onedrive` (PKCE) and `ferry login box` (code exchange through the
// backend, whose client secret comes from its environment) sign in in the
// browser $BROWSER names, and `ferry ls onedrive:/…` / `ferry ls box:/…`
// list through the stored sign-ins.
func TestLsCloudAfterLogin(t *testing.T) {
	testenv.RequireSecretService(t)
	home := isolate(t)

	fg := fakegraph.Start(t, fakegraph.Options{})
	_, err := fg.Seed(fg.RootID(), []string{"Documents", "report.docx"}, []byte("onedrive report"))
	require.NoError(t, err)
	_, err = fg.Seed(fg.RootID(), []string{"hello.txt"}, []byte("hi"))
	require.NoError(t, err)

	fb := fakebox.Start(t, fakebox.Options{})
	_, err = fb.Seed("0", []string{"Projects", "plan.pdf"}, []byte("box plan"))
	require.NoError(t, err)

	// The backend does Box's code exchange; auth "none" on loopback.
	t.Setenv("BOX_TEST_CLIENT_SECRET", fb.ClientSecret)
	bcfg := backend.EmbeddedConfig(t.TempDir())
	bcfg.Providers = map[string]backend.ProviderConfig{"box": {ClientID: fb.ClientID, ClientSecretEnv: "BOX_TEST_CLIENT_SECRET",
		Exchange: api.ExchangeBackend, TokenURL: fb.URL + "/oauth2/token", RevokeURL: fb.URL + "/oauth2/revoke", RevokeAuth: "form"}}
	bsrv, err := backend.New(bcfg)
	require.NoError(t, err)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = bsrv.Serve(ln) }()
	t.Cleanup(func() { _ = bsrv.Shutdown(context.Background()) })
	t.Setenv("FERRY_BACKEND", "http://"+ln.Addr().String())

	cfgDir := filepath.Join(home, ".config", "ferry")
	require.NoError(t, os.MkdirAll(cfgDir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(cfgDir, "config.toml"), []byte(fmt.Sprintf(`
[providers.onedrive]
type      = "onedrive"
client_id = %q
exchange  = "pkce"
api_url   = %q
auth_url  = %q

[providers.box]
type      = "box"
client_id = %q
exchange  = "backend"
api_url   = %q
auth_url  = %q
`, fg.ClientID, fg.URL, fg.AuthBase, fb.ClientID, fb.URL, fb.AuthBase)), 0o600))
	t.Cleanup(func() {
		_ = vault.Open(context.Background(), vault.Options{AppID: app.ID}).ForgetAll(context.Background())
	})

	testenv.ChromiumAsBROWSER(t)
	prev := testStdin
	testStdin = strings.NewReader("")
	t.Cleanup(func() { testStdin = prev })

	for _, tc := range []struct{ remote, title, who, path, want string }{
		{"onedrive", "OneDrive", "Megan Bowen <MeganB@contoso.example>", "/Documents", "report.docx"},
		{"box", "Box", "Aaron Levie <ceo@example.com>", "/Projects", "plan.pdf"},
	} {
		var stdout, stderr bytes.Buffer
		require.Equal(t, 0, run([]string{"login", "--timeout", "90s", tc.remote}, &stdout, &stderr), stderr.String())
		assert.Equal(t, "Signed in to "+tc.title+" as "+tc.who+".\n", stdout.String())

		stdout.Reset()
		stderr.Reset()
		require.Equal(t, 0, run([]string{"ls", tc.remote + ":" + tc.path, "--json"}, &stdout, &stderr), stderr.String())
		var e struct {
			Name  string `json:"name"`
			Size  int64  `json:"size"`
			IsDir bool   `json:"is_dir"`
		}
		require.NoError(t, json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &e), stdout.String())
		assert.Equal(t, tc.want, e.Name)
		assert.False(t, e.IsDir)

		stdout.Reset()
		require.Equal(t, 0, run([]string{"ls", tc.remote + ":"}, &stdout, &stderr), stderr.String())
		assert.Contains(t, stdout.String(), strings.TrimPrefix(tc.path, "/"))
	}
	assert.Equal(t, 1, fg.Stats().CodeExchanges)
	assert.Equal(t, 1, fb.Stats().CodeExchanges)
	assert.Zero(t, fb.Stats().SecretRejected)
}
