package cli

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/upload"
)

// isolate points every per-user directory at a temp folder.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv("FERRY_ADMIN_CONFIG", filepath.Join(home, "no-admin.toml"))
	t.Setenv("FERRY_BACKEND", "")
	return home
}

// TestUploadJSON50MB is the skeleton's done-criterion: `ferry upload --json`
// of a 50 MB random file through the embedded backend prints its SHA-256 and
// the stored object is byte-identical.
func TestUploadJSON50MB(t *testing.T) {
	home := isolate(t)
	src := filepath.Join(t.TempDir(), "random.bin")
	f, err := os.Create(src)
	require.NoError(t, err)
	h := sha256.New()
	_, err = io.CopyN(io.MultiWriter(f, h), rand.Reader, 50<<20)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	want := hex.EncodeToString(h.Sum(nil))

	var stdout, stderr bytes.Buffer
	code := run([]string{"upload", "--json", src}, &stdout, &stderr)
	require.Equal(t, 0, code, "stderr: %s", stderr.String())

	sc := bufio.NewScanner(&stdout)
	require.True(t, sc.Scan(), "one JSON line per file")
	var res upload.Result
	require.NoError(t, json.Unmarshal(sc.Bytes(), &res))
	assert.False(t, sc.Scan(), "exactly one line")
	assert.Equal(t, "random.bin", res.Name)
	assert.EqualValues(t, 50<<20, res.Size)
	assert.Equal(t, want, res.SHA256)
	assert.NotEmpty(t, res.Key)
	assert.NotContains(t, res.Location, "?", "no signature in the reported location")

	stored := filepath.Join(home, ".local", "share", "ferry", "backend", "files", filepath.FromSlash(res.Key))
	sf, err := os.Open(stored)
	require.NoError(t, err, "object stored under the user data dir at its key")
	defer sf.Close()
	h2 := sha256.New()
	_, err = io.Copy(h2, sf)
	require.NoError(t, err)
	assert.Equal(t, want, hex.EncodeToString(h2.Sum(nil)), "stored byte-identical")
}

func TestUploadMissingFileFailsClearly(t *testing.T) {
	isolate(t)
	var stdout, stderr bytes.Buffer
	code := run([]string{"upload", filepath.Join(t.TempDir(), "nope.txt")}, &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout.String())
	assert.Contains(t, stderr.String(), "Cannot read nope.txt")
}

func TestVersionAndUnknownCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 0, run([]string{"--version"}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "ferry "+testVersion)
	stdout.Reset()
	assert.Equal(t, 2, run([]string{"frobnicate"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), `unknown command "frobnicate"`)
}
