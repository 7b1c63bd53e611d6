package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/providers"
)

// flakyDrive is a cloud drive that serves files from memory, honours ranged
// opens the way a provider's download does, and cuts every download after
// breakAfter bytes with a network-like error.
type flakyDrive struct {
	files      map[string][]byte
	revision   string
	breakAfter int

	mu    sync.Mutex
	opens []int64 // offsets asked for
}

func (d *flakyDrive) Roots(context.Context) ([]providers.Entry, error) {
	return []providers.Entry{{ID: "root", Name: "My Drive", IsDir: true}}, nil
}

func (d *flakyDrive) List(_ context.Context, folderID, token string) (providers.Page, error) {
	if folderID != "root" && folderID != "sub" {
		return providers.Page{}, providers.ErrNotFolder
	}
	// Two pages, to prove ExpandEntries follows page tokens.
	if folderID == "root" && token == "" {
		return providers.Page{Entries: []providers.Entry{d.entry("a.bin")}, NextPageToken: "p2"}, nil
	}
	if folderID == "root" {
		return providers.Page{Entries: []providers.Entry{{ID: "sub", Name: "sub", IsDir: true}}}, nil
	}
	return providers.Page{Entries: []providers.Entry{d.entry("b.bin")}}, nil
}

func (d *flakyDrive) entry(id string) providers.Entry {
	return providers.Entry{ID: id, Name: id, Size: int64(len(d.files[id])), Revision: d.revision, MIMEType: "application/octet-stream"}
}

func (d *flakyDrive) Stat(_ context.Context, id string) (providers.Entry, error) {
	if _, ok := d.files[id]; !ok {
		return providers.Entry{}, providers.ErrNotFound
	}
	return d.entry(id), nil
}

func (d *flakyDrive) Open(_ context.Context, id string, offset int64) (io.ReadCloser, error) {
	data, ok := d.files[id]
	if !ok {
		return nil, providers.ErrNotFound
	}
	d.mu.Lock()
	d.opens = append(d.opens, offset)
	d.mu.Unlock()
	return io.NopCloser(&breakingReader{r: bytes.NewReader(data[offset:]), left: d.breakAfter}), nil
}

type breakingReader struct {
	r    io.Reader
	left int
}

func (b *breakingReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.ErrUnexpectedEOF // the connection broke off
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= n
	return n, err
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{byte(seed)})
	_, _ = rng.Read(b)
	return b
}

func TestCloudFileStreamsIntoMultipartAndResumesWithRange(t *testing.T) {
	client, d, filesDir := startEmbedded(t)
	d.Upload.MultipartThreshold = 5 << 20
	drive := &flakyDrive{files: map[string][]byte{
		"a.bin": randomBytes(23<<20+7, 1),
		"b.bin": randomBytes(1<<20, 2),
	}, revision: "r1", breakAfter: 9 << 20}
	srcs, err := ExpandEntries(context.Background(), drive, "gdrive-work", []providers.Entry{{ID: "root", Name: "My Drive", IsDir: true}})
	require.NoError(t, err)
	require.Len(t, srcs, 2)
	assert.Equal(t, "My Drive/a.bin", srcs[0].Name())
	assert.Equal(t, "My Drive/sub/b.bin", srcs[1].Name())
	assert.Equal(t, "gdrive-work:a.bin", srcs[0].Origin())

	events := &collector{}
	q := NewQueue(client, d, Options{PartSize: 5 << 20, PartConcurrency: 3, OnEvent: events.add, Journal: mustJournal(t)})
	q.pacer = fastPacer()
	defer q.Close()
	ids := q.Add(srcs...)
	q.Wait()
	for i, id := range ids {
		e := events.final(id)
		require.Equal(t, Done, e.State, "%s: %v", srcs[i].Name(), e.Err)
		data := drive.files[srcs[i].(*ProviderFile).Entry.ID]
		want := sha256.Sum256(data)
		assert.Equal(t, hex.EncodeToString(want[:]), e.Result.SHA256)
		stored, err := os.ReadFile(filepath.Join(filesDir, filepath.FromSlash(e.Result.Key)))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(data, stored), "%s stored byte-identical", srcs[i].Name())
	}
	var resumed []int64
	for _, off := range drive.opens {
		if off > 0 {
			resumed = append(resumed, off)
		}
	}
	assert.Contains(t, resumed, int64(9<<20), "the broken download resumed at the byte it reached")
}

func TestCloudFileThatChangesMidUploadFails(t *testing.T) {
	client, d, _ := startEmbedded(t)
	d.Upload.MultipartThreshold = 5 << 20
	drive := &flakyDrive{files: map[string][]byte{"a.bin": randomBytes(12<<20, 3)}, revision: "r1", breakAfter: 4 << 20}
	src := NewProviderFile(drive, "dropbox", drive.entry("a.bin"), "")
	drive.revision = "r2" // edited in the cloud after it was picked
	events := &collector{}
	q := NewQueue(client, d, Options{PartSize: 5 << 20, OnEvent: events.add})
	q.pacer = fastPacer()
	defer q.Close()
	id := q.Add(src)[0]
	q.Wait()
	e := events.final(id)
	require.Equal(t, Failed, e.State)
	assert.Contains(t, Reason(e.Err), "changed")
}

func mustJournal(t *testing.T) *Journal {
	j, err := OpenJournal(t.TempDir())
	require.NoError(t, err)
	return j
}

func TestResumingReaderGivesUpOnPermanentErrors(t *testing.T) {
	drive := &flakyDrive{files: map[string][]byte{"a.bin": randomBytes(100, 4)}, revision: "r1", breakAfter: 1 << 20}
	f := NewProviderFile(drive, "box", providers.Entry{ID: "gone", Name: "gone", Size: 10}, "")
	_, err := f.Open(context.Background(), 0)
	require.Error(t, err)
	assert.ErrorIs(t, err, providers.ErrNotFound)
	assert.Equal(t, "The file is no longer there", Reason(err))
	var se *SourceError
	require.True(t, errors.As(err, &se))
}

func TestCloudFileResumesFromJournalWithRangedReads(t *testing.T) {
	client, d, filesDir := startEmbedded(t)
	d.Upload.MultipartThreshold = 5 << 20
	data := randomBytes(40<<20+5, 9)
	drive := &flakyDrive{files: map[string][]byte{"big.bin": data}, revision: "r1", breakAfter: 1 << 30}
	j := mustJournal(t)

	events := &collector{}
	q := NewQueue(client, d, Options{PartConcurrency: 1, OnEvent: events.add, Journal: j, BackendID: "test"})
	q.pacer = fastPacer()
	var stopping atomic.Bool
	events.on = func(e Event) {
		if e.State == Uploading && e.Sent >= 20<<20 && stopping.CompareAndSwap(false, true) {
			go q.Close()
		}
	}
	q.Add(NewProviderFile(drive, "webdav", drive.entry("big.bin"), ""))
	q.Wait()
	q.Close()
	pending, err := j.Pending()
	require.NoError(t, err)
	require.Len(t, pending, 1)
	assert.EqualValues(t, streamPartSize, pending[0].PartSize, "streamed parts stay small")
	assert.Positive(t, pending[0].HashedBytes)

	drive.mu.Lock()
	drive.opens = nil
	drive.mu.Unlock()
	events2 := &collector{}
	q2 := NewQueue(client, d, Options{PartConcurrency: 2, OnEvent: events2.add, Journal: j, BackendID: "test"})
	q2.pacer = fastPacer()
	defer q2.Close()
	id := q2.Add(NewProviderFile(drive, "webdav", drive.entry("big.bin"), ""))[0]
	q2.Wait()
	e := events2.final(id)
	require.Equal(t, Done, e.State, "%v", e.Err)
	want := sha256.Sum256(data)
	assert.Equal(t, hex.EncodeToString(want[:]), e.Result.SHA256, "hash state carried over")
	assert.Equal(t, pending[0].Key, e.Result.Key)
	stored, err := os.ReadFile(filepath.Join(filesDir, filepath.FromSlash(e.Result.Key)))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, stored))
	for _, off := range drive.opens {
		assert.Zero(t, off%streamPartSize, "resumed downloads start at part boundaries")
		assert.Positive(t, off, "the stored beginning is not downloaded again")
	}
}
