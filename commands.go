package main

// The command line. Each subcommand lives in its own cmd_<name>.go file and
// registers itself with register() from an init function:
//
//	func init() {
//		register(&command{Name: "ls", Usage: "ls REMOTE:PATH [--json]",
//			Summary: "list a folder", Run: runLS})
//	}
//
// Run receives the shared environment (config, logger, backend connection,
// stdout/stderr) and the arguments after the command name; it returns the
// process exit status. Commands parse their own flags with flag.NewFlagSet.

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/ferry-app/ferry/internal/earlyinit"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

const appID = "io.ferry.app"

type command struct {
	Name    string
	Usage   string
	Summary string
	Run     func(ctx context.Context, env *Env, args []string) int
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.Name]; dup {
		panic("ferry: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

func main() {
	earlyinit.Restore()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	global, rest, err := parseGlobal(args)
	if err != nil {
		fmt.Fprintf(stderr, "ferry: %v\n", err)
		return 2
	}
	if global.version {
		fmt.Fprintf(stdout, "ferry %s\n", version)
		return 0
	}
	env := newEnv(stdout, stderr, global)
	defer env.Close()

	if len(rest) == 0 {
		if err := runGUI(ctx, env, guiOptions{}); err != nil {
			fmt.Fprintf(stderr, "ferry: %v\n", err)
			return 1
		}
		return 0
	}
	switch rest[0] {
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	c, ok := commands[rest[0]]
	if !ok {
		fmt.Fprintf(stderr, "ferry: unknown command %q\n\n", rest[0])
		usage(stderr)
		return 2
	}
	return c.Run(ctx, env, rest[1:])
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Ferry %s — pick files from your computer or cloud drives and upload them.\n\n", version)
	fmt.Fprintln(w, "Usage:\n  ferry [global flags]              open the window")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  ferry %-28s %s\n", c.Usage, c.Summary)
	}
	fmt.Fprintln(w, "  ferry --version\n\nGlobal flags (before the command):")
	fmt.Fprintln(w, "  --backend URL                    backend to use (https, or http on loopback)")
	fmt.Fprintln(w, "  --upload-concurrency N           files uploaded at once")
	fmt.Fprintln(w, "  --verbose                        log details to stderr (never secrets)")
}
