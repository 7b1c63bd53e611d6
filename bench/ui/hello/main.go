// Command hello is the baseline of Ferry's cold-start benchmark: the
// smallest Fyne window, built the same way as ferry (CGO, same Fyne).
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("app.ferry.bench.hello")
	w := a.NewWindow("Hello")
	w.SetContent(widget.NewLabel("Hello, world"))
	w.Resize(fyne.NewSize(1000, 680))
	w.ShowAndRun()
}
