//go:build ci

package main

import (
	"context"
	"errors"
)

type guiOptions struct{}

// runGUI is absent from builds tagged ci (no cgo, no GL): commands work, the
// window does not.
func runGUI(context.Context, *Env, guiOptions) error {
	return errors.New("this build of ferry has no window (built with -tags ci); use a subcommand")
}
