package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteReplacesContentAndHonoursMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state.json")
	require.NoError(t, Write(p, []byte("first"), 0o644))
	requireFile(t, p, "first", 0o644)
	require.NoError(t, Write(p, []byte("second, longer"), 0o600))
	requireFile(t, p, "second, longer", 0o600)
	requireOnly(t, p)
}

func TestFailedWriteLeavesTheOldFileWhole(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.toml")
	require.NoError(t, Write(p, []byte("backend = \"https://a.example\"\n"), 0o600))

	// The writer dies half-way: some bytes are out, then an error.
	boom := errors.New("disk full")
	err := WriteFunc(p, 0o600, func(w io.Writer) error {
		_, _ = w.Write([]byte("backend = \"ht"))
		return boom
	})
	require.ErrorIs(t, err, boom)
	requireFile(t, p, "backend = \"https://a.example\"\n", 0o600)
	requireOnly(t, p)

	// The rename fails (something else now stands at the path): nothing
	// is left behind either.
	d := filepath.Join(t.TempDir(), "taken")
	require.NoError(t, os.MkdirAll(filepath.Join(d, "child"), 0o700))
	require.Error(t, Write(d, []byte("x"), 0o600))
	requireOnly(t, d)
}

func TestRemoveStaleRemovesOnlyThisFilesTemporaries(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tokens.vault")
	require.NoError(t, Write(p, []byte("keep"), 0o600))
	for _, n := range []string{"tokens.vault.tmp-123", "other.tmp-1", "tokens.vault.bak"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte("half"), 0o600))
	}
	RemoveStale(p)
	names := dirNames(t, dir)
	assert.ElementsMatch(t, []string{"tokens.vault", "other.tmp-1", "tokens.vault.bak"}, names)
	requireFile(t, p, "keep", 0o600)
}

func requireFile(t *testing.T, p, content string, mode fs.FileMode) {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, content, string(data))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, mode, fi.Mode().Perm())
}

// requireOnly checks that p's directory holds p and nothing else.
func requireOnly(t *testing.T, p string) {
	t.Helper()
	assert.Equal(t, []string{filepath.Base(p)}, dirNames(t, filepath.Dir(p)), "no temporary file left behind")
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
