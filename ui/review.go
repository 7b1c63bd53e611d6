package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/internal/humanize"
	"github.com/ferry-app/ferry/upload"
)

// review is a batch of dropped files waiting for the person to look it
// over: they can remove files, then Start it or Cancel it. Nothing of it
// is uploaded before Start. UI goroutine only.
type review struct {
	srcs     []upload.Source
	title    *widget.Label
	list     *widget.List
	startBtn *widget.Button
	dropBtn  *widget.Button
	box      fyne.CanvasObject

	onStart  func(srcs []upload.Source) // the person pressed Start
	onChange func()                     // the batch appeared, changed or went
}

func newReview() *review {
	r := &review{title: &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}}}
	r.list = widget.NewList(func() int { return len(r.srcs) }, r.createRow, r.updateRow)
	r.startBtn = &widget.Button{Text: T("Start upload"), Icon: theme.UploadIcon(), Importance: widget.HighImportance, OnTapped: r.start}
	r.dropBtn = &widget.Button{Text: T("Cancel"), Icon: theme.CancelIcon(), OnTapped: r.cancel}
	hint := &widget.Label{Text: T("Remove what you do not want to upload, then press Start upload."), Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance}
	buttons := container.NewHBox(layout.NewSpacer(), r.dropBtn, r.startBtn)
	r.box = container.NewBorder(container.NewVBox(r.title, hint), buttons, nil, nil, r.list)
	return r
}

// pending reports whether a batch waits for Start.
func (r *review) pending() bool { return len(r.srcs) > 0 }

// add puts srcs into the batch under review (a second drop joins the first).
func (r *review) add(srcs []upload.Source) {
	r.srcs = append(r.srcs, srcs...)
	r.changed()
}

func (r *review) changed() {
	var size int64
	for _, s := range r.srcs {
		size += max(s.Size(), 0)
	}
	r.title.SetText(N("{{.Count}} files ready to upload ({{.Size}})", len(r.srcs), "Size", humanize.Bytes(size)))
	r.list.Refresh()
	if r.onChange != nil {
		r.onChange()
	}
}

// remove takes file i out of the batch; the last one removed ends it.
func (r *review) remove(i int) {
	if i < 0 || i >= len(r.srcs) {
		return
	}
	r.srcs = append(r.srcs[:i:i], r.srcs[i+1:]...)
	r.changed()
}

func (r *review) start() {
	srcs := r.srcs
	r.srcs = nil
	r.changed()
	if len(srcs) > 0 && r.onStart != nil {
		r.onStart(srcs)
	}
}

func (r *review) cancel() {
	r.srcs = nil
	r.changed()
}

// reviewRow is one file of the batch: name, size and Remove.
type reviewRow struct {
	widget.BaseWidget
	name, size *widget.Label
	remove     *widget.Button
	idx        int
	content    fyne.CanvasObject
}

func (b *reviewRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(b.content)
}

func (r *review) createRow() fyne.CanvasObject {
	row := &reviewRow{name: &widget.Label{Text: "file name", Truncation: fyne.TextTruncateEllipsis}, size: widget.NewLabel("000.0 MiB")}
	row.remove = &widget.Button{Text: T("Remove"), Icon: theme.ContentRemoveIcon(), Importance: widget.LowImportance, OnTapped: func() { r.remove(row.idx) }}
	row.content = container.NewBorder(nil, nil, widget.NewIcon(theme.FileIcon()), container.NewHBox(row.size, row.remove), row.name)
	row.ExtendBaseWidget(row)
	return row
}

func (r *review) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(r.srcs) {
		return
	}
	row := o.(*reviewRow)
	row.idx = i
	row.name.SetText(DisplayName(r.srcs[i].Name(), 80))
	row.size.SetText(humanize.Bytes(max(r.srcs[i].Size(), 0)))
}
