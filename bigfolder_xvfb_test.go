package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSIGTERMMidFolderThenResumeStoresEachFileOnce is issue 20 item 9's
// correctness half with the real window (its speed and memory are in
// bench/ui): a folder of 2 000 files given on the command line, in a
// session without a D-Bus bus (no tray, no keychain), is stopped with
// SIGTERM while it uploads. Ferry exits cleanly (before, Fyne's tray code
// panicked on quit without a session bus: exit status 2), the journal
// lists exactly the files not stored, and `ferry upload --resume` stores
// those: in the end each file is stored once, byte-identical.
func TestSIGTERMMidFolderThenResumeStoresEachFileOnce(t *testing.T) {
	const dirs, perDir = 20, 100
	bin := buildFerry(t)
	display := startXvfb(t)
	home := t.TempDir()
	tree := filepath.Join(t.TempDir(), "tree")
	want := map[string][]byte{}
	for d := range dirs {
		require.NoError(t, os.MkdirAll(filepath.Join(tree, fmt.Sprintf("d%02d", d)), 0o755))
		for f := range perDir {
			name := fmt.Sprintf("tree/d%02d/f%03d.txt", d, f)
			body := []byte(strings.Repeat(name+"\n", 1+f%7))
			want[name] = body
			require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(tree), name), body, 0o644))
		}
	}
	env := []string{"HOME=" + home, "LANG=en_US.UTF-8", "PATH=" + os.Getenv("PATH"), "DISPLAY=" + display,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local/share"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"), "XDG_RUNTIME_DIR=" + shortRuntimeDir(t),
		"FERRY_ADMIN_CONFIG=" + filepath.Join(home, "no-admin.toml"),
		// No session bus; named, so that D-Bus clients do not autolaunch one.
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(home, "no-bus")}

	logs := &syncBuffer{}
	cmd, exited := startBinaryCmd(t, bin, env, logs, logs, "--verbose", tree)
	waitWindow(t, display, "^Ferry$", exited, logs)
	waitLog(t, logs, `msg="folder listed"`)
	waitLog(t, logs, `msg="queue panel" expanded=true`)
	require.Eventually(t, func() bool { return strings.Count(logs.String(), "state=done") >= 200 },
		2*time.Minute, 20*time.Millisecond, "uploads did not start:\n%s", logs)
	search := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Ferry$")
	search.Env = append(os.Environ(), "DISPLAY="+display)
	ids, err := search.Output()
	require.NoError(t, err)
	shootMoving(t, display, strings.Fields(string(ids))[0], "queue-big-folder.png")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, "ferry exits cleanly on SIGTERM:\n%s", tail(logs.String()))
	case <-time.After(time.Minute):
		t.Fatalf("ferry did not end after SIGTERM:\n%s", tail(logs.String()))
	}
	assert.NotContains(t, logs.String(), "panic")

	store := filepath.Join(home, ".local/share/ferry/backend/files")
	stored := storedUnder(t, store)
	require.Less(t, len(stored), len(want), "SIGTERM came before everything was stored")
	pending := journalOf(t, filepath.Join(home, ".local/share/ferry/uploads"))
	for name := range want {
		_, isStored := stored[name]
		_, isPending := pending[name]
		assert.True(t, isStored != isPending, "%s: stored %v, in the journal %v (want exactly one)", name, isStored, isPending)
	}

	resume := exec.Command(bin, "upload", "--resume", "--json")
	resume.Env = env
	var out, errOut bytes.Buffer
	resume.Stdout, resume.Stderr = &out, &errOut
	require.NoError(t, resume.Run(), "ferry upload --resume: %s", errOut.String())
	var resumed int
	for dec := json.NewDecoder(&out); dec.More(); resumed++ { // one object per line
		var r struct {
			Name string `json:"name"`
		}
		require.NoError(t, dec.Decode(&r))
		assert.Contains(t, pending, r.Name, "--resume uploads what the journal listed")
	}
	assert.Equal(t, len(pending), resumed, "--resume uploads what the journal listed")

	stored = storedUnder(t, store)
	require.Len(t, stored, len(want), "each file stored once")
	for name, body := range want {
		got, err := os.ReadFile(stored[name])
		require.NoError(t, err)
		require.True(t, bytes.Equal(body, got), "%s differs", name)
	}
	assert.Empty(t, journalOf(t, filepath.Join(home, ".local/share/ferry/uploads")))
}

// storedUnder maps each stored file's name from "tree/" on to its path, and
// fails on a name stored twice.
func storedUnder(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if i := strings.Index(p, "/tree/"); i >= 0 {
			name := p[i+1:]
			if prev, dup := out[name]; dup {
				t.Errorf("%s stored twice: %s and %s", name, prev, p)
			}
			out[name] = p
		}
		return nil
	})
	if !os.IsNotExist(err) {
		require.NoError(t, err)
	}
	return out
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}
