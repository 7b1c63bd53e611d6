// Command ferry-backend runs Ferry's reference upload backend:
//
//	ferry-backend --config backend.toml
//
// It serves discovery, scoped upload credentials and OAuth code exchange
// (see backend/README-config.md) and shuts down gracefully on SIGINT/SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ferry-app/ferry/backend"
)

// version is set with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ferry-backend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "path of backend.toml (required)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	logJSON := fs.Bool("log-json", false, "log as JSON lines instead of text")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "ferry-backend", version)
		return 0
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: ferry-backend --config FILE")
		return 2
	}
	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logJSON {
		h = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(h)
	cfg, err := backend.LoadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "ferry-backend:", err)
		return 1
	}
	srv, err := backend.New(cfg, backend.WithLogger(log))
	if err != nil {
		fmt.Fprintln(stderr, "ferry-backend:", err)
		return 1
	}
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		fmt.Fprintln(stderr, "ferry-backend:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	log.Info("ferry-backend listening", "addr", l.Addr().String(), "version", version,
		"storage", cfg.Storage.Driver, "auth", cfg.Auth.Type)
	select {
	case err := <-errc:
		if err != nil {
			fmt.Fprintln(stderr, "ferry-backend:", err)
			return 1
		}
		return 0
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintln(stderr, "ferry-backend: shutdown:", err)
		return 1
	}
	<-errc
	return 0
}
