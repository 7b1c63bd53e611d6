package local

import (
	"context"

	"github.com/ferry-app/ferry/providers"
)

// Kind registers This Computer with the providers registry: the default
// places, hidden files off.
var Kind = providers.Kind{
	Type:  "local",
	Title: "This Computer",
	New: func(context.Context, providers.Settings, providers.Deps) (providers.Provider, error) {
		return New(Options{})
	},
}
