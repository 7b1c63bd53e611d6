package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/internal/testenv"
)

func TestVersionAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 0, run([]string{"--version"}, &out, &errb))
	assert.Contains(t, out.String(), "ferry-backend ")
	out.Reset()
	assert.Equal(t, 2, run(nil, &out, &errb))
	assert.Contains(t, errb.String(), "usage: ferry-backend --config FILE")
}

func TestBadConfigNamesFileLineKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "backend.toml")
	require.NoError(t, os.WriteFile(p, []byte("listen = \"127.0.0.1:1\"\n[upload]\nurl_lifetime = \"1h\"\n[auth]\ntype = \"none\"\n[storage]\ndir = \"/tmp/x\"\n"), 0o600))
	var out, errb bytes.Buffer
	assert.Equal(t, 1, run([]string{"--config", p}, &out, &errb))
	assert.Contains(t, errb.String(), p+":3: upload.url_lifetime:")
}

// TestServesAndShutsDownOnSIGTERM runs the real binary.
func TestServesAndShutsDownOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "ferry-backend")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	port := testenv.FreePort(t)
	cfg := filepath.Join(dir, "backend.toml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`listen = "127.0.0.1:%d"
[auth]
type = "none"
[storage]
driver = "local"
dir = %q
`, port, filepath.Join(dir, "data"))), 0o600))
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config", cfg)
	cmd.Stderr = &logs
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	addr := fmt.Sprintf("127.0.0.1:%d", port)
	testenv.WaitPort(t, addr, 10*time.Second)
	resp, err := http.Get("http://" + addr + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-done:
		require.NoError(t, err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("ferry-backend did not exit after SIGTERM")
	}
	assert.Contains(t, logs.String(), "shutting down")
}
