package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/upload"
)

// allText collects the text of every label, button and entry under o.
func allText(o fyne.CanvasObject) string {
	var sb strings.Builder
	for _, c := range test.LaidOutObjects(o) {
		switch c := c.(type) {
		case *widget.Label:
			sb.WriteString(c.Text + "\n")
		case *widget.RichText:
			sb.WriteString(c.String() + "\n")
		case *widget.Button:
			sb.WriteString(c.Text + "\n")
		}
	}
	return sb.String()
}

// TestBrowserViewSnapshots pins the list view, the grid view and the
// preview pane as markup (testdata/*.xml).
func TestBrowserViewSnapshots(t *testing.T) {
	d := newFakeDrive(12)
	d.content["id3"] = []byte("first line\nsecond line\n")
	b, w := newTestBrowser(t, nil, restrictions{MaxFileSize: 10})
	p := newPreview(b.ctx, b.thumbs, &b.jobs)
	b.onCursorChanged = func(it *item) { p.show(b.loc.src, it) }
	split := container.NewHSplit(b.view(), p.view())
	split.Offset = 0.7
	w.SetContent(split)
	w.Resize(fyne.NewSize(1000, 520))
	b.openSource(cloudSource(d), "")
	b.Wait()
	b.click(4, 0) // file 3.txt
	b.Wait()
	test.AssertRendersToMarkup(t, "browser_list.xml", w.Canvas())

	b.setGrid(true)
	test.AssertRendersToMarkup(t, "browser_grid.xml", w.Canvas())
}

// TestQueuePanelSnapshots pins the upload queue's panel as markup: folded
// to its drop zone while idle, a dropped batch under review, and at work,
// in the light and dark themes, in English and German.
func TestQueuePanelSnapshots(t *testing.T) {
	for _, lang := range []string{"en", "de"} {
		for _, th := range []string{"light", "dark"} {
			t.Run(lang+"_"+th, func(t *testing.T) {
				withLanguage(t, lang)
				a := test.NewTempApp(t)
				ApplyTheme(a, th)
				q, rv := newQueueView(), newReview()
				p := newQueuePanel(q, rv)
				w := test.NewWindow(nil)
				p.arrange = func(expanded bool) {
					if expanded {
						w.SetContent(p.full())
						w.Resize(fyne.NewSize(640, 360))
					} else {
						w.SetContent(p.header)
						w.Resize(fyne.NewSize(640, 60))
					}
				}
				p.arrange(false)
				name := func(state string) string { return "queue_" + state + "_" + lang + "_" + th + ".xml" }
				test.AssertRendersToMarkup(t, name("collapsed"), w.Canvas())

				rv.add([]upload.Source{
					&upload.LocalFile{Path: "/home/ann/Pictures/beach.jpg", Rel: "beach.jpg", Length: 3 << 20},
					&upload.LocalFile{Path: "/home/ann/Pictures/trip/notes.txt", Rel: "trip/notes.txt", Length: 1200},
				})
				test.AssertRendersToMarkup(t, name("review"), w.Canvas())
				rv.cancel()

				q.beginBatch()
				q.apply(upload.Event{ID: 1, Name: "report.pdf", State: upload.Uploading, Sent: 1 << 20, Total: 4 << 20, BytesPerSec: 512 << 10, ETA: 6 * time.Second})
				q.apply(upload.Event{ID: 2, Name: "holiday.mov", State: upload.Queued, Total: 1 << 30})
				q.apply(upload.Event{ID: 3, Name: "scan.png", State: upload.Paused, Sent: 100, Total: 2000})
				q.apply(upload.Event{ID: 4, Name: "a.txt", State: upload.Done, Sent: 10, Total: 10})
				test.AssertRendersToMarkup(t, name("working"), w.Canvas())
			})
		}
	}
}
