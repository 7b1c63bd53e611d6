package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ferry-app/ferry/internal/humanize"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/local"
	_ "github.com/ferry-app/ferry/providers/webdav" // registers the webdav kind
)

func init() {
	register(&command{Name: "ls", Usage: "ls REMOTE:PATH [--json] [-a]",
		Summary: "list a folder (local: is this computer)", Run: runLS})
	providers.Version = version
}

// lsEntry is one line of `ferry ls --json`.
type lsEntry struct {
	providers.Entry
	// Error says why a listed entry cannot be opened (permission, a link
	// leading out of the folder).
	Error string `json:"error,omitempty"`
}

func runLS(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("ls", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per entry (JSON Lines), in the source's order")
	hidden := fs.Bool("a", false, "include hidden files (this computer)")
	// Flags may come before or after REMOTE:PATH.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.Stderr, "usage: ferry ls REMOTE:PATH [--json] [-a]   (e.g. local:~/Documents, mycloud:/Photos)")
		return 2
	}
	remote, account, path, err := parseRemotePath(pos[0])
	if err != nil {
		fmt.Fprintf(env.Stderr, "ferry ls: %v\n", err)
		return 2
	}

	out := bufio.NewWriterSize(env.Stdout, 64<<10)
	defer out.Flush()
	printEntry := printText
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		printEntry = func(w io.Writer, e providers.Entry) error {
			le := lsEntry{Entry: e}
			if e.Err != nil {
				le.Error = e.Err.Error()
			}
			return enc.Encode(le)
		}
	}
	if err := listRemote(ctx, env, remote, account, path, *hidden, func(e providers.Entry) error { return printEntry(out, e) }, out.Flush); err != nil {
		out.Flush()
		fmt.Fprintf(env.Stderr, "ferry ls: %v\n", err)
		return 1
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(env.Stderr, "ferry ls: %v\n", err)
		return 1
	}
	return 0
}

// parseRemotePath splits "remote[@account]:path".
func parseRemotePath(s string) (remote, account, path string, err error) {
	remote, path, ok := strings.Cut(s, ":")
	if !ok || remote == "" {
		return "", "", "", fmt.Errorf("%q is not REMOTE:PATH (this computer is local:, e.g. local:%s)", s, s)
	}
	remote, account, _ = strings.Cut(remote, "@")
	return remote, account, path, nil
}

// listRemote resolves path on the remote and emits the folder's entries
// page by page (flush after each), or the single entry a file path names.
func listRemote(ctx context.Context, env *Env, remote, account, path string, hidden bool, emit func(providers.Entry) error, flush func() error) error {
	var (
		p   providers.Provider
		err error
	)
	switch {
	case remote == "local":
		p, path, err = openLocal(env, path, hidden)
	default:
		p, err = env.OpenRemote(ctx, remote, account)
	}
	if err != nil {
		return err
	}
	if c, ok := p.(io.Closer); ok {
		defer c.Close()
	}
	if remote == "local" && path == "" {
		roots, err := p.Roots(ctx)
		if err != nil {
			return err
		}
		for _, r := range roots {
			if err := emit(r); err != nil {
				return err
			}
		}
		return nil
	}
	e, err := providers.ResolvePath(ctx, p, path)
	if err != nil {
		return err
	}
	if !e.IsDir {
		return emit(e)
	}
	token := ""
	for {
		page, err := p.List(ctx, e.ID, token)
		if err != nil {
			return err
		}
		for _, e := range page.Entries {
			if err := emit(e); err != nil {
				return err
			}
		}
		if err := flush(); err != nil {
			return err
		}
		if token = page.NextPageToken; token == "" {
			return nil
		}
	}
}

// configuredWithoutSignIn reports a remote the configuration files define
// completely and that needs no browser sign-in (webdav): listing it needs
// neither backend discovery (which may start the embedded backend) nor the
// vault.
func configuredWithoutSignIn(env *Env, remote string) bool {
	cfg, err := env.Config()
	if err != nil {
		return false
	}
	pc, ok := cfg.Providers[remote]
	if !ok {
		return false
	}
	k, ok := providers.LookupKind(pc.Type)
	return ok && k.SignIn == nil && pc.Type != "local"
}

func openConfigured(ctx context.Context, env *Env, remote string) (providers.Provider, error) {
	cfg, err := env.Config()
	if err != nil {
		return nil, err
	}
	pc := cfg.Providers[remote]
	k, _ := providers.LookupKind(pc.Type)
	deps := providers.Deps{Logger: env.Log}
	if pc.Type == "webdav" {
		if err := env.webdavDeps(ctx, remote, "", &deps); err != nil {
			return nil, err
		}
	}
	return k.New(ctx, providers.Settings{Name: remote, Type: pc.Type, URL: pc.URL}, deps)
}

// openLocal makes the folder named on the command line the root that
// listing stays in (symlinks are not followed out of it). "" lists the
// places; "~" is the home folder; relative paths start at the working
// folder.
func openLocal(env *Env, path string, hidden bool) (providers.Provider, string, error) {
	if cfg, err := env.Config(); err == nil && cfg.UI.ShowHidden {
		hidden = true
	}
	if path == "" {
		p, err := local.New(local.Options{ShowHidden: hidden})
		return p, "", err
	}
	if path == "~" || strings.HasPrefix(path, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, "", err
		}
		path = filepath.Join(home, path[1:])
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", err
	}
	root := abs
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, "", fmt.Errorf("%s: %w", abs, providers.ErrNotFound)
	case err != nil:
		return nil, "", err
	case !fi.IsDir():
		root = filepath.Dir(abs)
	}
	p, err := local.New(local.Options{Places: []local.Place{{Path: root}}, ShowHidden: hidden})
	return p, abs, err
}

// printText writes "d  size  modified  name" with names made safe for a
// terminal.
func printText(w io.Writer, e providers.Entry) error {
	kind, size := "-", humanize.Bytes(e.Size)
	if e.IsDir {
		kind = "d"
		if e.Size < 0 {
			size = ""
		}
	}
	if e.Err != nil {
		kind = "!"
	}
	mod := ""
	if !e.ModTime.IsZero() {
		mod = e.ModTime.Local().Format(time.DateTime[:16])
	}
	line := fmt.Sprintf("%s %10s  %-16s  %s", kind, size, mod, safeName(e.Name))
	if e.IsDir {
		line += "/"
	}
	if e.Err != nil {
		line += "  (" + safeName(e.Err.Error()) + ")"
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

// safeName shows control characters, bidi overrides and invalid UTF-8 as
// escapes, so a name cannot rewrite the terminal or disguise itself
// ("\u202Egpj.exe").
func safeName(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u200B' || r == '\\':
			if r < 0x80 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04X`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
