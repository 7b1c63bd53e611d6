package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferry-app/ferry/auth"
)

var doctorCommand = command{
	Name: "doctor", Args: "",
	Summary: "show configuration and check the backend, keychain and browser",
	Help: `
Prints every configuration key, its effective value and where it came from
(default, backend discovery, admin file, user file, environment, flag; keys
the administrator locked are marked), then checks that the upload service
answers, the keychain holds Ferry's vault key, and sign-in links can open
in a browser. The exit status is 1 if a check fails.`,
	Flags: func(*flag.FlagSet) func(context.Context, *env, []string) int { return runDoctor },
}

// doctorCheck is one line of the checks `ferry doctor` prints.
type doctorCheck struct {
	Name string
	Run  func(ctx context.Context, e *env) (ok bool, detail string)
}

// doctorChecks are the checks, in the order they print.
var doctorChecks = []doctorCheck{
	{Name: "backend", Run: checkBackend},
	{Name: "keychain", Run: checkKeychain},
	{Name: "browser", Run: checkBrowser},
}

// checkBrowser says how sign-in links would open, without opening one.
func checkBrowser(context.Context, *env) (bool, string) {
	how, err := auth.DescribeOpener()
	if err != nil {
		return false, err.Error()
	}
	return true, "sign-in links open with " + how
}

func runDoctor(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(e.Stderr, "ferry doctor takes no arguments")
		return ExitUsage
	}
	cfg, err := e.Config()
	if err != nil {
		fmt.Fprintf(e.Stdout, "Configuration: ERROR\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return ExitFailed
	}
	fmt.Fprintf(e.Stdout, "Ferry %s\n\nAdmin files:\n", e.version)
	for _, a := range cfg.AdminFiles() {
		state := "not present"
		if a.Found {
			state = "read"
		}
		if a.FromEnv {
			state += " (named by FERRY_ADMIN_CONFIG: adds to the platform file, cannot override it)"
		}
		fmt.Fprintf(e.Stdout, "  %s: %s\n", a.Path, state)
	}
	fmt.Fprintf(e.Stdout, "\nConfiguration (user file %s):\n", cfg.UserPath())
	tw := tabwriter.NewWriter(e.Stdout, 2, 4, 2, ' ', 0)
	for _, e := range cfg.Entries() {
		v := e.Value
		if e.Key == "backend" && v == "" {
			v = "(embedded local backend on 127.0.0.1)"
		}
		lock := ""
		if e.Locked {
			lock = "  [locked]"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s%s\n", e.Key, v, e.Source, lock)
	}
	tw.Flush()
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(e.Stdout, "  warning: %s\n", w)
	}

	fmt.Fprintln(e.Stdout, "\nChecks:")
	failed := 0
	for _, c := range doctorChecks {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		ok, detail := c.Run(cctx, e)
		cancel()
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			failed++
		}
		fmt.Fprintf(e.Stdout, "  [%s] %-10s %s\n", mark, c.Name, detail)
	}
	if failed > 0 {
		return ExitFailed
	}
	return ExitOK
}

func checkBackend(ctx context.Context, e *env) (bool, string) {
	conn, err := e.Backend(ctx)
	if err != nil {
		return false, err.Error()
	}
	d := conn.Discovery
	where := conn.Client.BaseURL()
	if conn.Embedded {
		where = "embedded on " + where
	}
	return true, fmt.Sprintf("%q at %s: contract v%d, auth %s, upload %s", d.Name, where, d.Version, d.Auth.Type, d.Upload.Protocol)
}
