package upload

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHistoryKeepsFinishedUploadsAcrossRestarts is issue 20 item 4: what
// was uploaded can be found after Ferry restarts, newest first, without
// any secret, and the person can clear it.
func TestHistoryKeepsFinishedUploadsAcrossRestarts(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ferry", "history.jsonl")
	h, err := OpenHistory(p)
	require.NoError(t, err)
	require.NoError(t, h.Add(Result{Name: "trip/a.jpg", Size: 3, Key: "local/2026/12/u/trip/a.jpg", Location: "file:///home/ann/files/local/2026/12/u/trip/a.jpg"}))
	require.NoError(t, h.Add(Result{Name: "b.pdf", Size: 4, Key: "k/b.pdf", Location: "https://s3.example/bucket/k/b.pdf?X-Amz-Signature=abc&X-Amz-Credential=AKIA"}))
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, _ = f.WriteString(`{"name":"torn`) // a crash in the middle of a line
	require.NoError(t, f.Close())

	again, err := OpenHistory(p) // the next run
	require.NoError(t, err)
	list, err := again.List()
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "b.pdf", list[0].Name, "newest first")
	assert.Equal(t, "https://s3.example/bucket/k/b.pdf", list[0].Location, "no signature kept")
	assert.Equal(t, "trip/a.jpg", list[1].Name)
	assert.False(t, list[1].Finished.IsZero())
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "X-Amz")
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	require.NoError(t, again.Clear())
	list, err = again.List()
	require.NoError(t, err)
	assert.Empty(t, list)
	var none *History
	assert.NoError(t, none.Add(Result{Name: "x"}))
}
