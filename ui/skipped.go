package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// skippedItem is an item of a selection that was not queued, and why.
type skippedItem struct {
	name   string
	reason string // a sentence in the window's language
}

// maxSkippedShown bounds the list; the rest are counted.
const maxSkippedShown = 200

// showSkipped lists, by name, the items that were left out and why, in a
// dialog the person closes: the status line is too short for it.
func (m *Main) showSkipped(items []skippedItem) {
	box := container.NewVBox(&widget.Label{Text: T("Everything else was queued. These items were left out:"), Wrapping: fyne.TextWrapWord})
	for i, it := range items {
		if i == maxSkippedShown {
			box.Add(widget.NewLabel(N("… and {{.Count}} more", len(items)-i)))
			break
		}
		name := &widget.Label{Text: SafeName(it.name), TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
		why := &widget.Label{Text: sentence(it.reason), Wrapping: fyne.TextWrapWord}
		box.Add(container.NewVBox(name, why))
	}
	scroll := container.NewVScroll(box)
	scroll.SetMinSize(fyne.NewSize(440, 220))
	d := dialog.NewCustom(N("{{.Count}} items were not added", len(items)), T("Close"), scroll, m.win)
	d.Resize(fyne.NewSize(500, 0))
	m.showDialog(d)
}
