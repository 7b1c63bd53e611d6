package main

import "github.com/ferry-app/ferry/ui"

// guiOptions is how a command asks for the window.
type guiOptions struct {
	// pick makes the window a picker for another program (ferry pick).
	pick *ui.Pick
}
