// Package cli is Ferry's command line: every command, parsed from one
// literal table (commands), each with hand-written help. It drives the
// application layer (internal/app) and, for `ferry` alone and `ferry pick`,
// the window that main injects — so this package builds without cgo.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ferry-app/ferry/config"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/internal/instance"
)

// Exit statuses, the same for every command.
const (
	ExitOK      = 0 // everything asked for was done
	ExitFailed  = 1 // something failed (a file not uploaded, a sign-in refused, a window cancelled)
	ExitUsage   = 2 // the command line was wrong; nothing was done
	exitSummary = "Exit status: 0 done, 1 something failed (the message says what), 2 the command line was wrong."
)

// Window opens Ferry's window for s as show asks and returns when it
// closes. main injects it; a build without a window passes nil.
type Window func(ctx context.Context, s *app.Session, show app.Show) error

// Options are what main gives the command line.
type Options struct {
	Version string
	Window  Window
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
}

// env is what a command runs with.
type env struct {
	*app.Session
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	window         Window
	version        string
}

// command is one row of the command table.
type command struct {
	Name    string
	Args    string // the synopsis after the name
	Summary string // one line for `ferry --help`
	Help    string // the rest of `ferry NAME --help`: what it does, then its flags
	Flags   func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) int
}

// commands is the one table of Ferry's commands, in the order help lists them.
var commands = []command{
	lsCommand,
	uploadCommand,
	pickCommand,
	loginCommand,
	logoutCommand,
	accountsCommand,
	doctorCommand,
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.Name == name {
			return c, true
		}
	}
	return command{}, false
}

// Main runs a command line and returns the exit status; SIGINT and SIGTERM
// cancel the command's context.
func Main(args []string, o Options) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, o)
}

// Run runs a command line with ctx and returns the exit status.
func Run(ctx context.Context, args []string, o Options) int {
	if o.Stdin == nil {
		o.Stdin = strings.NewReader("")
	}
	g, rest, err := parseGlobal(args)
	if err != nil {
		fmt.Fprintf(o.Stderr, "ferry: %v\n", err)
		fmt.Fprintln(o.Stderr, "See `ferry --help`.")
		return ExitUsage
	}
	if g.version {
		fmt.Fprintf(o.Stdout, "ferry %s\n", o.Version)
		return ExitOK
	}
	if g.help {
		usage(o.Stdout, o.Version)
		return ExitOK
	}
	level := slog.LevelWarn
	if g.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(o.Stderr, &slog.HandlerOptions{Level: level}))
	s := app.New(app.Options{Version: o.Version, Flags: g.config, Log: log, Warnings: o.Stderr})
	defer s.Close()
	e := &env{Session: s, Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr, window: o.Window, version: o.Version}

	if files, ok := pathArgs(rest); ok {
		return e.runWindow(ctx, files)
	}
	if rest[0] == "help" {
		if len(rest) > 1 {
			if c, ok := lookup(rest[1]); ok {
				commandHelp(o.Stdout, c)
				return ExitOK
			}
		}
		usage(o.Stdout, o.Version)
		return ExitOK
	}
	c, ok := lookup(rest[0])
	if !ok {
		fmt.Fprintf(o.Stderr, "ferry: unknown command %q\n\n", rest[0])
		usage(o.Stderr, o.Version)
		return ExitUsage
	}
	return c.run(ctx, e, rest[1:])
}

// run parses the command's flags — before or after its arguments — and
// runs it. A global flag placed after the command is refused with a
// message saying where it goes.
func (c command) run(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	body := c.Flags(fs)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				commandHelp(e.Stdout, c)
				return ExitOK
			}
			fmt.Fprintf(e.Stderr, "ferry %s: %v\n", c.Name, misplacedGlobal(err))
			fmt.Fprintf(e.Stderr, "Usage: ferry %s %s   (see `ferry %s --help`)\n", c.Name, c.Args, c.Name)
			return ExitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return body(ctx, e, pos)
}

// misplacedGlobal explains an unknown flag that is a global one.
func misplacedGlobal(err error) error {
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, "flag provided but not defined: -")
	if !ok {
		return err
	}
	name = strings.TrimPrefix(name, "-")
	g := flag.NewFlagSet("ferry", flag.ContinueOnError)
	var gf globalFlags
	gf.bind(g)
	if g.Lookup(name) != nil {
		return fmt.Errorf("--%s is a global flag: put it before the command (ferry --%s … COMMAND)", name, name)
	}
	return fmt.Errorf("unknown flag --%s", name)
}

type globalFlags struct {
	version, verbose, help bool
	config                 *config.Flags // configuration keys as flags (--backend, --upload-concurrency…)
}

func (g *globalFlags) bind(fs *flag.FlagSet) {
	fs.BoolVar(&g.version, "version", false, "")
	fs.BoolVar(&g.verbose, "verbose", false, "")
	g.config = config.BindFlags(fs)
}

// parseGlobal reads the global flags that come before a command name: every
// configuration key as a flag (config.BindFlags), plus --version/--verbose.
func parseGlobal(args []string) (globalFlags, []string, error) {
	var g globalFlags
	fs := flag.NewFlagSet("ferry", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	g.bind(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			g.help = true
			return g, nil, nil
		}
		return g, nil, err
	}
	return g, fs.Args(), nil
}

func usage(w io.Writer, version string) {
	fmt.Fprintf(w, "Ferry %s — pick files from your computer or cloud drives and upload them.\n\n", version)
	fmt.Fprintf(w, "Usage:\n  ferry %-38s %s\n", "[global flags] [PATH…]", "open the window (adding PATHs to upload)")
	for _, c := range commands {
		synopsis := strings.TrimSpace(c.Name + " " + c.Args)
		if len(synopsis) > 38 {
			fmt.Fprintf(w, "  ferry %s\n  %-44s %s\n", synopsis, "", c.Summary)
		} else {
			fmt.Fprintf(w, "  ferry %-38s %s\n", synopsis, c.Summary)
		}
	}
	fmt.Fprintf(w, "  ferry %-38s %s\n", "help COMMAND", "more about one command (or ferry COMMAND --help)")
	fmt.Fprintln(w, "  ferry --version")
	fmt.Fprintln(w, "\nGlobal flags (before the command):")
	fmt.Fprintln(w, "  --backend URL                    backend to use (https, or http on loopback)")
	fmt.Fprintln(w, "  --upload-concurrency N           files uploaded at once")
	fmt.Fprintln(w, "  --verbose                        log details to stderr (never secrets)")
	fmt.Fprintln(w, "\n"+exitSummary)
}

func commandHelp(w io.Writer, c command) {
	fmt.Fprintf(w, "Usage: ferry [global flags] %s %s\n\n%s\n\n%s\n", c.Name, c.Args, strings.TrimSpace(c.Help), exitSummary)
}

// pathArgs reports a command line that is no command but only existing
// files and folders (`ferry PATH…`, the desktop's "Open with Ferry"), with
// their absolute paths; none at all opens the window too.
func pathArgs(args []string) ([]string, bool) {
	var abs []string
	for _, a := range args {
		if _, isCommand := lookup(a); isCommand {
			return nil, false
		}
		if _, err := os.Stat(a); err != nil {
			return nil, false
		}
		p, err := filepath.Abs(a)
		if err != nil {
			return nil, false
		}
		abs = append(abs, p)
	}
	return abs, true
}

// runWindow opens the window with files to add — or, when this person's
// Ferry already runs, hands that window the files and brings it to the
// front, so there is one window and one queue.
func (e *env) runWindow(ctx context.Context, files []string) int {
	if e.window == nil {
		fmt.Fprintf(e.Stderr, "ferry: %v\n", errNoWindow)
		return ExitFailed
	}
	show := app.Show{Files: files}
	srv, err := instance.Claim(ctx, instance.DefaultPath(), instance.Request{Files: files})
	switch {
	case errors.Is(err, instance.ErrRunning):
		e.Log.Info("handed over to the running Ferry", "files", len(files))
		return ExitOK
	case err != nil:
		// Still open a window: two queues are better than none.
		e.Log.Warn("another Ferry window cannot be told apart from this one", "err", err)
	default:
		defer srv.Close()
		show.Requests = srv.Requests()
	}
	if err := e.window(ctx, e.Session, show); err != nil {
		fmt.Fprintf(e.Stderr, "ferry: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}

// openPicker opens the window as a picker: always a window of its own.
func (e *env) openPicker(ctx context.Context, pick *app.Pick) error {
	if e.window == nil {
		return errNoWindow
	}
	return e.window(ctx, e.Session, app.Show{Pick: pick})
}

var errNoWindow = errors.New("this build of ferry has no window; use a subcommand (see `ferry --help`)")
