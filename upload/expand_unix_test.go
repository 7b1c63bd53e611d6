//go:build unix

package upload

import (
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExpandUploadsWhatItCanAndListsTheRest is issue 20 item 3: one item
// that cannot be uploaded does not reject the others, and each one left out
// is named with the reason.
func TestExpandUploadsWhatItCanAndListsTheRest(t *testing.T) {
	root := t.TempDir()
	must := func(err error) { t.Helper(); require.NoError(t, err) }
	must(os.MkdirAll(filepath.Join(root, "docs"), 0o755))
	must(os.WriteFile(filepath.Join(root, "docs", "c.txt"), []byte("c"), 0o644))
	must(os.WriteFile(filepath.Join(root, "a.txt"), []byte("a"), 0o644))
	must(syscall.Mkfifo(filepath.Join(root, "pipe"), 0o644))
	must(syscall.Mkfifo(filepath.Join(root, "docs", "inner-pipe"), 0o644))
	must(os.Symlink(filepath.Join(root, "docs"), filepath.Join(root, "to-docs")))
	must(os.Symlink(filepath.Join(root, "a.txt"), filepath.Join(root, "docs", "link.txt")))

	srcs, skipped := Expand([]string{
		filepath.Join(root, "a.txt"), filepath.Join(root, "pipe"), filepath.Join(root, "gone.txt"),
		filepath.Join(root, "to-docs"),
	})
	var names []string
	for _, s := range srcs {
		names = append(names, s.Name())
	}
	sort.Strings(names)
	assert.Equal(t, []string{"a.txt", "to-docs/c.txt"}, names, "a link given by itself is followed")
	why := map[string]string{}
	for _, s := range skipped {
		why[s.Name] = Reason(s.Err)
	}
	assert.Equal(t, map[string]string{
		"pipe":               "Only regular files can be uploaded",
		"gone.txt":           "Cannot read gone.txt",
		"to-docs/inner-pipe": "Only regular files can be uploaded",
		"to-docs/link.txt":   "Links inside a folder are not followed",
	}, why)

	_, err := ExpandPaths([]string{filepath.Join(root, "a.txt"), filepath.Join(root, "pipe")})
	assert.Error(t, err, "the command line still refuses what it cannot upload")
	srcs, err = ExpandPaths([]string{filepath.Join(root, "docs")})
	require.NoError(t, err, "links and pipes inside a folder are left out quietly")
	assert.Len(t, srcs, 1)
}
