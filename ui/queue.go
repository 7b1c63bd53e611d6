package ui

import (
	"fmt"
	"sync"

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
	Reason string // human reason when failed
}

// queueView shows a row per queued file: name, progress bar, bytes/total,
// speed and state. Its backing slice is only touched on the UI goroutine.
type queueView struct {
	mu    sync.Mutex // guards byID for lookups from Rows() in tests
	rows  []queueRow
	byID  map[upload.JobID]int
	list  *widget.List
	total *widget.Label
}

func newQueueView() *queueView {
	q := &queueView{byID: map[upload.JobID]int{}, total: widget.NewLabel("No uploads yet.")}
	q.list = widget.NewList(
		func() int { return len(q.rows) },
		q.createRow,
		q.updateRow,
	)
	return q
}

func (q *queueView) createRow() fyne.CanvasObject {
	name := widget.NewLabel("file name")
	name.Truncation = fyne.TextTruncateEllipsis
	bar := widget.NewProgressBar()
	bytes := widget.NewLabel("000.0 MiB / 000.0 MiB")
	speed := widget.NewLabel("000.0 MiB/s")
	state := widget.NewLabel("uploading")
	state.Truncation = fyne.TextTruncateEllipsis
	right := container.NewHBox(bytes, speed)
	top := container.NewBorder(nil, nil, widget.NewIcon(theme.FileIcon()), right, name)
	return container.NewVBox(top, container.NewBorder(nil, nil, nil, nil, container.NewGridWithColumns(2, bar, state)))
}

func (q *queueView) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(q.rows) {
		return
	}
	r := q.rows[i]
	box := o.(*fyne.Container)
	top := box.Objects[0].(*fyne.Container)
	name := top.Objects[0].(*widget.Label)
	icon := top.Objects[1].(*widget.Icon)
	right := top.Objects[2].(*fyne.Container)
	grid := box.Objects[1].(*fyne.Container).Objects[0].(*fyne.Container)
	bar := grid.Objects[0].(*widget.ProgressBar)
	state := grid.Objects[1].(*widget.Label)

	name.SetText(r.Name)
	switch r.State {
	case upload.Done:
		icon.SetResource(theme.ConfirmIcon())
	case upload.Failed:
		icon.SetResource(theme.ErrorIcon())
	case upload.Cancelled:
		icon.SetResource(theme.CancelIcon())
	default:
		icon.SetResource(theme.UploadIcon())
	}
	if r.Total > 0 {
		bar.SetValue(float64(r.Sent) / float64(r.Total))
	} else if r.State == upload.Done {
		bar.SetValue(1)
	} else {
		bar.SetValue(0)
	}
	right.Objects[0].(*widget.Label).SetText(fmt.Sprintf("%s / %s", humanize.Bytes(r.Sent), humanize.Bytes(r.Total)))
	sp := ""
	if r.State == upload.Uploading && r.BytesPerSec > 0 {
		sp = humanize.Bytes(int64(r.BytesPerSec)) + "/s"
	}
	right.Objects[1].(*widget.Label).SetText(sp)
	state.SetText(stateText(r))
}

func stateText(r queueRow) string {
	switch r.State {
	case upload.Queued:
		return "Queued"
	case upload.Uploading:
		if eta := humanize.Duration(r.ETA); eta != "" {
			return "Uploading — " + eta + " left"
		}
		return "Uploading"
	case upload.Done:
		return "Done"
	case upload.Failed:
		return "Failed: " + r.Reason
	case upload.Cancelled:
		return "Cancelled"
	}
	return ""
}

// apply folds an event into the model. It must run on the UI goroutine.
func (q *queueView) apply(e upload.Event) {
	q.mu.Lock()
	i, ok := q.byID[e.ID]
	row := queueRow{Event: e}
	if e.State == upload.Failed {
		row.Reason = upload.Reason(e.Err)
	}
	if ok {
		q.rows[i] = row
	} else {
		i = len(q.rows)
		q.byID[e.ID] = i
		q.rows = append(q.rows, row)
	}
	q.mu.Unlock()
	if ok {
		q.list.RefreshItem(i)
	} else {
		q.list.Refresh()
	}
	q.updateTotals()
}

func (q *queueView) updateTotals() {
	var done, failed, active int
	var sent, total int64
	for _, r := range q.rows {
		switch r.State {
		case upload.Done:
			done++
		case upload.Failed, upload.Cancelled:
			failed++
		default:
			active++
		}
		sent += r.Sent
		if r.Total > 0 {
			total += r.Total
		}
	}
	q.total.SetText(fmt.Sprintf("%d uploading · %d done · %d failed — %s of %s", active, done, failed, humanize.Bytes(sent), humanize.Bytes(total)))
}

// Rows returns a copy of the queue's rows (for tests and the picker).
func (q *queueView) Rows() []queueRow {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]queueRow(nil), q.rows...)
}

func (q *queueView) view() fyne.CanvasObject {
	return container.NewBorder(
		container.NewVBox(widget.NewLabelWithStyle("Uploads", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), q.total),
		nil, nil, nil, q.list)
}
