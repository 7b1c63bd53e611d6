package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/upload"
)

var pickCommand = command{
	Name: "pick", Args: "[--json] [--multiple] [--accept TYPES] [--source NAME]",
	Summary: "open the window as a file picker; print what was uploaded",
	Help: `
Opens Ferry's window as a file picker for another program, the way
zenity --file-selection does: when the person presses Upload and every file
is stored, it prints the uploaded files and exits 0; Cancel, Esc or closing
the window exits 1 with nothing on stdout.

  --json            print the uploaded files as a JSON array
                    (name, size, type, sha256, key, location, source)
  --multiple        allow choosing more than one file (and folders)
  --accept TYPES    comma-separated MIME types and extensions to offer,
                    e.g. image/*,.pdf
  --source NAME     the source to show first: local or a remote name`,
	Flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) int {
		asJSON := fs.Bool("json", false, "")
		multiple := fs.Bool("multiple", false, "")
		accept := fs.String("accept", "", "")
		source := fs.String("source", "", "")
		return func(ctx context.Context, e *env, args []string) int {
			return runPick(ctx, e, args, *asJSON, *multiple, *accept, *source)
		}
	},
}

// runPick opens the window as a picker for another program: when the
// person presses Upload and every upload finishes it prints the files (a
// JSON array with --json) and exits 0; Cancel or closing the window exits
// 1 with nothing on stdout.
func runPick(ctx context.Context, e *env, args []string, asJSON, multiple bool, accept, source string) int {
	if len(args) > 0 {
		fmt.Fprintln(e.Stderr, "ferry pick takes no arguments; see `ferry pick --help`")
		return ExitUsage
	}
	types, err := parseAccept(accept)
	if err != nil {
		fmt.Fprintf(e.Stderr, "ferry pick: %v\n", err)
		return ExitUsage
	}
	if source != "" && source != "local" {
		names, err := e.RemoteNames(ctx)
		if err != nil {
			fmt.Fprintf(e.Stderr, "ferry pick: %v\n", err)
			return ExitFailed
		}
		if !slices.Contains(names, source) {
			fmt.Fprintf(e.Stderr, "ferry pick: no source named %q (available: %s)\n", source, strings.Join(names, ", "))
			return ExitUsage
		}
	}
	var picked []upload.Result
	done := false
	pick := &app.Pick{Multiple: multiple, Accept: types, Source: source,
		Done:      func(p []upload.Result) { picked, done = p, true },
		Cancelled: func() {},
	}
	if err := e.openPicker(ctx, pick); err != nil {
		fmt.Fprintf(e.Stderr, "ferry pick: %v\n", err)
		return ExitFailed
	}
	if !done {
		return ExitFailed
	}
	if asJSON {
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(picked); err != nil {
			return ExitFailed
		}
		return ExitOK
	}
	for _, p := range picked {
		fmt.Fprintf(e.Stdout, "%s\t%s\n", p.Key, p.Name)
	}
	return ExitOK
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
