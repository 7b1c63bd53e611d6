package upload

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/backend/api"
)

// A folder of small files is signed in a few batch requests, and the files
// past the quota fail at once with the quota's own words, not after retries.
func TestSmallFilesAreSignedInBatches(t *testing.T) {
	r := newS3Rig(t, nil, func(c *backend.Config) { c.Upload.MaxFiles = 25 })
	require.Equal(t, backend.MaxBatchFiles, r.disc.Upload.ParamsBatch)
	dir := t.TempDir()
	var srcs []Source
	for i := range 30 {
		p := filepath.Join(dir, fmt.Sprintf("f%02d.txt", i))
		require.NoError(t, os.WriteFile(p, []byte(strings.Repeat("x", 100+i)), 0o644))
		src, err := NewLocalFile(p, "")
		require.NoError(t, err)
		srcs = append(srcs, src)
	}
	q := r.queue(Options{Concurrency: 4})
	defer q.Close()
	ids := q.Add(srcs...)
	q.Wait()
	var done, refused int
	for _, id := range ids {
		e := r.events.final(id)
		switch e.State {
		case Done:
			done++
		case Failed:
			refused++
			var ae *api.Error
			require.ErrorAs(t, e.Err, &ae)
			assert.Equal(t, api.CodeTooManyFiles, ae.Code)
			assert.Contains(t, Reason(e.Err), "the limit is 25 files per day")
		}
	}
	assert.Equal(t, 25, done)
	assert.Equal(t, 5, refused)
	logs := r.be.Logs.String()
	batches := strings.Count(logs, "path="+api.RouteParamsBatch+" ")
	assert.LessOrEqual(t, batches, 6, "files signed in batches")
	assert.GreaterOrEqual(t, batches, 1)
	assert.NotContains(t, logs, "path="+api.RouteParams+" ", "no file signed alone")
}
