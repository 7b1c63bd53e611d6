package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// banner is a warning across the top of the window that stays until the
// person dismisses it (a status line is overwritten by the next upload).
type banner struct {
	box     *fyne.Container
	text    *widget.Label
	dismiss *widget.Button
}

func newBanner() *banner {
	b := &banner{text: &widget.Label{Wrapping: fyne.TextWrapWord}}
	b.dismiss = &widget.Button{Icon: theme.CancelIcon(), Importance: widget.LowImportance, OnTapped: b.hide}
	b.box = container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), b.dismiss, b.text)
	b.box.Hide()
	return b
}

func (b *banner) show(msg string) {
	b.text.SetText(msg)
	b.box.Show()
	b.box.Refresh()
}

func (b *banner) hide() { b.box.Hide() }
