package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/internal/humanize"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/upload"
)

var lsCommand = command{
	Name: "ls", Args: "REMOTE:PATH [--json] [-a]",
	Summary: "list a folder (local: is this computer)",
	Help: `
Lists a folder of this computer (local:PATH) or of a signed-in or configured
source (REMOTE:PATH, or REMOTE@ACCOUNT:PATH when several accounts of it are
signed in). A file's path lists that file alone; local: alone lists the
usual places. Names are shown with control and bidi characters escaped.

  --json    one JSON object per entry (JSON Lines), in the source's order
  -a        include hidden files (this computer)

Examples:
  ferry ls local:~/Pictures
  ferry ls --json gdrive:/Reports/2026`,
	Flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) int {
		asJSON := fs.Bool("json", false, "")
		hidden := fs.Bool("a", false, "")
		return func(ctx context.Context, e *env, args []string) int { return runLS(ctx, e, args, *asJSON, *hidden) }
	},
}

// lsEntry is one line of `ferry ls --json`: the file object every --json
// output shares (name, size, type, source), plus what a listing knows.
type lsEntry struct {
	Name   string       `json:"name"`
	Size   int64        `json:"size"` // -1 when unknown
	Type   string       `json:"type,omitempty"`
	Source upload.Place `json:"source"`

	ID       string    `json:"id"`
	IsDir    bool      `json:"is_dir"`
	ModTime  time.Time `json:"mod_time,omitzero"`
	Revision string    `json:"revision,omitempty"`
	// Error says why a listed entry cannot be opened (permission, a link
	// leading out of the folder).
	Error string `json:"error,omitempty"`
}

func runLS(ctx context.Context, e *env, pos []string, asJSON, hidden bool) int {
	if len(pos) != 1 {
		fmt.Fprintln(e.Stderr, "usage: ferry ls REMOTE:PATH [--json] [-a]   (e.g. local:~/Documents, mycloud:/Photos)")
		return ExitUsage
	}
	remote, account, path, err := parseRemotePath(pos[0])
	if err != nil {
		fmt.Fprintf(e.Stderr, "ferry ls: %v\n", err)
		return ExitUsage
	}

	out := bufio.NewWriterSize(e.Stdout, 64<<10)
	defer out.Flush()
	printEntry := printText
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		provider := remote
		if account != "" {
			provider += "@" + account
		}
		printEntry = func(w io.Writer, ent providers.Entry) error {
			le := lsEntry{Name: ent.Name, Size: ent.Size, Type: ent.MIMEType, Source: upload.Place{Provider: provider, Path: ent.Path},
				ID: ent.ID, IsDir: ent.IsDir, ModTime: ent.ModTime, Revision: ent.Revision}
			if ent.Err != nil {
				le.Error = ent.Err.Error()
			}
			return enc.Encode(le)
		}
	}
	if err := listRemote(ctx, e.Session, remote, account, path, hidden, func(ent providers.Entry) error { return printEntry(out, ent) }, out.Flush); err != nil {
		out.Flush()
		fmt.Fprintf(e.Stderr, "ferry ls: %v\n", err)
		return ExitFailed
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(e.Stderr, "ferry ls: %v\n", err)
		return ExitFailed
	}
	return ExitOK
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
func listRemote(ctx context.Context, s *app.Session, remote, account, path string, hidden bool, emit func(providers.Entry) error, flush func() error) error {
	var (
		p   providers.Provider
		err error
	)
	switch {
	case remote == "local":
		p, path, err = s.OpenLocal(path, hidden)
	default:
		p, err = s.Open(ctx, remote, account)
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
