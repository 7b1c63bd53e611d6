package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/upload"
)

// manyFiles makes a folder of n small files.
func manyFiles(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("file %02d.txt", i)), []byte("x"), 0o644))
	}
	return dir
}

// defaultWindow opens the main window at Ferry's default size over dir.
func defaultWindow(t *testing.T, deps Deps) (*Main, fyne.Window) {
	t.Helper()
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 680))
	if deps.Uploads == nil {
		deps.Uploads = fakeUploads{connect: noBackend}
	}
	if deps.ThumbnailDir == "" {
		deps.ThumbnailDir = t.TempDir()
	}
	m := Create(w, deps)
	t.Cleanup(m.Close)
	m.browser.Wait()
	return m, w
}

// positions walks the visible objects under root and gives each one's
// position relative to root (the test driver finds no list rows).
func positions(root fyne.CanvasObject) map[fyne.CanvasObject]fyne.Position {
	out := map[fyne.CanvasObject]fyne.Position{}
	var walk func(o fyne.CanvasObject, at fyne.Position)
	walk = func(o fyne.CanvasObject, at fyne.Position) {
		if !o.Visible() {
			return
		}
		out[o] = at
		var kids []fyne.CanvasObject
		switch c := o.(type) {
		case *fyne.Container:
			kids = c.Objects
		case fyne.Widget:
			kids = test.WidgetRenderer(c).Objects()
		}
		for _, k := range kids {
			walk(k, at.Add(k.Position()))
		}
	}
	walk(root, fyne.NewPos(0, 0))
	return out
}

// fullyShownRows counts the file list's rows a person sees whole.
func fullyShownRows(t *testing.T, m *Main) int {
	t.Helper()
	pos := positions(m.browser.list)
	height := m.browser.list.Size().Height
	n := 0
	for o, p := range pos {
		r, ok := o.(*fileRow)
		if !ok || r.grid || r.it == nil {
			continue
		}
		if p.Y >= -0.5 && p.Y+r.Size().Height <= height+0.5 {
			n++
		}
	}
	return n
}

// TestDefaultWindowShowsTwelveRows is issue 21 item 1: at the default
// size, with the queue idle, the file list shows at least 12 rows, and the
// queue is one line whose drop zone says files can be dropped.
func TestDefaultWindowShowsTwelveRows(t *testing.T) {
	for _, lang := range []string{"en", "de"} {
		t.Run(lang, func(t *testing.T) {
			withLanguage(t, lang)
			test.NewTempApp(t)
			dir := manyFiles(t, 40)
			m, w := defaultWindow(t, Deps{StartDir: dir, Local: localSource(t, dir).Prov})
			rows := fullyShownRows(t, m)
			assert.GreaterOrEqual(t, rows, 12, "rows of the file list shown whole at 1000×680")
			assert.False(t, m.panel.expanded, "an idle queue is folded to one line")
			assert.Contains(t, m.panel.zone.label.Text, T("No uploads yet."))
			assert.Contains(t, m.panel.zone.label.Text, T("Drop files or folders here to upload them."))
			assert.True(t, shownWhole(w, m.panel.zone), "the drop zone is on screen")
		})
	}
}

// shownWhole reports whether o is visible and lies inside the window.
func shownWhole(w fyne.Window, o fyne.CanvasObject) bool {
	if !o.Visible() || o.Size().Width <= 0 {
		return false
	}
	p := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	win := w.Canvas().Size()
	return p.X >= 0 && p.Y >= 0 && p.X+o.Size().Width <= win.Width+0.5 && p.Y+o.Size().Height <= win.Height+0.5
}

// TestQueueGrowsWhenWorkStartsAndFolds: a batch expands the queue into a
// split; the fold button brings it back to one line and out again.
func TestQueueGrowsWhenWorkStartsAndFolds(t *testing.T) {
	test.NewTempApp(t)
	dir := manyFiles(t, 40)
	m, _ := defaultWindow(t, Deps{StartDir: dir, Local: localSource(t, dir).Prov})
	withUI(func() {
		m.queue.beginBatch()
		m.queue.apply(upload.Event{ID: 1, Name: "a.bin", State: upload.Uploading, Sent: 10, Total: 100})
	})
	assert.True(t, m.panel.expanded, "work shows the queue")
	_, split := m.work.Objects[0].(*container.Split)
	assert.True(t, split, "the expanded queue is in a split the person can resize")
	assert.Equal(t, "1 uploading", m.queue.total.Text)
	test.Tap(m.panel.toggle)
	assert.False(t, m.panel.expanded)
	assert.GreaterOrEqual(t, fullyShownRows(t, m), 12, "folded while working, the list has its room back")
	assert.Contains(t, m.queue.summary.Text, "0 of 1 file")
	test.Tap(m.panel.toggle)
	assert.True(t, m.panel.expanded)
}

// TestWindowStateSurvivesARestart is issue 21 item 1: size, dividers, list
// or grid and the last folder come back with a second Create over the same
// state folder, from a file only the person can read.
func TestWindowStateSurvivesARestart(t *testing.T) {
	test.NewTempApp(t)
	dir := localTree(t)
	stateDir := filepath.Join(t.TempDir(), "ferry")
	prov := localSource(t, dir).Prov
	m, w := defaultWindow(t, Deps{StartDir: dir, Local: prov, StateDir: stateDir})
	withUI(func() {
		w.Resize(fyne.NewSize(1200, 820))
		m.splits[0].SetOffset(0.3)
		m.splits[1].SetOffset(0.6)
		m.splits[2].SetOffset(0.4)
		m.browser.setGrid(true)
	})
	m.browser.activate(indexOfName(m.browser.shown, "Alpha"))
	m.browser.Wait()
	require.Equal(t, filepath.Join(dir, "Alpha"), m.browser.loc.folder().ID)
	m.Close()

	fi, err := os.Stat(filepath.Join(stateDir, stateFileName))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// Started again with no folder given.
	w2 := test.NewWindow(nil)
	w2.Resize(fyne.NewSize(1000, 680))
	m2 := Create(w2, Deps{Uploads: fakeUploads{connect: noBackend}, Local: prov, StateDir: stateDir, ThumbnailDir: t.TempDir()})
	t.Cleanup(m2.Close)
	m2.browser.Wait()
	assert.Equal(t, fyne.NewSize(1200, 820), w2.Canvas().Size())
	assert.InDelta(t, 0.3, m2.splits[0].Offset, 0.001)
	assert.InDelta(t, 0.6, m2.splits[1].Offset, 0.001)
	assert.InDelta(t, 0.4, m2.splits[2].Offset, 0.001)
	assert.True(t, m2.browser.gridMode, "the grid view is kept")
	assert.Equal(t, filepath.Join(dir, "Alpha"), m2.browser.loc.folder().ID, "the last folder opens again")
}

func indexOfName(items []*item, name string) int {
	for i, it := range items {
		if it.Name == name {
			return i
		}
	}
	return -1
}

// TestWindowStateUnreadableStartsAfresh: a damaged state file is no
// reason not to open.
func TestWindowStateUnreadableStartsAfresh(t *testing.T) {
	test.NewTempApp(t)
	dir := localTree(t)
	stateDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(stateDir, stateFileName), []byte("{not json"), 0o600))
	m, w := defaultWindow(t, Deps{StartDir: dir, Local: localSource(t, dir).Prov, StateDir: stateDir})
	assert.Equal(t, fyne.NewSize(1000, 680), w.Canvas().Size())
	assert.False(t, m.browser.gridMode)
}

// renderedText joins the lines a wrapping label shows.
func renderedText(l *widget.Label) string {
	var lines []string
	for _, o := range test.LaidOutObjects(l) {
		if tx, ok := o.(*canvas.Text); ok && o.Visible() && tx.Text != "" {
			lines = append(lines, strings.TrimSpace(tx.Text))
		}
	}
	return strings.Join(lines, " ")
}

// longestMessages are the longest singular texts of a translation file.
func longestMessages(t *testing.T, code string, n int) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("translations", code+".json"))
	require.NoError(t, err)
	var all map[string]any
	require.NoError(t, json.Unmarshal(b, &all))
	var texts []string
	for _, v := range all {
		if s, ok := v.(string); ok && !strings.Contains(s, "{{") {
			texts = append(texts, s)
		}
	}
	sort.Slice(texts, func(i, j int) bool { return len([]rune(texts[i])) > len([]rune(texts[j])) })
	return texts[:n]
}

// TestStatusLineIsNeverCutOff is issue 21 item 2: at the default size,
// the longest messages of both languages show whole in the status line.
func TestStatusLineIsNeverCutOff(t *testing.T) {
	for _, code := range []string{"en", "de"} {
		t.Run(code, func(t *testing.T) {
			withLanguage(t, code)
			test.NewTempApp(t)
			dir := localTree(t)
			m, w := defaultWindow(t, Deps{StartDir: dir, Local: localSource(t, dir).Prov})
			for _, msg := range longestMessages(t, code, 5) {
				withUI(func() {
					m.status.SetText(msg)
					w.Content().Refresh()
				})
				// Compared without spaces: a line may break inside a long word (a link).
				assert.Equal(t, strings.Join(strings.Fields(msg), ""), strings.Join(strings.Fields(renderedText(m.status)), ""), "shown whole")
				assert.True(t, shownWhole(w, m.status), "inside the window: %q", msg)
				assert.LessOrEqual(t, m.status.MinSize().Height, m.status.Size().Height+0.5, "tall enough for every line: %q", msg)
			}
		})
	}
}

// TestNoMessageAsksToOpenFerry: a person reading Ferry's window has it
// open already.
func TestNoMessageAsksToOpenFerry(t *testing.T) {
	bad := map[string]*regexp.Regexp{
		"en": regexp.MustCompile(`(?i)\b(re)?open ferry\b`),
		"de": regexp.MustCompile(`(?i)öffnen sie ferry|ferry (dann )?(erneut |wieder )?öffnen`),
	}
	for code, re := range bad {
		b, err := os.ReadFile(filepath.Join("translations", code+".json"))
		require.NoError(t, err)
		var all map[string]any
		require.NoError(t, json.Unmarshal(b, &all))
		for k, v := range all {
			text := fmt.Sprint(v)
			assert.False(t, re.MatchString(text), "%s: %q says %q", code, k, text)
		}
	}
}

// TestCancelledFileIsNotCountedAsNotUploaded is issue 21 item 2.
func TestCancelledFileIsNotCountedAsNotUploaded(t *testing.T) {
	test.NewTempApp(t)
	dir := localTree(t)
	m, _ := defaultWindow(t, Deps{StartDir: dir, Local: localSource(t, dir).Prov})
	test.AssertNotificationSent(t, fyne.NewNotification("Uploads finished", "2 uploaded, 1 cancelled."), func() {
		withUI(func() {
			m.queue.beginBatch()
			for id, name := range []string{"a", "b", "c"} {
				m.queue.apply(upload.Event{ID: upload.JobID(id + 1), Name: name, State: upload.Queued, Total: 10})
			}
			m.queue.apply(upload.Event{ID: 1, Name: "a", State: upload.Done, Sent: 10, Total: 10})
			m.queue.apply(upload.Event{ID: 2, Name: "b", State: upload.Cancelled, Total: 10, Err: context.Canceled})
			m.queue.apply(upload.Event{ID: 3, Name: "c", State: upload.Done, Sent: 10, Total: 10})
		})
	})
	assert.Equal(t, "2 uploaded, 1 cancelled.", m.status.Text)
	assert.Equal(t, "2 uploaded, 1 cancelled.", m.queue.summary.Text)
	assert.NotContains(t, m.status.Text, "not uploaded")
}

// TestDropMakesABatchToReview is issue 21 item 3: a drop shows its files
// for review; nothing is uploaded before Start; Remove takes a file out;
// Cancel drops the batch.
func TestDropMakesABatchToReview(t *testing.T) {
	test.NewTempApp(t)
	connect, storeDir := embeddedConnect(t)
	src := t.TempDir()
	for _, n := range []string{"keep.txt", "unwanted.txt", "also.txt"} {
		writeRandom(t, filepath.Join(src, n), 100)
	}
	m, w := defaultWindow(t, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src})
	drop := func(names ...string) {
		var uris []fyne.URI
		for _, n := range names {
			uris = append(uris, storage.NewFileURI(filepath.Join(src, n)))
		}
		m.onDropped(fyne.NewPos(5, 5), uris)
		m.Wait()
	}
	drop("keep.txt", "unwanted.txt", "also.txt")
	require.True(t, m.review.pending())
	assert.True(t, m.panel.expanded, "the batch is shown")
	assert.Equal(t, "3 files ready to upload (300 B)", m.review.title.Text)
	assert.True(t, shownWhole(w, m.review.startBtn), "Start is on screen")
	assert.Empty(t, m.queue.Rows(), "nothing is queued before Start")
	assert.Empty(t, storedFiles(t, storeDir), "nothing is uploaded before Start")

	var unwanted *reviewRow
	for _, o := range test.LaidOutObjects(m.review.list) {
		if r, ok := o.(*reviewRow); ok && r.Visible() && r.name.Text == "unwanted.txt" {
			unwanted = r
		}
	}
	require.NotNil(t, unwanted, "each file has a row")
	test.Tap(unwanted.remove)
	assert.Equal(t, "2 files ready to upload (200 B)", m.review.title.Text)

	withUI(func() { test.Tap(m.review.startBtn) })
	m.Wait()
	assert.False(t, m.review.pending())
	var got []string
	for _, r := range m.queue.Rows() {
		assert.Equal(t, upload.Done, r.State)
		got = append(got, r.Name)
	}
	assert.ElementsMatch(t, []string{"keep.txt", "also.txt"}, got)

	drop("unwanted.txt")
	require.True(t, m.review.pending())
	test.Tap(m.review.dropBtn)
	m.Wait()
	assert.False(t, m.review.pending())
	assert.Len(t, m.queue.Rows(), 2, "a cancelled review uploads nothing")
}

// TestUploadAtOnceSkipsTheReview: with the setting on, a drop starts.
func TestUploadAtOnceSkipsTheReview(t *testing.T) {
	test.NewTempApp(t)
	connect, _ := embeddedConnect(t)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "now.txt"), 100)
	m, _ := defaultWindow(t, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, UploadAtOnce: true})
	m.onDropped(fyne.NewPos(5, 5), []fyne.URI{storage.NewFileURI(filepath.Join(src, "now.txt"))})
	m.Wait()
	assert.False(t, m.review.pending())
	rows := m.queue.Rows()
	require.Len(t, rows, 1)
	assert.Equal(t, upload.Done, rows[0].State)
}

// shownRows returns the queue's rendered rows top to bottom.
func shownRows(q *queueView) []*rowView {
	type at struct {
		y float32
		v *rowView
	}
	var rows []at
	for o, p := range positions(q.list) {
		if b, ok := o.(*queueRowBox); ok {
			rows = append(rows, at{p.Y, b.v})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].y < rows[j].y })
	out := make([]*rowView, len(rows))
	for i, r := range rows {
		out[i] = r.v
	}
	return out
}

func shownNames(q *queueView) []string {
	var out []string
	for _, v := range shownRows(q) {
		out = append(out, v.name.Text)
	}
	return out
}

// TestQueueFollowsTheWork is issue 21 item 4: the newest batch is listed
// first; waiting and paused files are counted as such; the summary says
// how many files of how many, what is left and about how long; Pause all,
// Resume all, Cancel all and Clear finished act on the whole queue.
func TestQueueFollowsTheWork(t *testing.T) {
	test.NewTempApp(t)
	q := newQueueView()
	ctl := &recordingControl{}
	q.ctl = ctl
	w := test.NewWindow(q.view())
	w.Resize(fyne.NewSize(900, 600))
	q.beginBatch()
	q.apply(upload.Event{ID: 1, Name: "old-a.txt", State: upload.Done, Sent: 5, Total: 5})
	q.apply(upload.Event{ID: 2, Name: "old-b.txt", State: upload.Done, Sent: 5, Total: 5})
	q.beginBatch()
	q.apply(upload.Event{ID: 3, Name: "new-a.bin", State: upload.Uploading, Sent: 1 << 29, Total: 1 << 30, BytesPerSec: 4 << 20})
	q.apply(upload.Event{ID: 4, Name: "new-b.bin", State: upload.Queued, Total: 1 << 30})
	q.apply(upload.Event{ID: 5, Name: "new-c.bin", State: upload.Paused, Sent: 0, Total: 1 << 29})
	assert.Equal(t, []string{"new-a.bin", "new-b.bin", "new-c.bin", "old-a.txt", "old-b.txt"}, shownNames(q), "the new batch on top")
	assert.Equal(t, "1 uploading · 1 waiting · 1 paused · 2 done", q.total.Text)
	assert.Equal(t, "0 of 3 files, 2.0 GiB left, about 9 min", q.summary.Text, "the run since the queue was idle")

	// A row's buttons act on their own file wherever it is listed.
	rows := shownRows(q)
	test.Tap(rows[0].pause)
	test.Tap(q.pauseAllBtn)
	test.Tap(q.cancelAllBtn)
	require.Eventually(t, func() bool { return ctl.count() == 3 }, 5*time.Second, 10*time.Millisecond)
	assert.ElementsMatch(t, []string{"pause 3", "pause all", "cancel all"}, ctl.all())

	q.apply(upload.Event{ID: 3, Name: "new-a.bin", State: upload.Paused, Sent: 1 << 29, Total: 1 << 30})
	q.apply(upload.Event{ID: 4, Name: "new-b.bin", State: upload.Paused, Total: 1 << 30})
	assert.Equal(t, "Resume all", q.pauseAllBtn.Text, "everything paused: the button resumes")
	assert.Contains(t, q.summary.Text, "paused")
	test.Tap(q.pauseAllBtn)
	require.Eventually(t, func() bool { return ctl.count() == 4 }, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, ctl.all(), "resume all")

	q.apply(upload.Event{ID: 3, Name: "new-a.bin", State: upload.Done, Sent: 1 << 30, Total: 1 << 30})
	require.True(t, q.clearBtn.Visible())
	test.Tap(q.clearBtn)
	assert.Equal(t, []string{"new-b.bin", "new-c.bin"}, shownNames(q), "finished rows are cleared")
	assert.False(t, q.clearBtn.Visible(), "nothing finished is left")
	rows = shownRows(q)
	test.Tap(rows[1].cancel)
	require.Eventually(t, func() bool { return ctl.count() == 5 }, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, ctl.all(), "cancel 5", "after clearing, a row still acts on its own file")
	// Events of the files still there land on their rows.
	q.apply(upload.Event{ID: 4, Name: "new-b.bin", State: upload.Uploading, Sent: 10, Total: 1 << 30})
	assert.Equal(t, "Uploading", shownRows(q)[0].state.Text)
}

// TestSummaryIsTranslated: the summary uses the German plurals.
func TestSummaryIsTranslated(t *testing.T) {
	withLanguage(t, "de")
	tot := queueTotals{Active: 1, Waiting: 19, Done: 3, Sent: 1 << 20, Total: 1<<30 + 1<<20, BytesPerSec: 8 << 20}
	assert.Equal(t, "3 von 23 Dateien, noch 1.0 GiB, etwa 2 min", summaryText(tot, true))
	assert.Equal(t, "1 wird hochgeladen · 19 warten · 3 fertig", countsText(tot))
	assert.Equal(t, "0 von 1 Datei, noch 10 B", summaryText(queueTotals{Waiting: 1, Total: 10}, true))
}

// TestQueueListingOrder: batches newest first, each in the order added,
// and the mapping back from a row to its place in the list.
func TestQueueListingOrder(t *testing.T) {
	test.NewTempApp(t)
	q := newQueueView()
	id := upload.JobID(0)
	for _, n := range []int{3, 1, 2} {
		q.beginBatch()
		for range n {
			id++
			q.apply(upload.Event{ID: id, Name: fmt.Sprint(id), State: upload.Queued, Total: 1})
		}
	}
	var got []int
	for d := range q.len() {
		got = append(got, q.modelIndex(d))
		assert.Equal(t, d, q.displayIndex(q.modelIndex(d)))
	}
	assert.Equal(t, []int{4, 5, 3, 0, 1, 2}, got)
	assert.Equal(t, -1, q.modelIndex(6))
}

// TestCloudAccountReopensItsLastFolder: the last folder of a cloud account
// opens again, and one that no longer exists falls back to the root.
func TestCloudAccountReopensItsLastFolder(t *testing.T) {
	test.NewTempApp(t)
	drive := newFakeDrive(20) // "folder 7" has ID id7
	acct := app.Account{Remote: "acme", Title: "Acme Drive", ID: "1", Name: "ann", Status: app.StatusSignedIn}
	for _, tc := range []struct{ remembered, want string }{{"id7", "id7"}, {"gone", "root"}} {
		stateDir := t.TempDir()
		st := windowState{Folders: map[string]string{"acme:1": tc.remembered}}
		b, err := json.Marshal(st)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(stateDir, stateFileName), b, 0o600))
		dir := localTree(t)
		deps := Deps{StartDir: dir, Local: localSource(t, dir).Prov, StateDir: stateDir}
		oneCloudAccount(&deps, acct, drive)
		m, _ := defaultWindow(t, deps)
		withUI(func() { m.openAccount(acct) })
		m.browser.Wait()
		assert.Equal(t, tc.want, m.browser.loc.folder().ID, "remembered %q", tc.remembered)
	}
}
