package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/config"
	"github.com/ferry-app/ferry/internal/appdirs"
	"github.com/ferry-app/ferry/upload"
)

type globalFlags struct {
	version bool
	verbose bool
	config  *config.Flags // configuration keys given as flags (--backend, --upload-concurrency…)
}

// parseGlobal reads the global flags that come before a command name: every
// configuration key as a flag (config.BindFlags), plus --version/--verbose.
func parseGlobal(args []string) (globalFlags, []string, error) {
	var g globalFlags
	fs := flag.NewFlagSet("ferry", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&g.version, "version", false, "print the version")
	fs.BoolVar(&g.verbose, "verbose", false, "log details to stderr")
	g.config = config.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return g, []string{"help"}, nil
		}
		return g, nil, err
	}
	return g, fs.Args(), nil
}

// Env is what every command shares: output streams, logger, configuration
// and a lazily started backend connection. Close releases what was started.
type Env struct {
	Stdout, Stderr io.Writer
	Flags          globalFlags
	Log            *slog.Logger

	mu       sync.Mutex
	cfg      *config.Config
	cfgErr   error
	cfgDone  bool
	conn     *BackendConn
	embedded *backend.Embedded
	connMu   sync.Mutex // serialises Backend's connection attempts
	closers  []io.Closer

	vaultMu sync.Mutex
	vault   *vault.Vault
}

// BackendConn is a ready connection to the configured (or embedded) backend.
type BackendConn struct {
	Client    *upload.Client
	Discovery *api.Discovery
	Embedded  bool
	// Token returns the bearer token for the backend (nil: none needed).
	Token func(ctx context.Context) (string, error)
}

func newEnv(stdout, stderr io.Writer, g globalFlags) *Env {
	level := slog.LevelWarn
	if g.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return &Env{Stdout: stdout, Stderr: stderr, Flags: g, Log: log}
}

// Config loads the layered configuration once (admin file, user file,
// FERRY_* environment, flags); warnings about locked keys go to the log.
func (e *Env) Config() (*config.Config, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.configLocked()
}

func (e *Env) configLocked() (*config.Config, error) {
	if !e.cfgDone {
		e.cfgDone = true
		var warns []config.Warning
		e.cfg, warns, e.cfgErr = config.Load(config.Options{Flags: e.Flags.config})
		for _, w := range warns {
			fmt.Fprintf(e.Stderr, "ferry: warning: %s\n", w)
		}
	}
	return e.cfg, e.cfgErr
}

// Backend connects to the configured backend, or starts the embedded one on
// 127.0.0.1 with local storage under the user data dir.
func (e *Env) Backend(ctx context.Context) (*BackendConn, error) {
	// connMu makes concurrent callers share one connection attempt; e.mu is
	// held only for moments, so reading or saving settings never waits
	// behind a slow backend (discovery may take up to 15 s).
	e.connMu.Lock()
	defer e.connMu.Unlock()
	e.mu.Lock()
	conn, emb := e.conn, e.embedded
	cfg, err := e.configLocked()
	e.mu.Unlock()
	if conn != nil {
		return conn, nil
	}
	if err != nil {
		return nil, err
	}
	u := cfg.Backend
	var (
		client *upload.Client
		token  upload.TokenFunc
	)
	embedded := u == ""
	if embedded {
		if emb == nil { // a failed discovery keeps the started backend for the next try
			dir := filepath.Join(appdirs.DataDir(), "backend")
			if emb, err = backend.StartEmbedded(ctx, dir, e.Log); err != nil {
				return nil, fmt.Errorf("starting the built-in upload service: %w", err)
			}
			e.mu.Lock()
			e.embedded = emb
			e.mu.Unlock()
		}
		secret := emb.Token
		token = func(context.Context) (string, error) { return secret, nil }
		client, err = upload.NewClient(emb.URL, token, nil)
	} else {
		client, err = upload.NewClient(u, nil, nil)
	}
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	d, err := client.Discover(dctx)
	if err != nil {
		return nil, err
	}
	if d.Auth.Type == api.AuthOIDC && !embedded {
		// Sign-in happens lazily: the token func asks the vault each call,
		// so `ferry login` can run against this same connection.
		token = e.backendToken(d)
		if client, err = upload.NewClient(u, token, nil); err != nil {
			return nil, err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := cfg.ApplyDiscovery(d); err != nil {
		return nil, fmt.Errorf("the backend's discovery document is not usable: %w", err)
	}
	e.conn = &BackendConn{Client: client, Discovery: d, Embedded: embedded, Token: token}
	return e.conn, nil
}

// closeLater registers c to be closed by Close.
func (e *Env) closeLater(c io.Closer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closers = append(e.closers, c)
}

// Close stops what the environment started.
func (e *Env) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.closers {
		_ = c.Close()
	}
	e.closers = nil
	if e.embedded != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.embedded.Close(ctx)
		e.embedded = nil
	}
}
