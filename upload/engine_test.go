package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

func TestPlanPartSize(t *testing.T) {
	assert.EqualValues(t, 16<<20, planPartSize(1<<30, 16<<20))
	assert.EqualValues(t, 5<<20, planPartSize(100<<20, 1<<20), "never below the S3 minimum")
	// 1 TiB at 16 MiB would be 65 536 parts: grown to whole MiB within 10 000.
	ps := planPartSize(1<<40, 16<<20)
	assert.LessOrEqual(t, (int64(1<<40)+ps-1)/ps, int64(maxParts))
	assert.Zero(t, ps%(1<<20))
	assert.EqualValues(t, 105<<20, ps)
}

func TestClassifyIsTheOneRetryDecision(t *testing.T) {
	cases := []struct {
		err   error
		kind  retryKind
		after time.Duration
	}{
		{&api.Error{Status: 429, Code: api.CodeRateLimited, RetryAfter: 3 * time.Second}, busy, 3 * time.Second},
		{&api.Error{Status: 503, Code: "SlowDown"}, busy, 0},
		{&api.Error{Status: 500, Code: "InternalError"}, transient, 0},
		{&api.Error{Status: 403, Code: "AccessDenied", Message: "Request has expired."}, expiredURL, 0},
		{&api.Error{Status: 403, Code: api.CodeExpired, Message: "Request has expired"}, expiredURL, 0},
		{&api.Error{Status: 403, Code: "SignatureDoesNotMatch"}, permanent, 0},
		{&api.Error{Status: 400, Code: api.CodeTooLarge}, permanent, 0},
		{&url.Error{Op: "Put", URL: "http://x", Err: syscall.ECONNRESET}, transient, 0},
		{&url.Error{Op: "Put", URL: "http://x", Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, transient, 0},
		{fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), transient, 0},
		{fmt.Errorf("%w: x", errStalled), transient, 0},
		{context.Canceled, permanent, 0},
		{&SourceError{Reason: "gone", Err: os.ErrNotExist}, permanent, 0},
		{&SourceError{Reason: "broke", Err: io.ErrUnexpectedEOF, Transient: true}, transient, 0},
		{errors.New("something else"), permanent, 0},
	}
	for _, c := range cases {
		kind, after := classify(c.err)
		assert.Equal(t, c.kind, kind, "%v", c.err)
		assert.Equal(t, c.after, after, "%v", c.err)
	}
}

func TestPacerRetriesHonouringRetryAfterAndGivesUp(t *testing.T) {
	p := &pacer{base: time.Millisecond, max: 4 * time.Millisecond, attempts: 3, busy: 5, expired: 2}
	calls := 0
	start := time.Now()
	err := p.call(context.Background(), func() error {
		calls++
		if calls == 1 {
			return &api.Error{Status: 429, RetryAfter: 300 * time.Millisecond}
		}
		if calls < 4 {
			return io.ErrUnexpectedEOF
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 4, calls)
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "Retry-After is a floor")

	calls = 0
	err = p.call(context.Background(), func() error { calls++; return io.ErrUnexpectedEOF })
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, 4, calls, "1 try + 3 retries")

	calls = 0
	err = p.call(context.Background(), func() error { calls++; return &api.Error{Status: 400, Code: "bad"} })
	assert.Error(t, err)
	assert.Equal(t, 1, calls, "permanent errors are not retried")

	calls = 0
	err = p.call(context.Background(), func() error {
		calls++
		return &api.Error{Status: 403, Message: "Request has expired."}
	})
	assert.Error(t, err)
	assert.Equal(t, 3, calls, "re-signed twice, then given up")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = p.call(ctx, func() error { return io.ErrUnexpectedEOF })
	assert.ErrorIs(t, err, context.Canceled)
}

func TestURLExpiryReadsSigV4Query(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exp, life := urlExpiry("http://s3/b/k?X-Amz-Date=20260102T030000Z&X-Amz-Expires=600&X-Amz-Signature=abc", 0, now)
	assert.Equal(t, time.Date(2026, 1, 2, 3, 10, 0, 0, time.UTC), exp)
	assert.Equal(t, 10*time.Minute, life)
	exp, life = urlExpiry("http://local/storage/k?sig=x", 60, now)
	assert.Equal(t, now.Add(time.Minute), exp)
	assert.Equal(t, time.Minute, life)
	exp, _ = urlExpiry("http://local/storage/k", 0, now)
	assert.True(t, exp.IsZero())

	u := signedURL{expires: now.Add(2 * time.Second), life: 2 * time.Second}
	assert.True(t, u.fresh(now))
	assert.False(t, u.fresh(now.Add(1600*time.Millisecond)), "a quarter of the lifetime is kept in reserve")
}

func TestJournalWritesAtomicallyAndLists(t *testing.T) {
	dir := t.TempDir()
	j, err := OpenJournal(dir)
	require.NoError(t, err)
	e := &JournalEntry{Backend: "http://b", Origin: "local:/x/a.bin", Identity: "id1", Name: "a.bin", Size: 10,
		Protocol: api.ProtocolS3, Key: "k", UploadID: "u", PartSize: 5 << 20}
	require.NoError(t, j.save(e))
	e.Parts = []api.Part{{PartNumber: 1, Size: 5 << 20, ETag: `"abc"`}}
	require.NoError(t, j.save(e))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "junk.json"), []byte("{not json"), 0o600))
	list, err := j.Pending()
	require.NoError(t, err)
	require.Len(t, list, 1, "damaged files are ignored")
	assert.Equal(t, "/x/a.bin", list[0].LocalPath())
	assert.Len(t, list[0].Parts, 1)
	got := j.load("http://b", "local:/x/a.bin")
	require.NotNil(t, got)
	_, err = got.Source()
	assert.Error(t, err, "the file is gone")
	real, _ := writeRandomFile(t, dir, "real.bin", 10, 1)
	src, err := JournalEntry{Origin: "local:" + real, Name: "album/real.bin"}.Source()
	require.NoError(t, err)
	assert.Equal(t, "album/real.bin", src.Name())
	_, err = JournalEntry{Origin: "gdrive:ID", Name: "x"}.Source()
	assert.Error(t, err)
	assert.Nil(t, j.load("http://other", "local:/x/a.bin"), "entries belong to one backend")
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".entry-*"))
	assert.Empty(t, leftovers, "no temp files left behind")
	fi, err := os.Stat(j.file("http://b", "local:/x/a.bin"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.NoError(t, j.Forget("http://b", "local:/x/a.bin"))
	require.NoError(t, j.Forget("http://b", "local:/x/a.bin"), "forgetting twice is fine")
	list, err = j.Pending()
	require.NoError(t, err)
	assert.Empty(t, list)
	var nilJournal *Journal
	require.NoError(t, nilJournal.save(e))
	assert.Nil(t, nilJournal.load("http://b", "x"))
}

func TestProgressSmoothsSpeedAndEstimatesETA(t *testing.T) {
	var last struct {
		sent  int64
		speed float64
		eta   time.Duration
	}
	p := newProgress(100<<20, 0, func(s int64, sp float64, eta time.Duration) {
		last.sent, last.speed, last.eta = s, sp, eta
	})
	p.last = time.Now().Add(-time.Second)
	p.add(10 << 20) // about 10 MiB/s over the last second
	assert.EqualValues(t, 10<<20, last.sent)
	assert.InDelta(t, 10<<20, last.speed, 1<<20)
	assert.InDelta(t, 9*time.Second, last.eta, float64(2*time.Second))
	p.add(-(4 << 20)) // a failed attempt's bytes are taken back
	assert.EqualValues(t, 6<<20, p.sent.Load())
	assert.EqualValues(t, 6<<20, last.sent)
	assert.Zero(t, last.speed, "no speed is shown for bytes that were not stored")
	assert.Zero(t, last.eta, "nor a time left")
}

// TestProgressBurstIsReportedAtTheIntervalsEnd: bytes counted right
// after an event (a body read into the socket in one go, then accepted
// slowly) are reported by a trailing event, not only when the file is done.
func TestProgressBurstIsReportedAtTheIntervalsEnd(t *testing.T) {
	got := make(chan int64, 4)
	p := newProgress(10<<20, 50*time.Millisecond, func(s int64, _ float64, _ time.Duration) { got <- s })
	p.add(3 << 20) // within the first interval: no event yet
	p.add(2 << 20)
	select {
	case s := <-got:
		assert.EqualValues(t, 5<<20, s, "one trailing event with both adds")
	case <-time.After(5 * time.Second):
		t.Fatal("the burst was never reported")
	}
	select {
	case s := <-got:
		t.Fatalf("a second event for the same bytes: %d", s)
	case <-time.After(150 * time.Millisecond):
	}
}

func TestEmbeddedBackendMultipartAndEvents(t *testing.T) {
	client, d, filesDir, token := startEmbeddedToken(t)
	d.Upload.MultipartThreshold = 5 << 20
	d.Upload.Checksum = "" // the embedded backend's default
	path, sum := writeRandomFile(t, t.TempDir(), "local.bin", 17<<20+3, 31)
	src, err := NewLocalFile(path, "")
	require.NoError(t, err)
	events := &collector{}
	logs := &logBuffer{}
	q := NewQueue(client, d, Options{PartSize: 5 << 20, OnEvent: events.add, ProgressInterval: time.Millisecond, Logger: logs.Logger()})
	defer q.Close()
	id := q.Add(src)[0]
	q.Wait()
	e := events.final(id)
	require.Equal(t, Done, e.State, "%v", e.Err)
	assert.Equal(t, sum, e.Result.SHA256)
	assert.Equal(t, sum, fileSHA256(t, filepath.Join(filesDir, filepath.FromSlash(e.Result.Key))))
	var prev int64
	for _, ev := range events.events {
		if ev.State == Uploading {
			assert.GreaterOrEqual(t, ev.Sent, prev, "progress never goes back without a failure")
			prev = ev.Sent
			assert.EqualValues(t, 17<<20+3, ev.Total)
		}
	}
	assert.Positive(t, prev)
	assert.Contains(t, logs.String(), "part stored", "debug logging was on")
	assert.NotContains(t, logs.String(), token)
	assert.NotContains(t, logs.String(), "sig=")
}
