//go:build unix

package backend

import (
	"io/fs"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stored uploads are the user's files: readable by the user only, like the
// token vault (a process of another account in the same group must not
// read them).
func TestStoredUploadsArePrivate(t *testing.T) {
	e, dir, _ := startEmbedded(t)
	c := &apiClient{t: t, base: e.URL, token: e.Token}
	body := randomBytes(t, 1000)
	p := c.params("notes.txt", "text/plain", int64(len(body)))
	resp, data := put(t, p.URL, p.Headers, body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(data))

	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if p == dir {
			return nil // the caller's folder
		}
		n++
		fi, err := d.Info()
		require.NoError(t, err)
		if d.IsDir() {
			assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm(), p)
		} else {
			assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), p)
		}
		return nil
	}))
	assert.Greater(t, n, 3, "folders and the stored file were checked")
}
