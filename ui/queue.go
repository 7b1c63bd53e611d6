package ui

import (
	"net/url"
	"path"
	"sync"
	"time"

	"fyne.io/fyne/v2"
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

// queueTotals sums a batch.
type queueTotals struct {
	Active, Paused, Done, Failed, Cancelled int
	Sent, Total                             int64
	BytesPerSec                             float64
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
	// sums are the rows' totals, kept as rows change: a folder of 20 000
	// files sends about 80 000 events, and summing every row for each
	// would make the window crawl.
	sums queueTotals
}

// count adds (sign 1) or removes (sign -1) a row's part of the totals.
func (t *queueTotals) count(r queueRow, sign int) {
	switch r.State {
	case upload.Done:
		t.Done += sign
	case upload.Failed:
		t.Failed += sign
	case upload.Cancelled:
		t.Cancelled += sign
	case upload.Paused:
		t.Paused += sign
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
		q.sums.count(q.rows[i], -1)
		q.rows[i] = row
	} else {
		i = len(q.rows)
		q.byID[e.ID] = i
		q.rows = append(q.rows, row)
		added = true
	}
	q.sums.count(row, 1)
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
	if q.sums.Active+q.sums.Paused > 0 {
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
	r := &q.rows[i]
	q.retrying[r.Name] = append(q.retrying[r.Name], i)
	q.sums.count(*r, -1)
	r.State, r.Sent, r.Err, r.Reason, r.Problem = upload.Queued, 0, nil, "", problem{}
	q.sums.count(*r, 1)
	q.inBatch = true
	return r.Src, true
}

func (q *queueModel) totals() queueTotals {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.sums
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
}

// queueView shows a row per queued file: icon, name, progress bar, bytes,
// speed, ETA and state, with Pause/Resume, Cancel, Retry and Details, and
// the batch's totals above.
type queueView struct {
	*queueModel
	list    *widget.List
	total   *widget.Label
	ctl     queueControl            // nil until connected
	retry   func(src upload.Source) // adds a source again
	details func(i int, r queueRow) // shows row i's failure and what can be done
	ended   func(t queueTotals)     // a batch finished or failed
	openURL func(*url.URL) error    // the desktop's opener (tests replace it)
}

func newQueueView() *queueView {
	q := &queueView{queueModel: newQueueModel(), total: widget.NewLabel(T("No uploads yet.")),
		openURL: func(u *url.URL) error { return fyne.CurrentApp().OpenURL(u) }}
	q.list = widget.NewList(q.len, q.createRow, q.updateRow)
	return q
}

// rowView is the widgets of one row.
type rowView struct {
	icon                       *widget.Icon
	name, bytes, speed, state  *widget.Label
	bar                        *widget.ProgressBar
	pause, resume, cancel, rtr *widget.Button
	info, folder, link         *widget.Button
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
	top := container.NewBorder(nil, nil, v.icon, container.NewHBox(v.bytes, v.speed), v.name)
	bottom := container.NewBorder(nil, nil, nil, buttons, container.NewGridWithColumns(2, v.bar, v.state))
	b := &queueRowBox{v: v, content: container.NewVBox(top, bottom)}
	b.ExtendBaseWidget(b)
	return b
}

func (q *queueView) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	r, ok := q.row(i)
	if !ok {
		return
	}
	v := o.(*queueRowBox).v
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
	q.list.RefreshItem(i)
	q.updateTotals()
	q.retry(src)
}

// apply folds an event into the view. It must run on the UI goroutine.
func (q *queueView) apply(e upload.Event) { q.applyAll([]upload.Event{e}) }

// applyAll folds events into the view and redraws it once. It must run on
// the UI goroutine.
func (q *queueView) applyAll(events []upload.Event) {
	var ended, added bool
	var changed []int
	for _, e := range events {
		i, a, end := q.queueModel.apply(e)
		added = added || a
		ended = ended || end
		if !added && len(changed) < 64 {
			changed = append(changed, i)
		}
	}
	if added || len(changed) >= 64 {
		q.list.Refresh()
	} else {
		for _, i := range changed {
			q.list.RefreshItem(i)
		}
	}
	q.updateTotals()
	if ended && q.ended != nil {
		q.ended(q.totals())
	}
}

func (q *queueView) updateTotals() {
	q.total.SetText(totalsText(q.totals()))
}

// totalsText is the batch line: counts, bytes, speed and time left.
func totalsText(t queueTotals) string {
	s := T("{{.Active}} uploading · {{.Done}} done · {{.Failed}} failed — {{.Sent}} of {{.Total}}",
		"Active", t.Active+t.Paused, "Done", t.Done, "Failed", t.Failed+t.Cancelled,
		"Sent", humanize.Bytes(t.Sent), "Total", humanize.Bytes(t.Total))
	if t.Active > 0 && t.BytesPerSec > 0 && t.Total > t.Sent {
		eta := humanize.Duration(secondsToDuration(float64(t.Total-t.Sent) / t.BytesPerSec))
		if eta != "" {
			s += " · " + T("{{.Speed}}/s, {{.ETA}} left", "Speed", humanize.Bytes(int64(t.BytesPerSec)), "ETA", eta)
		}
	}
	return s
}

func (q *queueView) view() fyne.CanvasObject {
	return container.NewBorder(
		container.NewVBox(widget.NewLabelWithStyle(T("Uploads"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), q.total),
		nil, nil, nil, q.list)
}

func secondsToDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
