package main

import (
	"context"
	_ "embed"
	"strings"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/ui"
	"github.com/ferry-app/ferry/upload"
)

//go:embed go.mod
var goMod string

// guiDeps wires the window to the environment: backend, journal, accounts,
// sign-in and sign-out, settings. main.go adds only what needs the Fyne app.
func guiDeps(env *Env, opts guiOptions) (ui.Deps, error) {
	cfg, err := env.Config()
	if err != nil {
		return ui.Deps{}, err
	}
	journal, jerr := upload.OpenJournal(upload.DefaultJournalDir())
	if jerr != nil {
		env.Log.Warn("uploads cannot resume after a crash", "err", jerr)
		journal = nil
	}
	history, herr := upload.OpenHistory(upload.DefaultHistoryPath())
	if herr != nil {
		env.Log.Warn("finished uploads are not kept in a history", "err", herr)
	}
	settings, err := env.GUISettings()
	if err != nil {
		return ui.Deps{}, err
	}
	var backendName string
	deps := ui.Deps{
		Connect: func(ctx context.Context) (*upload.Client, *api.Discovery, error) {
			c, err := env.Backend(ctx)
			if err != nil {
				return nil, nil, err
			}
			backendName = backendID(c)
			return c.Client, c.Discovery, nil
		},
		QueueOptions: func() upload.Options {
			return upload.Options{
				PartConcurrency: cfg.Upload.PartConcurrency,
				Journal:         journal,
				BackendID:       backendName,
				Logger:          env.Log,
				Restrictions: upload.Restrictions{
					MaxFileSize:  cfg.Upload.MaxFileSize,
					MaxFiles:     cfg.Upload.MaxFiles,
					AllowedTypes: cfg.Upload.AllowedTypes,
				},
			}
		},
		Preconnect:         true,
		Concurrency:        cfg.Upload.Concurrency,
		ShowHidden:         cfg.UI.ShowHidden,
		Restrictions:       api.UploadInfo{MaxFileSize: cfg.Upload.MaxFileSize, AllowedTypes: cfg.Upload.AllowedTypes},
		ThumbnailCacheMB:   cfg.UI.ThumbnailCacheMB,
		Accounts:           env.GUIAccounts,
		Sources:            env.GUISources,
		OpenRemote:         env.OpenRemote,
		SignIn:             env.GUISignIn,
		SignOut:            env.GUISignOut,
		ForgetAll:          env.GUIForgetAll,
		ServiceRemote:      BackendRemote,
		ServiceNeedsSignIn: env.serviceSignsIn,
		RemoteSources: func(ctx context.Context, p providers.Provider, remote string, entries []providers.Entry) ([]upload.Source, error) {
			return upload.ExpandEntries(ctx, p, remote, entries)
		},
		SignInsNotKept: func(ctx context.Context) string {
			if v := env.Vault(ctx); !v.Persistent() {
				return v.Reason()
			}
			return ""
		},
		Settings: settings,
		About:    ui.About{Version: version, Licenses: licenses()},
		Pick:     opts.pick,
	}
	if history != nil {
		deps.History = history
	}
	if journal != nil && opts.pick == nil {
		deps.Unfinished = func(ctx context.Context) ([]upload.Source, error) { return env.GUIUnfinished(ctx, journal) }
	}
	return deps, nil
}

// licenses lists the modules Ferry is built from, for the About box.
func licenses() string {
	var sb strings.Builder
	sb.WriteString("Ferry is built with Go and these modules; each keeps its own license (see its repository):\n\n")
	for _, line := range strings.Split(goMod, "\n") {
		line = strings.TrimSpace(line)
		f := strings.Fields(line)
		if len(f) >= 2 && strings.Contains(f[0], ".") && strings.HasPrefix(f[1], "v") && !strings.HasPrefix(line, "module") {
			sb.WriteString(f[0] + " " + f[1] + "\n")
		}
	}
	return sb.String()
}
