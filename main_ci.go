//go:build ci

package main

import "context"

// runGUI is absent from builds tagged ci (no cgo, no GL): commands work, the
// window does not.
func runGUI(context.Context, *Env, guiOptions) error {
	return errNoWindow
}
