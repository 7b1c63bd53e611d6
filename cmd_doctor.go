package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

func init() {
	register(&command{Name: "doctor", Usage: "doctor", Summary: "show configuration and check the backend, keychain and browser", Run: runDoctor})
}

// doctorCheck is one line of `ferry doctor`'s checks. Other parts of Ferry
// (the vault, the browser opener) add theirs with addDoctorCheck.
type doctorCheck struct {
	Name string
	Run  func(ctx context.Context, env *Env) (ok bool, detail string)
}

var doctorChecks []doctorCheck

func addDoctorCheck(c doctorCheck) { doctorChecks = append(doctorChecks, c) }

func init() {
	addDoctorCheck(doctorCheck{Name: "backend", Run: checkBackend})
}

func runDoctor(ctx context.Context, env *Env, args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(env.Stderr, "ferry doctor takes no arguments")
		return 2
	}
	cfg, err := env.Config()
	if err != nil {
		fmt.Fprintf(env.Stdout, "Configuration: ERROR\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return 1
	}
	fmt.Fprintf(env.Stdout, "Ferry %s\n\nAdmin files:\n", version)
	for _, a := range cfg.AdminFiles() {
		state := "not present"
		if a.Found {
			state = "read"
		}
		if a.FromEnv {
			state += " (named by FERRY_ADMIN_CONFIG: adds to the platform file, cannot override it)"
		}
		fmt.Fprintf(env.Stdout, "  %s: %s\n", a.Path, state)
	}
	fmt.Fprintf(env.Stdout, "\nConfiguration (user file %s):\n", cfg.UserPath())
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
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
		fmt.Fprintf(env.Stdout, "  warning: %s\n", w)
	}

	fmt.Fprintln(env.Stdout, "\nChecks:")
	failed := 0
	for _, c := range doctorChecks {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		ok, detail := c.Run(cctx, env)
		cancel()
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			failed++
		}
		fmt.Fprintf(env.Stdout, "  [%s] %-10s %s\n", mark, c.Name, detail)
	}
	if failed > 0 {
		return 1
	}
	return 0
}

func checkBackend(ctx context.Context, env *Env) (bool, string) {
	conn, err := env.Backend(ctx)
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
