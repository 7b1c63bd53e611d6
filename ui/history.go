package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/internal/humanize"
	"github.com/ferry-app/ferry/upload"
)

// UploadHistory keeps finished uploads across restarts (upload.History).
type UploadHistory interface {
	Add(r upload.Result) error
	List() ([]upload.HistoryEntry, error)
	Clear() error
}

// maxHistoryShown bounds the dialog; the history file keeps more.
const maxHistoryShown = 300

// showHistory lists the finished uploads of this and earlier runs, newest
// first, each with the way to find it, and offers to clear the list.
func (m *Main) showHistory() {
	m.pending.Add(1)
	go func() {
		defer m.pending.Done()
		list, err := m.deps.History.List()
		onMain(func() {
			if err != nil {
				m.showProblem(T("The upload history cannot be read"), err, nil)
				return
			}
			m.presentHistory(list)
		})
	}()
}

func (m *Main) presentHistory(list []upload.HistoryEntry) {
	box := container.NewVBox()
	if len(list) == 0 {
		box.Add(widget.NewLabel(T("Nothing uploaded yet.")))
	}
	for i, e := range list {
		if i == maxHistoryShown {
			break
		}
		row := queueRow{Event: upload.Event{State: upload.Done, Result: &e.Result}}
		name := &widget.Label{Text: DisplayName(e.Name, 60), TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
		when := widget.NewLabel(e.Finished.Local().Format("2006-01-02 15:04") + " · " + humanize.Bytes(e.Size))
		var find fyne.CanvasObject = layout.NewSpacer()
		switch a := row.actions(); {
		case a.ShowInFolder:
			find = &widget.Button{Text: T("Show in folder"), Importance: widget.LowImportance, OnTapped: func() { m.queue.showInFolder(row) }}
		case a.CopyLink:
			find = &widget.Button{Text: T("Copy link"), Importance: widget.LowImportance, OnTapped: func() { m.queue.copyLink(row) }}
		}
		box.Add(container.NewBorder(nil, nil, nil, find, container.NewVBox(name, when)))
	}
	scroll := container.NewVScroll(box)
	scroll.SetMinSize(fyne.NewSize(520, 320))
	var d *dialog.CustomDialog
	clear := &widget.Button{Text: T("Clear history"), OnTapped: func() {
		if err := m.deps.History.Clear(); err != nil {
			m.showProblem(T("The upload history cannot be cleared"), err, nil)
			return
		}
		d.Hide()
		m.status.SetText(T("Upload history cleared."))
	}}
	if len(list) == 0 {
		clear.Disable()
	}
	d = dialog.NewCustomWithoutButtons(T("Upload history"), scroll, m.win)
	d.SetButtons([]fyne.CanvasObject{clear, &widget.Button{Text: T("Close"), OnTapped: func() { d.Hide() }}})
	m.showDialog(d)
}
