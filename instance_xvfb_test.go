package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSecondStartUsesTheRunningWindow: with Ferry open, `ferry FILE` (what
// the desktop runs for "Open with Ferry") exits at once, the running
// window uploads FILE, and there is still one Ferry window.
func TestSecondStartUsesTheRunningWindow(t *testing.T) {
	bin := buildFerry(t)
	display := startXvfb(t)
	home := sampleHome(t)
	env := append(guiEnv(home), "DISPLAY="+display, "XDG_RUNTIME_DIR="+shortRuntimeDir(t))

	logs := &syncBuffer{}
	exited := startBinary(t, bin, env, logs, logs, "--verbose")
	waitWindow(t, display, "^Ferry$", exited, logs)
	waitLog(t, logs, `msg="folder listed"`)

	notes := filepath.Join(home, "Documents", "notes.txt")
	second := exec.Command(bin, notes)
	second.Env = env
	out, err := second.CombinedOutput()
	require.NoError(t, err, "the second start hands over and exits 0: %s", out)
	waitLog(t, logs, `msg="another start of ferry" files=1`)
	waitLog(t, logs, `msg=upload name=notes.txt state=done`)

	search := exec.Command("xdotool", "search", "--name", "^Ferry$")
	search.Env = append(os.Environ(), "DISPLAY="+display)
	ids, err := search.Output()
	require.NoError(t, err)
	assert.Len(t, strings.Fields(string(ids)), 1, "one Ferry window")
	select {
	case err := <-exited:
		t.Fatalf("the first Ferry exited: %v\n%s", err, logs)
	default:
	}
}

// shortRuntimeDir is a private runtime folder with a short path (a Unix
// socket's path is limited to about 100 bytes).
func shortRuntimeDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "fr")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o700))
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
