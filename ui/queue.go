package ui

import (
	"image/color"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/internal/humanize"
	"github.com/ferry-app/ferry/upload"
)

// queueRow is the view-model of one file in the upload queue.
type queueRow struct {
	upload.Event
	Src     upload.Source // what to add again on Retry
	Reason  string        // what happened and what to do, when failed
	Problem problem
}

// rowActions are the buttons a row offers in its state.
type rowActions struct {
	Pause, Resume, Cancel, Retry, Details bool
	// ShowInFolder (the built-in backend: a file on this computer) and
	// CopyLink (a web address) help the person find a finished upload.
	ShowInFolder, CopyLink bool
}

// actions is the queue's state machine as a person sees it: a queued or
// uploading file can be paused or cancelled, a paused one resumed or
// cancelled, a failed or cancelled one retried, a failed one explained.
// A finished upload offers the way to find it: Show in folder for a file
// stored on this computer, Copy link for a web address.
func (r queueRow) actions() rowActions {
	switch r.State {
	case upload.Done:
		if u := r.location(); u != nil {
			return rowActions{ShowInFolder: u.Scheme == "file", CopyLink: u.Scheme == "https" || u.Scheme == "http"}
		}
	case upload.Queued, upload.Uploading:
		return rowActions{Pause: true, Cancel: true}
	case upload.Paused:
		return rowActions{Resume: true, Cancel: true}
	case upload.Failed:
		return rowActions{Retry: r.Src != nil, Details: true}
	case upload.Cancelled:
		return rowActions{Retry: r.Src != nil}
	}
	return rowActions{}
}

// location is where a finished upload is stored, or nil.
func (r queueRow) location() *url.URL {
	if r.Result == nil || r.Result.Location == "" {
		return nil
	}
	u, err := url.Parse(r.Result.Location)
	if err != nil {
		return nil
	}
	return u
}

// queueTotals sums a batch. Active files are uploading now; Waiting ones
// wait for their turn.
type queueTotals struct {
	Active, Waiting, Paused, Done, Failed, Cancelled int
	Sent, Total                                      int64
	BytesPerSec                                      float64
}

// queueModel is the queue's rows and batch bookkeeping, without widgets.
// It is only touched on the UI goroutine (mu guards reads from tests).
type queueModel struct {
	mu       sync.Mutex
	rows     []queueRow
	byID     map[upload.JobID]int
	retrying map[string][]int // rows waiting for the job a Retry added, by name
	inBatch  bool             // some row has not finished since the last batch ended
	srcs     map[upload.JobID]upload.Source
	inRun    []bool // by row: the row belongs to the work since the queue was last idle
	// sums and run are the totals of all rows and of the run's, kept as
	// rows change: a folder of 20 000 files sends about 80 000 events, and
	// summing every row for each would make the window crawl.
	sums, run queueTotals
	runStart  time.Time // when the current run began
}

// count adds (sign 1) or removes (sign -1) a row's part of the totals. In
// a run's totals a cancelled file's bytes are no longer part of the work.
func (t *queueTotals) count(r queueRow, sign int, run bool) {
	switch r.State {
	case upload.Done:
		t.Done += sign
	case upload.Failed:
		t.Failed += sign
	case upload.Cancelled:
		t.Cancelled += sign
		if run {
			return
		}
	case upload.Paused:
		t.Paused += sign
	case upload.Queued:
		t.Waiting += sign
	default:
		t.Active += sign
		t.BytesPerSec += float64(sign) * r.BytesPerSec
	}
	t.Sent += int64(sign) * r.Sent
	if r.Total > 0 {
		t.Total += int64(sign) * r.Total
	}
	if t.Active == 0 {
		t.BytesPerSec = 0 // no float residue once nothing moves
	}
}

// counted adds (sign 1) or removes (sign -1) row i's part of the totals.
func (q *queueModel) counted(i, sign int) {
	q.sums.count(q.rows[i], sign, false)
	if q.inRun[i] {
		q.run.count(q.rows[i], sign, true)
	}
}

// newRunLocked starts counting the work afresh: the summary and the
// batch's notification count only what was added (or retried) since the
// queue was last idle.
func (q *queueModel) newRunLocked() {
	for i := range q.inRun {
		q.inRun[i] = false
	}
	q.run = queueTotals{}
	q.runStart = time.Now()
}

func newQueueModel() *queueModel {
	return &queueModel{byID: map[upload.JobID]int{}, retrying: map[string][]int{}, srcs: map[upload.JobID]upload.Source{}}
}

// remember records the source of a job, for Retry and the picker.
func (q *queueModel) remember(id upload.JobID, s upload.Source) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.srcs[id] = s
	if i, ok := q.byID[id]; ok {
		q.rows[i].Src = s
	}
}

// apply folds an event into the rows. It returns the row index, whether the
// row is new, and whether this event ended a batch (every row final).
func (q *queueModel) apply(e upload.Event) (i int, added, batchEnded bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	i, ok := q.byID[e.ID]
	if !ok {
		if waiting := q.retrying[e.Name]; len(waiting) > 0 {
			i, ok = waiting[0], true
			q.retrying[e.Name] = waiting[1:]
			q.byID[e.ID] = i
		}
	}
	row := queueRow{Event: e, Src: q.srcs[e.ID]}
	if ok && row.Src == nil {
		row.Src = q.rows[i].Src
	}
	if e.State == upload.Failed || (e.State == upload.Cancelled && e.Err != nil && !isCancel(e.Err)) {
		row.Problem = explain(e.Err)
		row.Reason = row.Problem.Text()
	}
	if ok {
		q.counted(i, -1)
		q.rows[i] = row
	} else {
		if !q.inBatch {
			q.newRunLocked()
		}
		i = len(q.rows)
		q.byID[e.ID] = i
		q.rows = append(q.rows, row)
		q.inRun = append(q.inRun, true)
		added = true
	}
	q.counted(i, 1)
	if !e.State.Final() {
		q.inBatch = true
		return i, added, false
	}
	if q.inBatch && q.allFinal() {
		q.inBatch = false
		batchEnded = true
	}
	return i, added, batchEnded
}

func (q *queueModel) allFinal() bool {
	if q.sums.Active+q.sums.Waiting+q.sums.Paused > 0 {
		return false
	}
	for _, w := range q.retrying {
		if len(w) > 0 {
			return false // a Retry's job has not reported yet
		}
	}
	return true
}

// startRetry marks row i as waiting for the job Add is about to create.
func (q *queueModel) startRetry(i int) (upload.Source, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if i < 0 || i >= len(q.rows) || !q.rows[i].actions().Retry {
		return nil, false
	}
	if !q.inBatch {
		q.newRunLocked()
	}
	q.counted(i, -1)
	r := &q.rows[i]
	q.retrying[r.Name] = append(q.retrying[r.Name], i)
	r.State, r.Sent, r.Err, r.Reason, r.Problem = upload.Queued, 0, nil, "", problem{}
	q.inRun[i] = true
	q.counted(i, 1)
	q.inBatch = true
	return r.Src, true
}

func (q *queueModel) totals() queueTotals {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.sums
}

// runTotals are the totals of the current run. Its speed is at least the
// run's average: many small files each report little speed of their own
// (each is done before its speed settles), and their sum would promise
// hours for a folder that takes a minute.
func (q *queueModel) runTotals() queueTotals {
	q.mu.Lock()
	defer q.mu.Unlock()
	t := q.run
	if elapsed := time.Since(q.runStart).Seconds(); t.Active > 0 && elapsed >= 2 && !q.runStart.IsZero() {
		t.BytesPerSec = max(t.BytesPerSec, float64(t.Sent)/elapsed)
	}
	return t
}

// clearFinished drops the rows whose upload ended (done, failed or
// cancelled) and returns, for each row kept, its old index, in order.
func (q *queueModel) clearFinished() (kept []int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	newIndex := make(map[int]int, len(q.rows))
	rows, inRun := q.rows[:0:0], q.inRun[:0:0]
	q.sums, q.run = queueTotals{}, queueTotals{}
	for i, r := range q.rows {
		if r.State.Final() {
			continue
		}
		newIndex[i] = len(rows)
		kept = append(kept, i)
		rows = append(rows, r)
		inRun = append(inRun, q.inRun[i])
		q.sums.count(r, 1, false)
		if q.inRun[i] {
			q.run.count(r, 1, true)
		}
	}
	q.inRun = inRun
	for id, i := range q.byID {
		if n, ok := newIndex[i]; ok {
			q.byID[id] = n
		} else {
			delete(q.byID, id)
			delete(q.srcs, id)
		}
	}
	for name, waiting := range q.retrying {
		for k, i := range waiting {
			waiting[k] = newIndex[i] // a row waiting for a retry is never final
		}
		q.retrying[name] = waiting
	}
	q.rows = rows
	return kept
}

func (q *queueModel) row(i int) (queueRow, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if i < 0 || i >= len(q.rows) {
		return queueRow{}, false
	}
	return q.rows[i], true
}

func (q *queueModel) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.rows)
}

// Rows returns a copy of the rows (for tests and the picker).
func (q *queueModel) Rows() []queueRow {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]queueRow(nil), q.rows...)
}

// queueControl is what the queue's buttons drive: upload.Queue.
type queueControl interface {
	Pause(upload.JobID)
	Resume(upload.JobID)
	Cancel(upload.JobID)
	PauseAll()
	ResumeAll()
	CancelAll()
	SetConcurrency(n int)
}

// queueView shows a row per queued file: icon, name, progress bar, bytes,
// speed, ETA and state, with Pause/Resume, Cancel, Retry and Details, and
// the batch's totals above. The newest batch is listed first, its files in
// the order they were added, so what was just added is in sight.
type queueView struct {
	*queueModel
	list    *widget.List
	total   *widget.Label // the counts: uploading, waiting, paused, failed…
	summary *widget.Label // "3 of 20 files, 1.2 GiB left, about 2 min"

	clearBtn, pauseAllBtn, cancelAllBtn *widget.Button

	// batchOf is each row's batch (by model index); batches are numbered
	// in the order they began and their rows are contiguous in the model.
	batchOf  []int
	starts   []int  // the model index where each batch's rows begin, ascending
	batch    int    // the batch rows are added to now
	onChange func() // the rows or their totals changed (the panel grows, shrinks, saves)

	// minRefresh spaces whole-list refreshes (0: at once, as in tests).
	minRefresh  time.Duration
	lastRefresh time.Time
	refreshDue  bool

	ctl     queueControl            // nil until connected
	retry   func(src upload.Source) // adds a source again
	details func(i int, r queueRow) // shows row i's failure and what can be done
	ended   func(t queueTotals)     // a batch finished or failed
	openURL func(*url.URL) error    // the desktop's opener (tests replace it)
}

func newQueueView() *queueView {
	q := &queueView{queueModel: newQueueModel(),
		total:   &widget.Label{Wrapping: fyne.TextWrapWord},
		summary: &widget.Label{Text: T("No uploads yet."), Wrapping: fyne.TextWrapWord},
		openURL: func(u *url.URL) error { return fyne.CurrentApp().OpenURL(u) }}
	q.list = widget.NewList(q.len, q.createRow, func(d widget.ListItemID, o fyne.CanvasObject) { q.updateRow(q.modelIndex(d), o) })
	q.clearBtn = &widget.Button{Text: T("Clear finished"), Icon: theme.DeleteIcon(), Importance: widget.LowImportance, OnTapped: q.clearFinishedRows}
	q.pauseAllBtn = &widget.Button{Text: T("Pause all"), Icon: theme.MediaPauseIcon(), Importance: widget.LowImportance, OnTapped: q.pauseOrResumeAll}
	q.cancelAllBtn = &widget.Button{Text: T("Cancel all"), Icon: theme.CancelIcon(), Importance: widget.LowImportance, OnTapped: q.cancelAll}
	q.updateTotals()
	return q
}

// beginBatch starts a new batch: the rows added from now on are listed
// above the earlier ones. UI goroutine.
func (q *queueView) beginBatch() { q.batch++ }

// modelIndex maps a row as listed (newest batch first) to the model's
// index. It costs a step per batch, not per row, so a folder of thousands
// of files lists as fast as a few.
func (q *queueView) modelIndex(d int) int {
	end := len(q.batchOf)
	for k := len(q.starts) - 1; k >= 0; k-- {
		start := q.starts[k]
		if d < end-start {
			return start + d
		}
		d -= end - start
		end = start
	}
	return -1
}

// displayIndex maps a model index to where the row is listed.
func (q *queueView) displayIndex(i int) int {
	if i < 0 || i >= len(q.batchOf) {
		return -1
	}
	k := sort.SearchInts(q.starts, i+1) - 1 // the batch holding row i
	end := len(q.batchOf)
	if k+1 < len(q.starts) {
		end = q.starts[k+1]
	}
	return len(q.batchOf) - end + (i - q.starts[k])
}

// addRow files a new row (the model's last) under the current batch.
func (q *queueView) addRow() {
	if n := len(q.batchOf); n == 0 || q.batchOf[n-1] != q.batch {
		q.starts = append(q.starts, n)
	}
	q.batchOf = append(q.batchOf, q.batch)
}

// rowView is the widgets of one row.
type rowView struct {
	icon                       *widget.Icon
	name, bytes, speed, state  *widget.Label
	bar                        *widget.ProgressBar
	pause, resume, cancel, rtr *widget.Button
	info, folder, link         *widget.Button
	buttons                    *fyne.Container
	id                         int
}

type queueRowBox struct {
	widget.BaseWidget
	v       *rowView
	content fyne.CanvasObject
}

func (b *queueRowBox) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(b.content)
}

func (q *queueView) createRow() fyne.CanvasObject {
	v := &rowView{
		icon:  widget.NewIcon(theme.UploadIcon()),
		name:  &widget.Label{Text: "file name", Truncation: fyne.TextTruncateEllipsis},
		bytes: widget.NewLabel("000.0 MiB / 000.0 MiB"),
		speed: widget.NewLabel("000.0 MiB/s"),
		state: &widget.Label{Text: "uploading", Truncation: fyne.TextTruncateEllipsis},
		bar:   widget.NewProgressBar(),
	}
	act := func(icon fyne.Resource, f func(r queueRow)) *widget.Button {
		b := &widget.Button{Icon: icon, Importance: widget.LowImportance}
		b.OnTapped = func() {
			if r, ok := q.row(v.id); ok {
				f(r)
			}
		}
		return b
	}
	v.pause = act(theme.MediaPauseIcon(), func(r queueRow) { q.pauseRow(r) })
	v.resume = act(theme.MediaPlayIcon(), func(r queueRow) { q.resumeRow(r) })
	v.cancel = act(theme.CancelIcon(), func(r queueRow) { q.cancelRow(r) })
	v.rtr = act(theme.ViewRefreshIcon(), func(queueRow) { q.retryRow(v.id) })
	v.info = act(theme.InfoIcon(), func(r queueRow) {
		if q.details != nil {
			q.details(v.id, r)
		}
	})
	v.folder = act(theme.FolderOpenIcon(), q.showInFolder)
	v.folder.SetText(T("Show in folder"))
	v.link = act(theme.ContentCopyIcon(), q.copyLink)
	v.link.SetText(T("Copy link"))
	buttons := container.NewHBox(v.pause, v.resume, v.cancel, v.rtr, v.info, v.folder, v.link)
	v.buttons = buttons
	top := container.NewBorder(nil, nil, v.icon, container.NewHBox(v.bytes, v.speed), v.name)
	// The bar keeps a fixed width and the state its words: "Waiting" or
	// "Uploading — 3 min left" is read whole; only a long failure reason
	// is shortened, and Details shows it all.
	barWidth := canvas.NewRectangle(color.Transparent)
	barWidth.SetMinSize(fyne.NewSize(140, 0))
	bottom := container.NewBorder(nil, nil, container.NewStack(barWidth, v.bar), buttons, v.state)
	b := &queueRowBox{v: v, content: container.NewVBox(top, bottom)}
	b.ExtendBaseWidget(b)
	return b
}

func (q *queueView) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	r, ok := q.row(i)
	if !ok {
		return
	}
	v := o.(*queueRowBox).v // v.id is the model's index: the buttons act on it
	v.id = i
	v.name.SetText(DisplayName(r.Name, 80))
	switch r.State {
	case upload.Done:
		v.icon.SetResource(theme.ConfirmIcon())
	case upload.Failed:
		v.icon.SetResource(theme.ErrorIcon())
	case upload.Cancelled:
		v.icon.SetResource(theme.CancelIcon())
	case upload.Paused:
		v.icon.SetResource(theme.MediaPauseIcon())
	default:
		v.icon.SetResource(theme.UploadIcon())
	}
	switch {
	case r.Total > 0:
		v.bar.SetValue(float64(r.Sent) / float64(r.Total))
	case r.State == upload.Done:
		v.bar.SetValue(1)
	default:
		v.bar.SetValue(0)
	}
	v.bytes.SetText(T("{{.Sent}} of {{.Total}}", "Sent", humanize.Bytes(r.Sent), "Total", humanize.Bytes(max(r.Total, 0))))
	sp := ""
	if r.State == upload.Uploading && r.BytesPerSec > 0 && r.Sent > 0 { // only once bytes move
		sp = T("{{.Speed}}/s", "Speed", humanize.Bytes(int64(r.BytesPerSec)))
	}
	v.speed.SetText(sp)
	v.state.SetText(stateText(r))
	a := r.actions()
	show(v.pause, a.Pause)
	show(v.resume, a.Resume)
	show(v.cancel, a.Cancel)
	show(v.rtr, a.Retry)
	show(v.info, a.Details)
	show(v.folder, a.ShowInFolder)
	show(v.link, a.CopyLink)
	if w := v.buttons.MinSize().Width; w != v.buttons.Size().Width {
		// Other buttons than before: the state's words get the room the
		// row's buttons leave.
		o.(*queueRowBox).content.Refresh()
	}
}

// showInFolder opens the folder holding a file the built-in backend stored.
func (q *queueView) showInFolder(r queueRow) {
	u := r.location()
	if u == nil || u.Scheme != "file" {
		return
	}
	dir := *u
	dir.Path = path.Dir(u.Path)
	_ = q.openURL(&dir)
}

// copyLink puts a finished upload's web address on the clipboard.
func (q *queueView) copyLink(r queueRow) {
	if u := r.location(); u != nil {
		fyne.CurrentApp().Clipboard().SetContent(u.String())
	}
}

func show(o fyne.CanvasObject, visible bool) {
	if visible {
		o.Show()
	} else {
		o.Hide()
	}
}

// stateText is a row's state in words, with the ETA while uploading.
func stateText(r queueRow) string {
	switch r.State {
	case upload.Queued:
		return T("Waiting")
	case upload.Uploading:
		if eta := humanize.Duration(r.ETA); eta != "" && r.Sent > 0 {
			return T("Uploading — {{.ETA}} left", "ETA", eta)
		}
		return T("Uploading")
	case upload.Paused:
		return T("Paused")
	case upload.Done:
		return T("Uploaded")
	case upload.Failed:
		return T("Failed: {{.Reason}}", "Reason", r.Reason)
	case upload.Cancelled:
		if r.Reason != "" {
			return T("Stopped: {{.Reason}}", "Reason", r.Reason)
		}
		return T("Cancelled")
	}
	return ""
}

func (q *queueView) pauseRow(r queueRow) {
	if q.ctl != nil {
		go q.ctl.Pause(r.ID)
	}
}

func (q *queueView) resumeRow(r queueRow) {
	if q.ctl != nil {
		go q.ctl.Resume(r.ID)
	}
}

func (q *queueView) cancelRow(r queueRow) {
	if q.ctl != nil {
		go q.ctl.Cancel(r.ID)
	}
}

// retryRow adds the row's source again; the new job's events update the
// same row.
func (q *queueView) retryRow(i int) {
	q.retryRowWith(i, nil)
}

// retryRowWith retries row i with its source changed by change (nil: as
// it was), e.g. a cloud file the person confirmed despite a warning.
func (q *queueView) retryRowWith(i int, change func(upload.Source) upload.Source) {
	src, ok := q.startRetry(i)
	if !ok || q.retry == nil {
		return
	}
	if change != nil {
		src = change(src)
	}
	q.list.RefreshItem(q.displayIndex(i))
	q.updateTotals()
	q.retry(src)
}

// busy reports whether some row has not finished since the last batch
// ended (UI goroutine).
func (q *queueView) busy() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.inBatch
}

// apply folds an event into the view. It must run on the UI goroutine.
func (q *queueView) apply(e upload.Event) { q.applyAll([]upload.Event{e}) }

// refreshList redraws the whole list, at most once per minRefresh: Fyne's
// List.Refresh builds a throwaway row to measure (seven buttons, whose
// renderers its cache keeps for a minute), so a folder of 20 000 files,
// refreshed for every batch of events, grew the heap by hundreds of MB.
// A refresh due sooner is done when the interval ends. UI goroutine.
func (q *queueView) refreshList() {
	if q.minRefresh <= 0 || time.Since(q.lastRefresh) >= q.minRefresh {
		q.lastRefresh = time.Now()
		q.list.Refresh()
		return
	}
	if q.refreshDue {
		return
	}
	q.refreshDue = true
	time.AfterFunc(q.minRefresh-time.Since(q.lastRefresh), func() {
		onMain(func() {
			q.refreshDue = false
			q.lastRefresh = time.Now()
			q.list.Refresh()
		})
	})
}

// applyAll folds events into the view and redraws it once. It must run on
// the UI goroutine.
func (q *queueView) applyAll(events []upload.Event) {
	var ended, added, top bool
	var changed []int
	for _, e := range events {
		i, a, end := q.queueModel.apply(e)
		ended = ended || end
		if a {
			q.addRow()
			added = true
			top = top || q.displayIndex(i) == 0 // a new batch: show it
		} else if len(changed) < 64 {
			changed = append(changed, i)
		}
	}
	if added || len(changed) >= 64 {
		q.refreshList()
	} else {
		for _, i := range changed {
			q.list.RefreshItem(q.displayIndex(i))
		}
	}
	if top {
		q.list.ScrollToTop()
	}
	q.updateTotals()
	if ended && q.ended != nil {
		q.ended(q.runTotals())
	}
}

// updateTotals refreshes the summary, the counts and which of the
// queue-wide buttons apply.
func (q *queueView) updateTotals() {
	all := q.totals()
	run := q.runTotals()
	q.summary.SetText(summaryText(run, q.len() > 0))
	q.total.SetText(countsText(all))
	show(q.clearBtn, all.Done+all.Failed+all.Cancelled > 0)
	unfinished := all.Active + all.Waiting + all.Paused
	show(q.pauseAllBtn, unfinished > 0)
	show(q.cancelAllBtn, unfinished > 0)
	if all.Paused > 0 && all.Paused == unfinished {
		q.pauseAllBtn.SetText(T("Resume all"))
		q.pauseAllBtn.SetIcon(theme.MediaPlayIcon())
	} else {
		q.pauseAllBtn.SetText(T("Pause all"))
		q.pauseAllBtn.SetIcon(theme.MediaPauseIcon())
	}
	if q.onChange != nil {
		q.onChange()
	}
}

// summaryText is the queue's one line: while files upload, "3 of 20 files,
// 1.2 GiB left, about 2 min"; after a batch, what became of it.
func summaryText(t queueTotals, anyRows bool) string {
	files := t.Active + t.Waiting + t.Paused + t.Done + t.Failed
	if t.Active+t.Waiting+t.Paused > 0 {
		s := N("{{.Done}} of {{.Count}} files", files, "Done", t.Done) +
			", " + T("{{.Left}} left", "Left", humanize.Bytes(max(t.Total-t.Sent, 0)))
		if t.Active > 0 && t.BytesPerSec > 0 && t.Total > t.Sent {
			if eta := humanize.Duration(secondsToDuration(float64(t.Total-t.Sent) / t.BytesPerSec)); eta != "" {
				s += ", " + T("about {{.ETA}}", "ETA", eta)
			}
		} else if t.Active == 0 && t.Paused > 0 && t.Waiting == 0 {
			s += " — " + T("paused")
		}
		return s
	}
	if files+t.Cancelled == 0 {
		if anyRows {
			return T("Nothing uploading.")
		}
		return T("No uploads yet.")
	}
	return batchText(t)
}

// batchText says what became of a finished batch: uploaded, not uploaded
// (failed) and cancelled files, each only when there are some. A file the
// person cancelled is not counted as not uploaded.
func batchText(t queueTotals) string {
	parts := []string{N("{{.Count}} uploaded", t.Done)}
	if t.Failed > 0 {
		parts = append(parts, N("{{.Count}} not uploaded", t.Failed))
	}
	if t.Cancelled > 0 {
		parts = append(parts, N("{{.Count}} cancelled", t.Cancelled))
	}
	return sentence(strings.Join(parts, ", "))
}

// countsText breaks the queue down by state: "2 uploading · 14 waiting ·
// 1 paused · 1 failed · 5 done", leaving out states no file is in.
func countsText(t queueTotals) string {
	var parts []string
	for _, c := range []struct {
		n    int
		text string
	}{
		{t.Active, "{{.Count}} uploading"}, {t.Waiting, "{{.Count}} waiting"}, {t.Paused, "{{.Count}} paused"},
		{t.Failed, "{{.Count}} failed"}, {t.Cancelled, "{{.Count}} cancelled"}, {t.Done, "{{.Count}} done"},
	} {
		if c.n > 0 {
			parts = append(parts, N(c.text, c.n))
		}
	}
	return strings.Join(parts, " · ")
}

// clearFinishedRows removes the rows of finished, failed and cancelled
// uploads (Clear finished).
func (q *queueView) clearFinishedRows() {
	kept := q.clearFinished()
	batchOf := make([]int, len(kept))
	for n, i := range kept {
		batchOf[n] = q.batchOf[i]
	}
	q.batchOf, q.starts = batchOf, nil
	for n, b := range batchOf {
		if n == 0 || batchOf[n-1] != b {
			q.starts = append(q.starts, n)
		}
	}
	q.list.Refresh()
	q.updateTotals()
}

// pauseOrResumeAll is Pause all, or Resume all when every unfinished
// file is paused.
func (q *queueView) pauseOrResumeAll() {
	if q.ctl == nil {
		return
	}
	t := q.totals()
	if t.Paused > 0 && t.Active+t.Waiting == 0 {
		go q.ctl.ResumeAll()
	} else {
		go q.ctl.PauseAll()
	}
}

func (q *queueView) cancelAll() {
	if q.ctl != nil {
		go q.ctl.CancelAll()
	}
}

func secondsToDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// view is the queue on its own, without the window's folding panel.
func (q *queueView) view() fyne.CanvasObject {
	tools := container.NewBorder(nil, nil, nil, container.NewHBox(q.clearBtn, q.pauseAllBtn, q.cancelAllBtn), q.total)
	return container.NewBorder(container.NewVBox(q.summary, tools), nil, nil, nil, q.list)
}
