package auth

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeBrowser writes a script that records its arguments, one per line.
func fakeBrowser(t *testing.T) (script, out string) {
	t.Helper()
	dir := t.TempDir()
	out = filepath.Join(dir, "args")
	script = filepath.Join(dir, "browser")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > "+out+".tmp && mv "+out+".tmp "+out+"\n"), 0o755))
	return script, out
}

func recordedArgs(t *testing.T, out string) []string {
	t.Helper()
	var data []byte
	require.Eventually(t, func() bool {
		var err error
		data, err = os.ReadFile(out)
		return err == nil
	}, 10*time.Second, 10*time.Millisecond, "the browser command never ran")
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

const testURL = "http://127.0.0.1:9/authorize?client_id=a&state=x y&redirect_uri=http%3A%2F%2F127.0.0.1"

func TestSystemOpenerUsesBROWSER(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Fatal("this test uses a POSIX shell script as the browser")
	}
	script, out := fakeBrowser(t)
	t.Setenv("BROWSER", script)
	require.NoError(t, SystemOpener()(context.Background(), testURL))
	assert.Equal(t, []string{testURL}, recordedArgs(t, out), "the URL is one argument, untouched, no shell")
}

func TestBROWSERWithArgsAndPlaceholder(t *testing.T) {
	script, out := fakeBrowser(t)
	t.Setenv("BROWSER", script+" --new-window --url=%s")
	require.NoError(t, SystemOpener()(context.Background(), testURL))
	assert.Equal(t, []string{"--new-window", "--url=" + testURL}, recordedArgs(t, out))
}

func TestBROWSERListFirstThatStarts(t *testing.T) {
	script, out := fakeBrowser(t)
	t.Setenv("BROWSER", "/nonexistent/browser:"+script)
	require.NoError(t, SystemOpener()(context.Background(), testURL))
	assert.Equal(t, []string{testURL}, recordedArgs(t, out))
}

func TestNoBrowser(t *testing.T) {
	t.Setenv("BROWSER", "/nonexistent/browser")
	err := SystemOpener()(context.Background(), testURL)
	require.ErrorIs(t, err, ErrNoBrowser)
	assert.NotContains(t, err.Error(), "state=", "the URL (it carries the state) is not in the error")

	if runtime.GOOS == "linux" {
		t.Setenv("BROWSER", "")
		t.Setenv("DISPLAY", "")
		t.Setenv("WAYLAND_DISPLAY", "")
		t.Setenv("WSL_DISTRO_NAME", "")
		require.ErrorIs(t, SystemOpener()(context.Background(), testURL), ErrNoBrowser)
	}
}

// TestOpenBrowserFailureKeepsFlow: a failing opener is reported as
// ErrNoBrowser and the flow still completes (here by the callback).
func TestOpenBrowserFailureKeepsFlow(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	f := begin(t, as.config("test"))
	err := f.OpenBrowser(context.Background(), CommandOpener("/nonexistent/browser"))
	require.ErrorIs(t, err, ErrNoBrowser)
	good := as.authorize(f.URL())
	require.Equal(t, 200, send(t, f, "GET", f.callbackPath, good, "").StatusCode)
	_, err = f.Wait()
	require.NoError(t, err)
}
