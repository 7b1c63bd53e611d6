//go:build unix

package local

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/providers"
)

func TestHiddenToggleAndSpecialFiles(t *testing.T) {
	root := t.TempDir()
	for _, n := range []string{".hidden", "shown.txt", ".config"} {
		require.NoError(t, os.WriteFile(filepath.Join(root, n), nil, 0o644))
	}
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	p, err := New(Options{Places: []Place{{Path: root}}, PageSize: 1})
	require.NoError(t, err)
	defer p.Close()
	got := listNames(t, p, root)
	assert.Len(t, got, 2)
	assert.Contains(t, got, "shown.txt")
	// A FIFO is listed as unusable and opening it never blocks.
	require.ErrorIs(t, got["fifo"].Err, providers.ErrNotSupported)
	_, err = p.Open(context.Background(), got["fifo"].ID, 0)
	require.ErrorIs(t, err, providers.ErrNotSupported)

	p.SetShowHidden(true)
	got = listNames(t, p, root)
	assert.Len(t, got, 4)
	assert.Contains(t, got, ".hidden")
}

// TestUnreadableEntriesShownAsSuch needs a user the kernel denies: as root
// it re-runs itself as nobody.
func TestUnreadableEntriesShownAsSuch(t *testing.T) {
	if dir := os.Getenv("FERRY_LOCAL_UNREADABLE_DIR"); dir != "" {
		checkUnreadable(t, dir)
		return
	}
	dir, err := os.MkdirTemp("", "ferry-unreadable-")
	require.NoError(t, err)
	t.Cleanup(func() {
		os.Chmod(filepath.Join(dir, "closed"), 0o755)
		os.RemoveAll(dir)
	})
	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "open.txt"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "locked.txt"), []byte("x"), 0o000))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "closed"), 0o000))
	if os.Geteuid() != 0 {
		checkUnreadable(t, dir)
		return
	}
	// Copy the test binary where nobody can run it, and run this test as nobody.
	bin := filepath.Join(dir, "local.test")
	self, err := os.ReadFile(os.Args[0])
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bin, self, 0o755))
	cmd := exec.Command(bin, "-test.run=^TestUnreadableEntriesShownAsSuch$", "-test.v")
	cmd.Env = append(os.Environ(), "FERRY_LOCAL_UNREADABLE_DIR="+dir, "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "--- PASS: TestUnreadableEntriesShownAsSuch")
	os.Remove(bin)
}

func checkUnreadable(t *testing.T, dir string) {
	p, err := New(Options{Places: []Place{{Path: dir}}})
	require.NoError(t, err)
	defer p.Close()
	got := listNames(t, p, dir)
	assert.NoError(t, got["open.txt"].Err)
	assert.ErrorIs(t, got["locked.txt"].Err, providers.ErrPermissionDenied)
	assert.ErrorIs(t, got["closed"].Err, providers.ErrPermissionDenied)
	assert.True(t, got["closed"].IsDir)
	_, err = p.Open(context.Background(), got["locked.txt"].ID, 0)
	assert.ErrorIs(t, err, providers.ErrPermissionDenied)
	_, err = p.List(context.Background(), got["closed"].ID, "")
	assert.ErrorIs(t, err, providers.ErrPermissionDenied)
}
