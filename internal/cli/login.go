package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/internal/app"
)

var loginCommand = command{
	Name: "login", Args: "[--no-browser] [--timeout D] [--user NAME] [PROVIDER]",
	Summary: "sign in in your browser (no PROVIDER: the upload service)",
	Help: `
Signs in to a source (gdrive, dropbox, onedrive, box, or a configured remote)
in your web browser and keeps the sign-in in Ferry's encrypted vault. Without
PROVIDER it signs in to the upload service's identity provider. The link is
printed too: open it yourself if no browser opens, and if the browser runs on
another machine, paste the address it ends on here.
A WebDAV server that is not Nextcloud signs in with --user and a password
(asked for without echo on a terminal, or one line on stdin).

  --no-browser    do not open a browser; open the printed link yourself
  --timeout D     how long to wait for the browser (default 5m0s)
  --user NAME     WebDAV: sign in with this login name and a password`,
	Flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) int {
		noBrowser := fs.Bool("no-browser", false, "")
		timeout := fs.Duration("timeout", auth.DefaultTimeout, "")
		user := fs.String("user", "", "")
		return func(ctx context.Context, e *env, args []string) int {
			return runLogin(ctx, e, args, *noBrowser, *timeout, *user)
		}
	},
}

var logoutCommand = command{
	Name: "logout", Args: "ACCOUNT",
	Summary: "sign out and revoke (ACCOUNT: PROVIDER, PROVIDER:ID or an e-mail)",
	Help: `
Revokes the sign-in where the provider can and removes it from Ferry's vault.
ACCOUNT is what ` + "`ferry accounts`" + ` lists: PROVIDER (its only account),
PROVIDER:ID, PROVIDER@EMAIL, or an e-mail or name that matches one account.
When the provider cannot be reached the sign-in is removed here only.`,
	Flags: func(*flag.FlagSet) func(context.Context, *env, []string) int { return runLogout },
}

func runLogin(ctx context.Context, e *env, args []string, noBrowser bool, timeout time.Duration, user string) int {
	if len(args) > 1 {
		fmt.Fprintln(e.Stderr, "usage: ferry login [--no-browser] [--user NAME] [PROVIDER]")
		return ExitUsage
	}
	name := app.BackendRemote
	if len(args) == 1 {
		name = args[0]
	}

	v := e.Vault(ctx)
	if !v.Persistent() {
		fmt.Fprintf(e.Stderr, "ferry: This sign-in won't be remembered after Ferry exits: %s\n", v.Reason())
	}

	if user != "" {
		return loginWithPassword(ctx, e, name, user)
	}

	opener := auth.SystemOpener()
	if noBrowser {
		opener = func(context.Context, string) error {
			return fmt.Errorf("%w (--no-browser)", auth.ErrNoBrowser)
		}
	}
	opts := auth.Options{
		Opener:  opener,
		Timeout: timeout,
		Paste:   readLines(e.Stdin),
		OnURL: func(u string) {
			fmt.Fprintf(e.Stderr, "Sign in to %s in your browser. If it does not open, open this link:\n\n  %s\n\n", e.Title(name), u)
			fmt.Fprintln(e.Stderr, "If the browser runs on another machine and ends on a page that cannot be reached,")
			fmt.Fprintln(e.Stderr, "copy that page's address, paste it here and press Enter.")
		},
		OnBrowserError: func(err error) {
			fmt.Fprintf(e.Stderr, "ferry: %v — open the link above yourself.\n", err)
		},
		OnPasteError: func(err error) {
			fmt.Fprintf(e.Stderr, "ferry: %v. Paste the address again.\n", err)
		},
	}
	acct, err := e.SignIn(ctx, name, opts)
	switch {
	case err == nil:
	case errors.Is(err, auth.ErrCancelled):
		fmt.Fprintln(e.Stderr, "ferry login: sign-in cancelled")
		return ExitFailed
	case errors.Is(err, auth.ErrTimeout):
		fmt.Fprintf(e.Stderr, "ferry login: nobody came back from the browser within %s; run `ferry login` again\n", timeout)
		return ExitFailed
	default:
		fmt.Fprintf(e.Stderr, "ferry login: %v\n", err)
		return ExitFailed
	}
	who := acct.Name()
	if acct.Email != "" && acct.Email != who {
		who += " <" + acct.Email + ">"
	}
	fmt.Fprintf(e.Stdout, "Signed in to %s as %s.\n", e.Title(name), who)
	return ExitOK
}

// readLines feeds non-empty lines of r into a channel, closed at EOF. The
// reader goroutine ends with the input (at process exit for a terminal).
func readLines(r io.Reader) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		for sc.Scan() {
			if s := strings.TrimSpace(sc.Text()); s != "" {
				ch <- s
			}
		}
	}()
	return ch
}

func runLogout(ctx context.Context, e *env, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(e.Stderr, "usage: ferry logout ACCOUNT   (see `ferry accounts`)")
		return ExitUsage
	}
	acct, err := e.FindAccount(ctx, args[0])
	if err != nil {
		fmt.Fprintf(e.Stderr, "ferry logout: %v\n", err)
		return ExitFailed
	}
	revoked, err := e.SignOut(ctx, acct.Provider, acct.ID)
	if err != nil {
		fmt.Fprintf(e.Stderr, "ferry logout: %v\n", err)
		return ExitFailed
	}
	if !revoked {
		fmt.Fprintf(e.Stderr, "ferry: could not reach %s to revoke the sign-in; it was removed here only\n", e.Title(acct.Provider))
	}
	if e.IsWebDAV(ctx, acct.Provider) {
		fmt.Fprintf(e.Stderr, "ferry: %s keeps accepting this password until it is changed there (a Nextcloud app password: Settings → Security → Devices & sessions).\n", acct.Provider)
	}
	fmt.Fprintf(e.Stdout, "Signed out of %s account %s.\n", e.Title(acct.Provider), acct.Name())
	return ExitOK
}

// loginWithPassword signs in to a plain WebDAV server: the password is
// read from the terminal without echo, or as one line from stdin.
func loginWithPassword(ctx context.Context, e *env, name, user string) int {
	var password string
	if f, ok := e.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(e.Stderr, "Password for %s at %s: ", user, name)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.Stderr)
		if err != nil {
			fmt.Fprintf(e.Stderr, "ferry login: reading the password: %v\n", err)
			return ExitFailed
		}
		password = string(b)
	} else {
		line, err := bufio.NewReader(e.Stdin).ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(e.Stderr, "ferry login: no password on stdin")
			return ExitFailed
		}
		password = strings.TrimRight(line, "\r\n")
	}
	acct, err := e.SignInWebDAVPassword(ctx, name, user, password)
	if err != nil {
		fmt.Fprintf(e.Stderr, "ferry login: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(e.Stdout, "Signed in to %s as %s.\n", e.Title(name), acct.Name())
	return ExitOK
}
