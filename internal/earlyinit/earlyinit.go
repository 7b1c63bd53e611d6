// Package earlyinit runs before Fyne's packages initialise and keeps their
// init-time complaints off the command line's stderr.
//
// fyne.io/fyne/v2/lang parses the user's locale in its init and logs
// "Fyne error: Error parsing user locale C" through the standard logger when
// LANG is C or POSIX (containers, cron, CI) — noise in front of `ferry ls`
// or `ferry pick --json` output that other programs read. This package
// sends the standard logger to io.Discard until Restore (main calls it
// first thing); the GUI then falls back to English as Fyne does anyway.
//
// It works because Go initialises packages in import-path order among
// those whose imports are ready (Go 1.21+): this package needs only io, log
// and os, so it runs before github.com/jeandeaual/go-locale and
// golang.org/x/text, without which fyne's lang cannot initialise. A test
// checks the order holds.
package earlyinit

import (
	"io"
	"log"
	"os"
)

var saved io.Writer = os.Stderr

func init() {
	saved = log.Writer()
	log.SetOutput(io.Discard)
}

// Restore gives the standard logger its output back.
func Restore() { log.SetOutput(saved) }
