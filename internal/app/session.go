// Package app is Ferry's application layer, shared by the command line
// (internal/cli) and the window (ui): a Session owns the configuration, the
// token vault, the connection to the upload service and the registry of
// source kinds, and offers what both front ends do with them — list and
// open sources, sign in and out, find unfinished uploads. It speaks domain
// types (vault accounts, providers, upload sources) and never imports Fyne.
package app

import (
	"context"
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
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/upload"
)

// ID is the application ID: the keychain entry, the vault's AAD, Fyne's
// preferences and the desktop file are all named by it.
const ID = "io.ferry.app"

// Options configure a Session.
type Options struct {
	// Version is the application version (About box, User-Agent).
	Version string
	// Flags are the configuration keys given on the command line.
	Flags *config.Flags
	// Log receives diagnostics; never secrets. Nil: discarded.
	Log *slog.Logger
	// Warnings receives configuration warnings meant for the person
	// (a locked key overridden, say). Nil: discarded.
	Warnings io.Writer
	// Kinds are the source kinds this build knows. Nil: Kinds().
	Kinds *providers.Registry
}

// Session is one run of Ferry: configuration, vault, backend connection and
// sources. Its methods are safe for concurrent use. Close releases what it
// started (the embedded backend, providers opened for resuming).
type Session struct {
	Version string
	Log     *slog.Logger

	flags *config.Flags
	warn  io.Writer
	kinds *providers.Registry

	mu       sync.Mutex
	cfg      *config.Config
	cfgErr   error
	cfgDone  bool
	conn     *Conn
	embedded *backend.Embedded
	connMu   sync.Mutex // serialises Backend's connection attempts
	closers  []io.Closer

	vaultMu sync.Mutex
	vault   *vault.Vault

	journal opened[upload.Journal]
	history opened[upload.History]
}

// Conn is a ready connection to the configured (or embedded) backend.
type Conn struct {
	Client    *upload.Client
	Discovery *api.Discovery
	Embedded  bool
	// Token returns the bearer token for the backend (nil: none needed).
	Token func(ctx context.Context) (string, error)
}

// ID names the connected backend in the upload journal: the embedded
// backend's port changes every run, its storage does not.
func (c *Conn) ID() string {
	if c.Embedded {
		return "embedded"
	}
	return c.Client.BaseURL()
}

// New returns a session; nothing is read or started until asked for.
func New(o Options) *Session {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Warnings == nil {
		o.Warnings = io.Discard
	}
	if o.Kinds == nil {
		o.Kinds = Kinds()
	}
	if o.Version != "" {
		providers.Version = o.Version
	}
	return &Session{Version: o.Version, Log: o.Log, flags: o.Flags, warn: o.Warnings, kinds: o.Kinds}
}

// Kinds is the registry of source kinds the session knows.
func (s *Session) Kinds() *providers.Registry { return s.kinds }

// Config loads the layered configuration once (admin file, user file,
// FERRY_* environment, flags); warnings go to Options.Warnings.
func (s *Session) Config() (*config.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.configLocked()
}

func (s *Session) configLocked() (*config.Config, error) {
	if !s.cfgDone {
		s.cfgDone = true
		var warns []config.Warning
		s.cfg, warns, s.cfgErr = config.Load(config.Options{Flags: s.flags})
		for _, w := range warns {
			fmt.Fprintf(s.warn, "ferry: warning: %s\n", w)
		}
	}
	return s.cfg, s.cfgErr
}

// SaveSettings writes changed keys to the user configuration file.
func (s *Session) SaveSettings(changes map[string]string) error {
	cfg, err := s.Config()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return cfg.SetUserAll(changes)
}

// Backend connects to the configured backend, or starts the embedded one on
// 127.0.0.1 with local storage under the user data dir.
func (s *Session) Backend(ctx context.Context) (*Conn, error) {
	// connMu makes concurrent callers share one connection attempt; s.mu is
	// held only for moments, so reading or saving settings never waits
	// behind a slow backend (discovery may take up to 15 s).
	s.connMu.Lock()
	defer s.connMu.Unlock()
	s.mu.Lock()
	conn, emb := s.conn, s.embedded
	cfg, err := s.configLocked()
	s.mu.Unlock()
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
			if emb, err = backend.StartEmbedded(ctx, builtInBackendDir(), s.Log); err != nil {
				return nil, fmt.Errorf("starting the built-in upload service: %w", err)
			}
			s.mu.Lock()
			s.embedded = emb
			s.mu.Unlock()
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
		token = s.backendToken(d)
		if client, err = upload.NewClient(u, token, nil); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := cfg.ApplyDiscovery(d); err != nil {
		return nil, fmt.Errorf("the backend's discovery document is not usable: %w", err)
	}
	s.conn = &Conn{Client: client, Discovery: d, Embedded: embedded, Token: token}
	return s.conn, nil
}

// builtInBackendDir holds the embedded backend's state and storage.
func builtInBackendDir() string { return filepath.Join(appdirs.DataDir(), "backend") }

// ServiceSignsIn reports, without waiting, whether the connected upload
// service signs people in (OIDC); false while it is still connecting.
func (s *Session) ServiceSignsIn() bool {
	if !s.mu.TryLock() {
		return false
	}
	defer s.mu.Unlock()
	return s.conn != nil && !s.conn.Embedded && s.conn.Discovery.Auth.Type == api.AuthOIDC
}

// CloseLater registers c to be closed by Close.
func (s *Session) CloseLater(c io.Closer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closers = append(s.closers, c)
}

// Close stops what the session started.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.closers {
		_ = c.Close()
	}
	s.closers = nil
	if s.embedded != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.embedded.Close(ctx)
		s.embedded = nil
	}
}
