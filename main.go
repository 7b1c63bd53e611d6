//go:build !ci

package main

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/ferry-app/ferry/assets"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/ui"
	"github.com/ferry-app/ferry/upload"
)

type guiOptions struct{}

// runGUI is the composition root of the window: the only place that creates
// the Fyne app.
func runGUI(ctx context.Context, env *Env, _ guiOptions) error {
	cfg, err := env.Config()
	if err != nil {
		return err
	}
	a := app.NewWithID(appID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
	w := a.NewWindow("Ferry")
	w.Resize(fyne.NewSize(1000, 680))
	m := ui.Create(w, ui.Deps{
		Connect: func(ctx context.Context) (*upload.Client, *api.Discovery, error) {
			c, err := env.Backend(ctx)
			if err != nil {
				return nil, nil, err
			}
			return c.Client, c.Discovery, nil
		},
		Concurrency: cfg.Upload.Concurrency,
	})
	defer m.Close()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return nil
}
