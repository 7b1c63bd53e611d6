package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/upload"
)

// TestQueueStateMachine walks one file through every state and checks the
// buttons each state offers, and that Retry reuses the row for the new job.
func TestQueueStateMachine(t *testing.T) {
	q := newQueueModel()
	src := &upload.LocalFile{Path: "/tmp/a.txt", Rel: "a.txt", Length: 100}
	ev := func(id upload.JobID, st upload.State, sent int64, err error) upload.Event {
		return upload.Event{ID: id, Name: "a.txt", State: st, Sent: sent, Total: 100, Err: err}
	}
	steps := []struct {
		e     upload.Event
		want  rowActions
		ended bool
	}{
		{ev(1, upload.Queued, 0, nil), rowActions{Pause: true, Cancel: true}, false},
		{ev(1, upload.Uploading, 40, nil), rowActions{Pause: true, Cancel: true}, false},
		{ev(1, upload.Paused, 40, nil), rowActions{Resume: true, Cancel: true}, false},
		{ev(1, upload.Queued, 40, nil), rowActions{Pause: true, Cancel: true}, false},
		{ev(1, upload.Uploading, 70, nil), rowActions{Pause: true, Cancel: true}, false},
		{ev(1, upload.Failed, 70, &api.Error{Status: 503, Code: "SlowDown"}), rowActions{Retry: true, Details: true}, true},
	}
	q.remember(1, src)
	for i, s := range steps {
		_, _, ended := q.apply(s.e)
		r, ok := q.row(0)
		require.True(t, ok)
		assert.Equal(t, s.want, r.actions(), "step %d (%s)", i, s.e.State)
		assert.Equal(t, s.ended, ended, "step %d ends the batch", i)
	}
	r, _ := q.row(0)
	assert.Equal(t, "The upload service is busy. Retry in a minute.", r.Reason)
	assert.Equal(t, 1, q.len())

	// Retry: the row waits for the new job and keeps its place.
	got, ok := q.startRetry(0)
	require.True(t, ok)
	assert.Same(t, src, got)
	r, _ = q.row(0)
	assert.Equal(t, upload.Queued, r.State)
	assert.Empty(t, r.Reason)
	_, added, _ := q.apply(ev(7, upload.Queued, 0, nil))
	assert.False(t, added, "the retried job's events update the same row")
	_, _, ended := q.apply(ev(7, upload.Done, 100, nil))
	assert.True(t, ended)
	assert.Equal(t, 1, q.len())
	r, _ = q.row(0)
	assert.Equal(t, rowActions{}, r.actions(), "a finished upload offers nothing")

	// Cancelling offers Retry but no Details; a finished row cannot be retried.
	_, _, _ = q.apply(upload.Event{ID: 8, Name: "b.txt", State: upload.Queued, Total: 5})
	q.remember(8, src)
	_, _, _ = q.apply(upload.Event{ID: 8, Name: "b.txt", State: upload.Cancelled, Total: 5, Err: context.Canceled})
	r, _ = q.row(1)
	assert.Equal(t, rowActions{Retry: true}, r.actions())
	assert.Equal(t, "Cancelled", stateText(r))
	_, ok = q.startRetry(0)
	assert.False(t, ok, "a finished upload is not retried")
}

func TestQueueTotalsAndETA(t *testing.T) {
	q := newQueueModel()
	q.apply(upload.Event{ID: 1, Name: "a", State: upload.Uploading, Sent: 1 << 20, Total: 3 << 20, BytesPerSec: 1 << 20})
	q.apply(upload.Event{ID: 2, Name: "b", State: upload.Done, Sent: 2 << 20, Total: 2 << 20})
	q.apply(upload.Event{ID: 3, Name: "c", State: upload.Failed, Sent: 0, Total: 1 << 20, Err: errors.New("x")})
	tot := q.totals()
	assert.Equal(t, queueTotals{Active: 1, Done: 1, Failed: 1, Sent: 3 << 20, Total: 6 << 20, BytesPerSec: 1 << 20}, tot)
	assert.Equal(t, "1 of 3 files, 3.0 MiB left, about 3 s", summaryText(tot, true))
	assert.Equal(t, "1 uploading · 1 failed · 1 done", countsText(tot))
}

// TestQueueRowsShowStateAndButtons renders the queue with the fyne test
// driver and checks what a person sees on each row.
func TestQueueRowsShowStateAndButtons(t *testing.T) {
	test.NewTempApp(t)
	q := newQueueView()
	ctl := &recordingControl{}
	q.ctl = ctl
	w := test.NewWindow(q.view())
	w.Resize(fyne.NewSize(800, 400))
	q.apply(upload.Event{ID: 1, Name: "holiday.jpg", State: upload.Uploading, Sent: 50, Total: 100, BytesPerSec: 2048, ETA: 30 * time.Second})
	q.apply(upload.Event{ID: 2, Name: "report.pdf", State: upload.Paused, Sent: 10, Total: 100})
	q.apply(upload.Event{ID: 3, Name: "notes.txt", State: upload.Failed, Total: 3, Err: &api.Error{Status: 401, Code: "unauthorized", Message: "token abc123 expired"}})

	rows := visibleRows(t, q)
	require.Len(t, rows, 3)
	up := rows[0]
	assert.Equal(t, "holiday.jpg", up.name.Text)
	assert.Equal(t, "Uploading — 30 s left", up.state.Text)
	assert.Equal(t, "2.0 KiB/s", up.speed.Text)
	assert.InDelta(t, 0.5, up.bar.Value, 0.001)
	assert.True(t, up.pause.Visible())
	assert.False(t, up.resume.Visible())
	assert.True(t, up.cancel.Visible())
	assert.False(t, up.rtr.Visible())

	paused := rows[1]
	assert.Equal(t, "Paused", paused.state.Text)
	assert.True(t, paused.resume.Visible())
	assert.False(t, paused.pause.Visible())

	failed := rows[2]
	assert.Equal(t, "Failed: The upload service did not accept your sign-in. Sign in again.", failed.state.Text)
	assert.True(t, failed.info.Visible())
	assert.NotContains(t, failed.state.Text, "abc123")

	test.Tap(up.pause)
	test.Tap(paused.resume)
	test.Tap(up.cancel)
	assert.Eventually(t, func() bool { return ctl.count() == 3 }, 5*time.Second, 10*time.Millisecond)
	assert.ElementsMatch(t, []string{"pause 1", "resume 2", "cancel 1"}, ctl.all())
	assert.Equal(t, "1 uploading · 1 paused · 1 failed", q.total.Text, "a paused file is counted as paused")

	// Issue 20 item 5: no speed and no time left before any byte is stored.
	q.apply(upload.Event{ID: 4, Name: "stuck.bin", State: upload.Uploading, Sent: 0, Total: 1 << 20, BytesPerSec: 2900, ETA: 9 * time.Minute})
	rows = visibleRows(t, q)
	require.Len(t, rows, 4)
	assert.Equal(t, "Uploading", rows[3].state.Text)
	assert.Empty(t, rows[3].speed.Text)
}

// TestBatchEndSendsNotification uploads through the real embedded backend
// and checks the desktop notification a finished batch sends.
func TestBatchEndSendsNotification(t *testing.T) {
	test.NewTempApp(t)
	connect, _ := embeddedConnect(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "a.bin"), 1000)
	writeRandom(t, filepath.Join(src, "b.bin"), 2000)
	w := test.NewWindow(nil)
	m := Create(w, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, ThumbnailDir: t.TempDir()})
	defer m.Close()
	m.browser.Wait()
	test.AssertNotificationSent(t, fyne.NewNotification("Uploads finished", "2 files uploaded."), func() {
		m.AddPaths([]string{filepath.Join(src, "a.bin"), filepath.Join(src, "b.bin")})
		m.Wait()
	})
	assert.Equal(t, "2 files uploaded.", m.status.Text)
}

// visibleRows returns the rows the list shows, in order.
func visibleRows(t *testing.T, q *queueView) []*rowView {
	t.Helper()
	byID := map[int]*rowView{}
	for _, o := range test.LaidOutObjects(q.list) {
		if b, ok := o.(*queueRowBox); ok && b.Visible() {
			byID[b.v.id] = b.v
		}
	}
	out := make([]*rowView, 0, len(byID))
	for i := 0; i < len(byID); i++ {
		out = append(out, byID[i])
	}
	return out
}

// recordingControl records the queue calls the buttons make.
type recordingControl struct {
	mu    sync.Mutex
	calls []string
}

func (c *recordingControl) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, s)
}
func (c *recordingControl) Pause(id upload.JobID)  { c.add(fmt.Sprintf("pause %d", id)) }
func (c *recordingControl) Resume(id upload.JobID) { c.add(fmt.Sprintf("resume %d", id)) }
func (c *recordingControl) Cancel(id upload.JobID) { c.add(fmt.Sprintf("cancel %d", id)) }
func (c *recordingControl) count() int             { c.mu.Lock(); defer c.mu.Unlock(); return len(c.calls) }
func (c *recordingControl) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

// TestFailedBatchNotifiesAndDetailsExplain: a batch that fails sends a
// notification saying so, and the row's Details button shows what
// happened, what to do and the redacted details.
func TestFailedBatchNotifiesAndDetailsExplain(t *testing.T) {
	test.NewTempApp(t)
	connect, _ := embeddedConnect(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "a.bin"), 1000)
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: func(ctx context.Context) (*upload.Client, *api.Discovery, error) {
		c, d, err := connect(ctx)
		if err != nil {
			return nil, nil, err
		}
		bad, _ := upload.NewClient(c.BaseURL(), func(context.Context) (string, error) { return "wrong", nil }, nil)
		return bad, d, nil
	}}, StartDir: src, ThumbnailDir: t.TempDir(), Accounts: &fakeAccounts{}})
	defer m.Close()
	m.browser.Wait()
	test.AssertNotificationSent(t, fyne.NewNotification("Some uploads failed", "0 uploaded, 1 not uploaded. Retry them from Ferry's upload list."), func() {
		withUI(func() { m.AddPaths([]string{filepath.Join(src, "a.bin")}) })
		m.Wait()
	})
	var rows []*rowView
	withUI(func() { rows = visibleRows(t, m.queue) })
	require.Len(t, rows, 1)
	withUI(func() { test.Tap(rows[0].info) })
	var text string
	withUI(func() {
		require.Len(t, m.dialogs, 1)
		text = allText(w.Canvas().Overlays().Top())
	})
	assert.Contains(t, text, "The upload service did not accept your sign-in. Sign in again.")
	assert.Contains(t, text, "Details")
	assert.Contains(t, text, "Sign in again", "the dialog offers to sign in to the upload service")
	assert.NotContains(t, text, "wrong", "the bearer token is not shown")
}
func (c *recordingControl) PauseAll()            { c.add("pause all") }
func (c *recordingControl) ResumeAll()           { c.add("resume all") }
func (c *recordingControl) CancelAll()           { c.add("cancel all") }
func (c *recordingControl) SetConcurrency(n int) { c.add(fmt.Sprintf("concurrency %d", n)) }

// TestSummaryTimeLeftFollowsTheRunsPace: 1 000 small files, 600 done in the
// ten seconds since the run began, each of the four uploading reporting
// little speed of its own (a small file is done before its speed settles):
// the time left follows the run's pace (about 7 s), not the sum of the
// files' own speeds (which promised hours).
func TestSummaryTimeLeftFollowsTheRunsPace(t *testing.T) {
	q := newQueueModel()
	for i := 1; i <= 1000; i++ {
		q.apply(upload.Event{ID: upload.JobID(i), Name: fmt.Sprintf("f%04d", i), State: upload.Queued, Total: 1024})
	}
	q.runStart = time.Now().Add(-10 * time.Second)
	for i := 1; i <= 600; i++ {
		q.apply(upload.Event{ID: upload.JobID(i), Name: fmt.Sprintf("f%04d", i), State: upload.Done, Sent: 1024, Total: 1024})
	}
	for i := 601; i <= 604; i++ {
		q.apply(upload.Event{ID: upload.JobID(i), Name: fmt.Sprintf("f%04d", i), State: upload.Uploading, Sent: 10, Total: 1024, BytesPerSec: 5})
	}
	got := summaryText(q.runTotals(), true)
	assert.Contains(t, got, "600 of 1000 files")
	assert.Contains(t, got, "about 7 s", "the run moves about 60 files (60 KiB) a second")
}
