//go:build unix

package appdirs

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Without a home folder, the folders are not /tmp/ferry-config and the like:
// another account could create such a predictable path first and read or
// plant the vault. They are one private folder made for this process.
func TestNoPredictableFallbackWithoutHome(t *testing.T) {
	for _, v := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"} {
		t.Setenv(v, "")
	}
	t.Setenv("TMPDIR", t.TempDir())
	for name, f := range map[string]func() string{"config": ConfigDir, "cache": CacheDir, "data": DataDir} {
		d := f()
		assert.NotEqual(t, filepath.Join(os.TempDir(), "ferry-"+name), d, name)
		parent := filepath.Dir(d)
		st, err := os.Lstat(parent)
		require.NoError(t, err, name)
		assert.True(t, st.IsDir(), name)
		assert.Equal(t, fs.FileMode(0o700), st.Mode().Perm(), "%s: the private parent folder", name)
		assert.Equal(t, d, f(), "%s: the same folder for the whole process", name)
	}
}
