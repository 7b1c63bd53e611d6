package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/ferry-app/ferry/ui"
)

func init() {
	register(&command{Name: "pick", Usage: "pick --json [--multiple] [--accept TYPES] [--source NAME]",
		Summary: "open the window as a file picker; print what was uploaded", Run: runPick})
}

// runPick opens the window as a picker for another program: when the
// person presses Upload and every upload finishes it prints the files (a
// JSON array with --json) and exits 0; Cancel or closing the window exits
// 1 with nothing on stdout.
func runPick(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("pick", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	asJSON := fs.Bool("json", false, "print the uploaded files as a JSON array")
	multiple := fs.Bool("multiple", false, "allow choosing more than one file (and folders)")
	accept := fs.String("accept", "", "comma-separated MIME types and extensions to offer: image/*,.pdf")
	source := fs.String("source", "", "the source to show first: local or a remote name (see `ferry ls`)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(env.Stderr, "ferry pick takes no arguments; see `ferry help`")
		return 2
	}
	types, err := parseAccept(*accept)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ferry pick: %v\n", err)
		return 2
	}
	if *source != "" && *source != "local" {
		names, err := env.RemoteNames(ctx)
		if err != nil {
			fmt.Fprintf(env.Stderr, "ferry pick: %v\n", err)
			return 1
		}
		if !slices.Contains(names, *source) {
			fmt.Fprintf(env.Stderr, "ferry pick: no source named %q (available: %s)\n", *source, strings.Join(names, ", "))
			return 2
		}
	}
	var picked []ui.Picked
	done := false
	pick := &ui.Pick{Multiple: *multiple, Accept: types, Source: *source,
		Done:      func(p []ui.Picked) { picked, done = p, true },
		Cancelled: func() {},
	}
	if err := runGUI(ctx, env, guiOptions{pick: pick}); err != nil {
		fmt.Fprintf(env.Stderr, "ferry pick: %v\n", err)
		return 1
	}
	if !done {
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(picked); err != nil {
			return 1
		}
		return 0
	}
	for _, p := range picked {
		fmt.Fprintf(env.Stdout, "%s\t%s\n", p.Key, p.Name)
	}
	return 0
}

// parseAccept splits --accept into MIME types ("image/png", "image/*") and
// extensions (".pdf"), refusing anything else.
func parseAccept(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		switch {
		case t == "":
			continue
		case strings.HasPrefix(t, "."):
			if len(t) < 2 || strings.ContainsAny(t[1:], "./\\ *") {
				return nil, fmt.Errorf("--accept: %q is not an extension like .pdf", t)
			}
		case strings.Count(t, "/") == 1:
			major, minor, _ := strings.Cut(t, "/")
			if major == "" || minor == "" || strings.ContainsAny(major, "* ") || (strings.Contains(minor, "*") && minor != "*") {
				return nil, fmt.Errorf("--accept: %q is not a MIME type like image/png or image/*", t)
			}
		default:
			return nil, fmt.Errorf("--accept: %q is neither a MIME type (image/*) nor an extension (.pdf)", t)
		}
		out = append(out, t)
	}
	return out, nil
}
