// Package ui holds Ferry's Fyne views and view-models. It never imports
// net/http or fyne.io/fyne/v2/app: main.go creates the app and window and
// hands them to Create, so every view here is testable with fyne's test
// driver and CGO_ENABLED=0.
package ui

import (
	"sync"

	"fyne.io/fyne/v2"
)

// uiMu serialises the functions onMain runs. In the app they already run
// one by one on the UI goroutine, so it is never contended; under the test
// driver fyne.Do runs them inline on the calling goroutine, and the lock
// keeps two workers (a listing and a thumbnail) from touching widgets at
// the same time.
var uiMu sync.Mutex

// onMain runs f on the Fyne UI goroutine. Every UI update that starts on
// another goroutine (upload progress, listings, thumbnails) goes through
// this one helper, so none can touch a widget from the wrong goroutine.
// Call it only from other goroutines: f must not call onMain itself.
func onMain(f func()) {
	fyne.Do(func() {
		uiMu.Lock()
		defer uiMu.Unlock()
		f()
	})
}
