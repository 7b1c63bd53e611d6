package backend

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"
)

// Embedded is a backend running in-process on 127.0.0.1 with the local
// storage driver, for a Ferry that has no backend configured.
type Embedded struct {
	// URL is the backend's base URL, http://127.0.0.1:PORT.
	URL string
	// Token is the per-run bearer secret every route but discovery and
	// /healthz requires. Hand it over in-process only; never log or store it.
	Token string

	srv  *Server
	done chan error
}

// EmbeddedConfig returns the config StartEmbedded uses for dataDir: auth
// "none" on 127.0.0.1:0, local storage under dataDir/files, the generated
// upload-token secret under dataDir/state (so unfinished uploads resume
// after a restart), default upload limits.
func EmbeddedConfig(dataDir string) *Config {
	c := DefaultConfig()
	c.Filename = "(embedded)"
	c.Listen = "127.0.0.1:0"
	c.Name = "This computer"
	c.Auth = AuthConfig{Type: "none"}
	c.Storage = StorageConfig{Driver: "local", Dir: filepath.Join(dataDir, "files"), OnThisComputer: true}
	c.StateDir = filepath.Join(dataDir, "state")
	c.Upload.MaxFiles = 0 // one person on their own machine: no count limit
	c.Upload.MaxFileSize = 0
	c.Limits.RequestsPerSecond = 500
	c.Limits.Burst = 1000
	return c
}

// StartEmbedded starts the in-process backend and returns once it accepts
// connections. Uploaded files land under dataDir/files/<key>. ctx bounds the
// start only; stop the backend with Close.
func StartEmbedded(ctx context.Context, dataDir string, logger *slog.Logger, opts ...Option) (*Embedded, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if dataDir == "" {
		return nil, errors.New("backend: embedded backend needs a data dir")
	}
	cfg := EmbeddedConfig(dataDir)
	if err := cfg.validate(nil); err != nil {
		return nil, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	if logger == nil {
		logger = slog.Default()
	}
	srv, err := New(cfg, append([]Option{WithLogger(logger), WithBearerToken(token)}, opts...)...)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("backend: embedded listener: %w", err)
	}
	e := &Embedded{URL: "http://" + l.Addr().String(), Token: token, srv: srv, done: make(chan error, 1)}
	srv.mu.Lock()
	srv.baseURL = e.URL
	srv.mu.Unlock()
	go func() { e.done <- srv.Serve(l) }()
	return e, nil
}

// Server returns the underlying server (for Handler or tests).
func (e *Embedded) Server() *Server { return e.srv }

// Close shuts the backend down, waiting for in-flight requests until ctx ends.
func (e *Embedded) Close(ctx context.Context) error {
	err := e.srv.Shutdown(ctx)
	select {
	case serr := <-e.done:
		if err == nil {
			err = serr
		}
	case <-time.After(5 * time.Second):
	}
	return err
}
