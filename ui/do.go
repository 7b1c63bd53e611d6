// Package ui holds Ferry's Fyne views and view-models. It never imports
// net/http or fyne.io/fyne/v2/app: main.go creates the app and window and
// hands them to Create, so every view here is testable with fyne's test
// driver and CGO_ENABLED=0.
package ui

import "fyne.io/fyne/v2"

// onMain runs f on the Fyne UI goroutine. Every UI update that starts on
// another goroutine (upload progress, listings, thumbnails) goes through
// this one helper, so none can touch a widget from the wrong goroutine.
func onMain(f func()) { fyne.Do(f) }
