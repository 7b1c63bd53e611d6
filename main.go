// Command ferry is Ferry's desktop app and command line. This file is the
// composition root: it hands the command line (internal/cli) the window
// (ui) to open when asked, and is the only place that creates a Fyne app.
package main

import (
	"context"
	"os"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/internal/cli"
	"github.com/ferry-app/ferry/internal/earlyinit"
	"github.com/ferry-app/ferry/ui"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	earlyinit.Restore()
	os.Exit(cli.Main(os.Args[1:], cli.Options{
		Version: version,
		Window:  window,
		Stdin:   os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	}))
}

// window opens Ferry's window as show asks.
func window(ctx context.Context, s *app.Session, show app.Show) error {
	return ui.Run(ctx, fyneapp.NewWithID(app.ID), s, show)
}
