package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
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
