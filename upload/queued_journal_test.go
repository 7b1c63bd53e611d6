package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// heldSource is a file whose reading waits until the test lets it go (or
// the upload is stopped), so the queue stays where the test put it.
type heldSource struct {
	Source
	release chan struct{}
}

func (h heldSource) Open(ctx context.Context, off int64) (io.ReadCloser, error) {
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	return h.Source.Open(ctx, off)
}

func pendingNames(t *testing.T, j *Journal) []string {
	t.Helper()
	list, err := j.Pending()
	require.NoError(t, err)
	var out []string
	for _, e := range list {
		out = append(out, e.Name)
	}
	sort.Strings(out)
	return out
}

// TestEveryQueuedFileIsJournalledUntilItEnds is issue 20 item 2: a file
// still waiting for its turn when Ferry stops is offered again, like the
// ones that had started; nothing stays in the journal once it ended.
func TestEveryQueuedFileIsJournalledUntilItEnds(t *testing.T) {
	client, d, filesDir := startEmbedded(t)
	j, err := OpenJournal(t.TempDir())
	require.NoError(t, err)
	dir := t.TempDir()
	sums := map[string]string{}
	release := make(chan struct{})
	var srcs []Source
	for i, name := range []string{"one.bin", "two.bin", "three.bin"} {
		p, sum := writeRandomFile(t, dir, name, 300_000, uint64(40+i))
		sums["album/"+name] = sum
		s, err := NewLocalFile(p, "album/"+name)
		require.NoError(t, err)
		srcs = append(srcs, heldSource{s, release})
	}
	opts := Options{Concurrency: 1, Journal: j, BackendID: "embedded"}
	q := NewQueue(client, d, opts)
	q.Add(srcs...)
	// One is being read, two wait for their turn: all three are journalled
	// the moment Add returns.
	assert.Equal(t, []string{"album/one.bin", "album/three.bin", "album/two.bin"}, pendingNames(t, j))
	q.Close() // Ferry stops (a crash leaves the same journal: it is written before)
	assert.Len(t, pendingNames(t, j), 3, "stopping keeps every unfinished file")

	// The next run offers all three and stores them under their names.
	pending, err := j.Pending()
	require.NoError(t, err)
	var again []Source
	for _, e := range pending {
		assert.Equal(t, "embedded", e.Backend)
		s, err := e.Source()
		require.NoError(t, err)
		again = append(again, s)
	}
	events := &collector{}
	opts.OnEvent = events.add
	q = NewQueue(client, d, opts)
	ids := q.Add(again...)
	q.Wait()
	q.Close()
	for _, id := range ids {
		e := events.final(id)
		require.Equal(t, Done, e.State, "%v", e.Err)
		assert.Equal(t, sums[e.Name], e.Result.SHA256)
		assert.Equal(t, sums[e.Name], fileSHA256(t, filepath.Join(filesDir, filepath.FromSlash(e.Result.Key))))
	}
	assert.Empty(t, pendingNames(t, j), "finished files are forgotten")
}

// TestJournalForgetsCancelledFailedAndRefusedFiles: what the person
// cancelled, what failed before anything was stored and what the rules
// refused is not offered after a restart.
func TestJournalForgetsCancelledFailedAndRefusedFiles(t *testing.T) {
	client, d, _ := startEmbedded(t)
	j, err := OpenJournal(t.TempDir())
	require.NoError(t, err)
	dir := t.TempDir()
	p, _ := writeRandomFile(t, dir, "keep.bin", 1000, 1)
	held, err := NewLocalFile(p, "")
	require.NoError(t, err)
	big, _ := writeRandomFile(t, dir, "big.bin", 5000, 2)
	bigSrc, err := NewLocalFile(big, "")
	require.NoError(t, err)
	gone, _ := writeRandomFile(t, dir, "gone.bin", 1000, 3)
	goneSrc, err := NewLocalFile(gone, "")
	require.NoError(t, err)
	require.NoError(t, os.Remove(gone))

	events := &collector{}
	q := NewQueue(client, d, Options{Journal: j, BackendID: "embedded", OnEvent: events.add,
		Restrictions: Restrictions{MaxFileSize: 4000}})
	defer q.Close()
	ids := q.Add(heldSource{held, make(chan struct{})}, bigSrc, goneSrc)
	assert.Contains(t, pendingNames(t, j), "keep.bin")
	assert.NotContains(t, pendingNames(t, j), "big.bin", "a refused file is never journalled")
	q.Cancel(ids[0])
	q.Wait()
	assert.Equal(t, Cancelled, events.final(ids[0]).State)
	assert.Equal(t, Failed, events.final(ids[1]).State)
	gotErr := events.final(ids[2]).Err
	assert.True(t, errors.Is(gotErr, os.ErrNotExist), "%v", gotErr)
	assert.Empty(t, pendingNames(t, j))
}

// TestFolderUploadKeepsRelativePathsInKeys is issue 20 item 4: files from
// inside a folder are stored under their relative path, as the README says.
func TestFolderUploadKeepsRelativePathsInKeys(t *testing.T) {
	client, d, filesDir := startEmbedded(t)
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "trip", "day1"), 0o755))
	_, sum := writeRandomFile(t, filepath.Join(root, "trip", "day1"), "a.jpg", 2000, 7)
	srcs, err := ExpandPaths([]string{filepath.Join(root, "trip")})
	require.NoError(t, err)
	require.Len(t, srcs, 1)
	events := &collector{}
	q := NewQueue(client, d, Options{OnEvent: events.add})
	id := q.Add(srcs...)[0]
	q.Wait()
	q.Close()
	e := events.final(id)
	require.Equal(t, Done, e.State, "%v", e.Err)
	assert.True(t, strings.HasSuffix(e.Result.Key, "/trip/day1/a.jpg"), e.Result.Key)
	assert.Equal(t, sum, fileSHA256(t, filepath.Join(filesDir, filepath.FromSlash(e.Result.Key))))
}

// TestBuiltInBackendReportsTheStoredFile is issue 20 item 4: the location
// reported for the built-in backend is the file:// URL of the stored file,
// which still works after Ferry quits (not a URL on a random port).
func TestBuiltInBackendReportsTheStoredFile(t *testing.T) {
	client, d, filesDir := startEmbedded(t)
	d.Upload.MultipartThreshold = 5 << 20
	dir := t.TempDir()
	small, smallSum := writeRandomFile(t, dir, "small.txt", 100, 1)
	big, bigSum := writeRandomFile(t, dir, "big.bin", 6<<20, 2)
	sums := map[string]string{"small.txt": smallSum, "big.bin": bigSum}
	srcs, err := ExpandPaths([]string{small, big})
	require.NoError(t, err)
	events := &collector{}
	q := NewQueue(client, d, Options{OnEvent: events.add, PartSize: 5 << 20})
	ids := q.Add(srcs...)
	q.Wait()
	q.Close()
	for _, id := range ids {
		e := events.final(id)
		require.Equal(t, Done, e.State, "%v", e.Err)
		u, err := url.Parse(e.Result.Location)
		require.NoError(t, err)
		assert.Equal(t, "file", u.Scheme, e.Result.Location)
		assert.Equal(t, filepath.Join(filesDir, filepath.FromSlash(e.Result.Key)), filepath.FromSlash(u.Path))
		assert.Equal(t, sums[e.Name], fileSHA256(t, filepath.FromSlash(u.Path)), "the location is the stored file")
	}
}

// TestFilesStartInTheOrderTheyWereQueued: with one file at a time, files
// start in the order they were added, so a resumed batch goes in the
// order the person first queued it (issue 20 item 2).
func TestFilesStartInTheOrderTheyWereQueued(t *testing.T) {
	client, d, _ := startEmbedded(t)
	dir := t.TempDir()
	var srcs []Source
	for i := range 24 {
		p, _ := writeRandomFile(t, dir, fmt.Sprintf("f%02d.bin", i), 100, uint64(i))
		s, err := NewLocalFile(p, "")
		require.NoError(t, err)
		srcs = append(srcs, s)
	}
	var mu sync.Mutex
	var started []JobID
	q := NewQueue(client, d, Options{Concurrency: 1, OnEvent: func(e Event) {
		if e.State == Uploading && e.Sent == 0 {
			mu.Lock()
			if !slices.Contains(started, e.ID) {
				started = append(started, e.ID)
			}
			mu.Unlock()
		}
	}})
	ids := q.Add(srcs...)
	q.Wait()
	q.Close()
	assert.Equal(t, ids, started)
}

// TestPausedFileInLineLetsTheNextOneGo: a file paused while it waits for
// its turn does not hold up the files behind it.
func TestPausedFileInLineLetsTheNextOneGo(t *testing.T) {
	client, d, _ := startEmbedded(t)
	dir := t.TempDir()
	release := make(chan struct{})
	var srcs []Source
	for i, name := range []string{"first.bin", "second.bin", "third.bin"} {
		p, _ := writeRandomFile(t, dir, name, 100, uint64(i))
		s, err := NewLocalFile(p, "")
		require.NoError(t, err)
		if i == 0 {
			srcs = append(srcs, heldSource{s, release})
		} else {
			srcs = append(srcs, s)
		}
	}
	events := &collector{}
	thirdDone := make(chan struct{})
	events.on = func(e Event) {
		if e.Name == "third.bin" && e.State == Done {
			close(thirdDone)
		}
	}
	q := NewQueue(client, d, Options{Concurrency: 1, OnEvent: events.add})
	defer q.Close()
	ids := q.Add(srcs...)
	q.Pause(ids[1])
	close(release)
	select {
	case <-thirdDone:
	case <-time.After(30 * time.Second):
		t.Fatalf("the third file waited behind the paused second: %v", events.states(ids[2]))
	}
	assert.Equal(t, Done, events.final(ids[0]).State)
	assert.Contains(t, events.states(ids[1]), Paused)
	q.Resume(ids[1])
	q.Wait()
	assert.Equal(t, Done, events.final(ids[1]).State)
}
