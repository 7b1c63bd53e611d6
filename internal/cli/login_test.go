package cli

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/internal/testenv"
)

// startTestOP builds and runs the test OpenID Provider (zitadel/oidc's op,
// auth/internal/testop) as a process and returns its issuer URL.
func startTestOP(t *testing.T, args ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "testop")
	build := exec.Command("go", "build", "-o", bin, "./auth/internal/testop/cmd/testop")
	build.Dir = testenv.RepoRoot(t)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building testop: %s", out)
	cmd := exec.Command(bin, args...)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSpace(line)
}

// TestLoginLogoutBackendOIDC is issue 3's done-criterion from the command
// line: `ferry login` with no argument signs in to the OIDC issuer the
// backend's discovery names (configured there only by issuer URL and
// client_id), in the browser $BROWSER names, and stores the account in the
// vault; `ferry logout` revokes and removes it.
func TestLoginLogoutBackendOIDC(t *testing.T) {
	testenv.RequireSecretService(t)
	// Before isolate: it moves XDG_CACHE_HOME, and with it Go's build cache.
	issuer := startTestOP(t, "-native", "ferry-desktop=/oauth/cb/"+app.BackendRemote)
	isolate(t)

	bcfg := backend.EmbeddedConfig(t.TempDir())
	bcfg.Auth = backend.AuthConfig{Type: "oidc", Issuer: issuer, ClientID: "ferry-desktop",
		Scopes: []string{"openid", "email", "profile", "offline_access"}}
	bsrv, err := backend.New(bcfg)
	require.NoError(t, err)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	go bsrv.Serve(ln)
	t.Cleanup(func() { bsrv.Shutdown(context.Background()) })
	t.Setenv("FERRY_BACKEND", "http://"+ln.Addr().String())
	t.Cleanup(func() { vault.Open(context.Background(), vault.Options{AppID: app.ID}).ForgetAll(context.Background()) })

	testenv.ChromiumAsBROWSER(t)
	prev := testStdin
	testStdin = strings.NewReader("")
	t.Cleanup(func() { testStdin = prev })

	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"login"}, &stdout, &stderr), stderr.String())
	assert.Equal(t, "Signed in to the upload service as Test User <test-user@zitadel.ch>.\n", stdout.String())
	assert.Contains(t, stderr.String(), issuer+"/authorize?", "the link is printed for opening by hand")

	stdout.Reset()
	stderr.Reset()
	require.Equal(t, 0, run([]string{"accounts"}, &stdout, &stderr), stderr.String())
	assert.Regexp(t, `backend\s+Test User <test-user@zitadel.ch>\s+ok`, stdout.String())

	stdout.Reset()
	stderr.Reset()
	require.Equal(t, 0, run([]string{"logout", "test-user@zitadel.ch"}, &stdout, &stderr), stderr.String())
	assert.Equal(t, "Signed out of the upload service account Test User.\n", stdout.String())
	assert.Empty(t, stderr.String(), "revocation at the OP succeeded")

	stdout.Reset()
	require.Equal(t, 0, run([]string{"accounts"}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "No accounts")

	stderr.Reset()
	assert.Equal(t, 1, run([]string{"logout", "backend"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "no signed-in account")
}

func TestLoginUsage(t *testing.T) {
	isolate(t)
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run([]string{"login", "a", "b"}, &stdout, &stderr))
	assert.Equal(t, 2, run([]string{"logout"}, &stdout, &stderr))
}
