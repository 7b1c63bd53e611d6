package main

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

	"golang.org/x/oauth2"
	"golang.org/x/term"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/providers"
)

func init() {
	register(&command{Name: "login", Usage: "login [PROVIDER]",
		Summary: "sign in in your browser (no PROVIDER: the upload service)", Run: runLogin})
	register(&command{Name: "logout", Usage: "logout ACCOUNT",
		Summary: "sign out and revoke (ACCOUNT: PROVIDER, PROVIDER:ID or an e-mail)", Run: runLogout})
}

// loginStdin is where pasted redirect URLs are read from (tests replace it).
var loginStdin io.Reader = os.Stdin

func runLogin(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	noBrowser := fs.Bool("no-browser", false, "do not open a browser; open the printed link yourself")
	timeout := fs.Duration("timeout", auth.DefaultTimeout, "how long to wait for the browser")
	user := fs.String("user", "", "WebDAV: sign in with this login name and a password (asked for, or one line on stdin)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintln(env.Stderr, "usage: ferry login [--no-browser] [--user NAME] [PROVIDER]")
		return 2
	}
	name := BackendRemote
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}

	v := env.Vault(ctx)
	if !v.Persistent() {
		fmt.Fprintf(env.Stderr, "ferry: This sign-in won't be remembered after Ferry exits: %s\n", v.Reason())
	}

	if *user != "" {
		return loginWithPassword(ctx, env, name, *user)
	}

	opener := auth.SystemOpener()
	if *noBrowser {
		opener = func(context.Context, string) error {
			return fmt.Errorf("%w (--no-browser)", auth.ErrNoBrowser)
		}
	}
	opts := auth.Options{
		Opener:  opener,
		Timeout: *timeout,
		Paste:   readLines(loginStdin),
		OnURL: func(u string) {
			fmt.Fprintf(env.Stderr, "Sign in to %s in your browser. If it does not open, open this link:\n\n  %s\n\n", title(name), u)
			fmt.Fprintln(env.Stderr, "If the browser runs on another machine and ends on a page that cannot be reached,")
			fmt.Fprintln(env.Stderr, "copy that page's address, paste it here and press Enter.")
		},
		OnBrowserError: func(err error) {
			fmt.Fprintf(env.Stderr, "ferry: %v — open the link above yourself.\n", err)
		},
		OnPasteError: func(err error) {
			fmt.Fprintf(env.Stderr, "ferry: %v. Paste the address again.\n", err)
		},
	}
	acct, err := env.SignInRemote(ctx, name, opts)
	switch {
	case err == nil:
	case errors.Is(err, auth.ErrCancelled):
		fmt.Fprintln(env.Stderr, "ferry login: sign-in cancelled")
		return 1
	case errors.Is(err, auth.ErrTimeout):
		fmt.Fprintf(env.Stderr, "ferry login: nobody came back from the browser within %s; run `ferry login` again\n", *timeout)
		return 1
	default:
		fmt.Fprintf(env.Stderr, "ferry login: %v\n", err)
		return 1
	}
	who := acct.Name()
	if acct.Email != "" && acct.Email != who {
		who += " <" + acct.Email + ">"
	}
	fmt.Fprintf(env.Stdout, "Signed in to %s as %s.\n", title(name), who)
	return 0
}

// title is how a remote is called in messages.
func title(name string) string {
	if name == BackendRemote {
		return "the upload service"
	}
	if k, ok := providers.LookupKind(name); ok {
		return k.Title // the remote is named after its kind: "Dropbox"
	}
	return name
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

func runLogout(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("logout", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "usage: ferry logout ACCOUNT   (see `ferry accounts`)")
		return 2
	}
	v := env.Vault(ctx)
	acct, err := findAccount(ctx, v, fs.Arg(0))
	if err != nil {
		fmt.Fprintf(env.Stderr, "ferry logout: %v\n", err)
		return 1
	}
	revoke, why := env.revoker(ctx, acct.Provider)
	if why != nil {
		fmt.Fprintf(env.Stderr, "ferry: cannot reach %s to revoke the sign-in (%v); removing it here only\n", title(acct.Provider), why)
	}
	err = v.SignOut(ctx, acct.Provider, acct.ID, revoke)
	if err == nil && env.isWebDAV(ctx, acct.Provider) {
		fmt.Fprintf(env.Stderr, "ferry: %s keeps accepting this password until it is changed there (a Nextcloud app password: Settings → Security → Devices & sessions).\n", acct.Provider)
	}
	switch {
	case err == nil:
		fmt.Fprintf(env.Stdout, "Signed out of %s account %s.\n", title(acct.Provider), acct.Name())
		return 0
	case errors.Is(err, vault.ErrRevokeFailed):
		fmt.Fprintf(env.Stderr, "ferry logout: %v\n", err)
		return 1
	default:
		fmt.Fprintf(env.Stderr, "ferry logout: %v\n", err)
		return 1
	}
}

// revoker is the revocation call for a remote's accounts; nil with a reason
// when its sign-in configuration is unavailable. A server without a
// revocation endpoint is not a failure: the grant simply stays until it
// expires, and the local copy goes.
func (e *Env) revoker(ctx context.Context, name string) (vault.Revoker, error) {
	var (
		c   *auth.Config
		err error
	)
	if name == BackendRemote {
		var conn *BackendConn
		if conn, err = e.Backend(ctx); err == nil {
			c, err = BackendAuthConfig(conn.Discovery, e.Log)
		}
	} else {
		if e.isWebDAV(ctx, name) {
			// A WebDAV password cannot be revoked from here; the local copy goes.
			return func(context.Context, *oauth2.Token) error { return nil }, nil
		}
		var s providers.Settings
		c, s, err = e.AuthConfig(ctx, name)
		if k, ok := providers.LookupKind(s.Type); err == nil && ok && k.Revoke != nil && c.Exchange == api.ExchangePKCE {
			return func(ctx context.Context, tok *oauth2.Token) error {
				rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				return k.Revoke(rctx, s, tok)
			}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, tok *oauth2.Token) error {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		err := c.Revoke(rctx, tok)
		if errors.Is(err, auth.ErrRevokeUnsupported) {
			e.Log.Info("sign-out: provider has no revocation endpoint", "provider", name)
			return nil
		}
		return err
	}, nil
}

// findAccount resolves what a person typed: PROVIDER (its only account),
// PROVIDER:ID, PROVIDER@EMAIL-OR-NAME, or an ID, e-mail or name matching
// exactly one account.
func findAccount(ctx context.Context, v *vault.Vault, spec string) (vault.Account, error) {
	accts, err := v.Accounts(ctx)
	if err != nil {
		return vault.Account{}, err
	}
	matches := func(a vault.Account, who string) bool {
		return who == "" || a.ID == who || strings.EqualFold(a.Email, who) || a.Name() == who
	}
	var found []vault.Account
	for _, a := range accts {
		switch {
		case a.Provider == spec:
			found = append(found, a)
		case strings.HasPrefix(spec, a.Provider+":") && matches(a, strings.TrimPrefix(spec, a.Provider+":")),
			strings.HasPrefix(spec, a.Provider+"@") && matches(a, strings.TrimPrefix(spec, a.Provider+"@")):
			found = append(found, a)
		}
	}
	if len(found) == 0 {
		for _, a := range accts {
			if a.Key() == spec || matches(a, spec) {
				found = append(found, a)
			}
		}
	}
	switch len(found) {
	case 0:
		return vault.Account{}, fmt.Errorf("no signed-in account %q (see `ferry accounts`): %w", spec, vault.ErrUnknownAccount)
	case 1:
		return found[0], nil
	}
	var names []string
	for _, a := range found {
		names = append(names, a.Provider+":"+a.ID)
	}
	return vault.Account{}, fmt.Errorf("%q matches several accounts (%s); name one as PROVIDER:ID", spec, strings.Join(names, ", "))
}

// loginWithPassword signs in to a plain WebDAV server: the password is
// read from the terminal without echo, or as one line from stdin.
func loginWithPassword(ctx context.Context, env *Env, name, user string) int {
	var password string
	if f, ok := loginStdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(env.Stderr, "Password for %s at %s: ", user, name)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			fmt.Fprintf(env.Stderr, "ferry login: reading the password: %v\n", err)
			return 1
		}
		password = string(b)
	} else {
		line, err := bufio.NewReader(loginStdin).ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(env.Stderr, "ferry login: no password on stdin")
			return 1
		}
		password = strings.TrimRight(line, "\r\n")
	}
	acct, err := env.SignInWebDAVPassword(ctx, name, user, password)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ferry login: %v\n", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "Signed in to %s as %s.\n", title(name), acct.Name())
	return 0
}
