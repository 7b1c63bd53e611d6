package app

import (
	"github.com/ferry-app/ferry/internal/instance"
	"github.com/ferry-app/ferry/upload"
)

// Show is how the window is asked for.
type Show struct {
	// Pick, when set, makes the window a picker for another program.
	Pick *Pick
	// Files are absolute paths of files and folders to add at start (the
	// desktop's "Open with Ferry", or `ferry PATH…`).
	Files []string
	// Requests delivers what later starts of ferry hand this window (it
	// comes to the front and adds their files); nil for a picker.
	Requests <-chan instance.Request
}

// Pick is a request from another program for files (ferry pick): the
// window becomes a picker, and Done or Cancelled is called once.
type Pick struct {
	Multiple  bool     // more than one file (or a folder) may be chosen
	Accept    []string // MIME types ("image/*") and extensions (".pdf"); empty: any
	Source    string   // the remote to show first ("local" or a remote name)
	Done      func([]upload.Result)
	Cancelled func()
}
