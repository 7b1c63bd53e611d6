package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/internal/earlyinit"
)

// TestMain gives the standard logger its output back, as main does: the
// test binary runs the same package inits.
func TestMain(m *testing.M) {
	earlyinit.Restore()
	os.Exit(m.Run())
}

// TestNoLocaleNoiseOnStderr: under LANG=C (containers, cron, CI) the real
// binary prints nothing but its answer — no "Fyne error: Error parsing user
// locale C" in front of output that other programs read.
func TestNoLocaleNoiseOnStderr(t *testing.T) {
	bin := buildFerry(t)
	for _, lang := range []string{"C", "POSIX", "C.UTF-8"} {
		cmd := exec.Command(bin, "--version")
		cmd.Env = append(os.Environ(), "LANG="+lang, "LC_ALL="+lang, "LANGUAGE=", "LC_MESSAGES=")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "LANG=%s: %s", lang, stderr.String())
		assert.Contains(t, string(out), "ferry ")
		assert.Empty(t, stderr.String(), "LANG=%s", lang)
	}
}

// buildFerry builds the real ferry binary (with the window, so cgo) for
// the tests that run it.
func buildFerry(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ferry")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}
