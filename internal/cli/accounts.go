package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/ferry-app/ferry/auth/vault"
)

var accountsCommand = command{
	Name: "accounts", Args: "[--json]",
	Summary: "list signed-in accounts and their status",
	Help: `
Lists the accounts signed in through Ferry and whether each still works.
Nothing secret is printed. When no keychain is reachable, sign-ins last only
until Ferry quits, and this says so.

  --json    print the accounts as a JSON array (provider, id, name, email,
            status, reason)`,
	Flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) int {
		asJSON := fs.Bool("json", false, "")
		return func(ctx context.Context, e *env, args []string) int { return runAccounts(ctx, e, args, *asJSON) }
	},
}

// accountJSON is one line of `ferry accounts --json`; it never holds a secret.
type accountJSON struct {
	Provider string `json:"provider"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email,omitempty"`
	Status   string `json:"status"`
	Reason   string `json:"reason,omitempty"`
}

func runAccounts(ctx context.Context, e *env, args []string, asJSON bool) int {
	if len(args) > 0 {
		fmt.Fprintln(e.Stderr, "ferry accounts takes no arguments")
		return ExitUsage
	}
	v := e.Vault(ctx)
	if !v.Persistent() {
		fmt.Fprintf(e.Stderr, "ferry: Sign-ins won't be remembered: %s\n", v.Reason())
	}
	if n := v.Notice(); n != "" {
		fmt.Fprintf(e.Stderr, "ferry: %s\n", n)
	}
	accts, err := v.Accounts(ctx)
	if err != nil {
		fmt.Fprintf(e.Stderr, "ferry accounts: %v\n", err)
		return ExitFailed
	}

	if asJSON {
		out := make([]accountJSON, 0, len(accts))
		for _, a := range accts {
			out = append(out, accountJSON{Provider: a.Provider, ID: a.ID, Name: a.Name(), Email: a.Email, Status: string(a.Status), Reason: a.StatusReason})
		}
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return ExitFailed
		}
		return ExitOK
	}
	if len(accts) == 0 {
		fmt.Fprintln(e.Stdout, "No accounts. Sign in with `ferry login PROVIDER`.")
		return ExitOK
	}
	tw := tabwriter.NewWriter(e.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tACCOUNT\tSTATUS")
	for _, a := range accts {
		name := a.Name()
		if a.Email != "" && a.Email != name {
			name += " <" + a.Email + ">"
		}
		status := "ok"
		if a.Status == vault.StatusNeedsSignIn {
			status = "needs sign-in"
			if a.StatusReason != "" {
				status += " (" + a.StatusReason + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Provider, name, status)
	}
	tw.Flush()
	return ExitOK
}

// checkKeychain is `ferry doctor`'s line for the token vault.
func checkKeychain(ctx context.Context, e *env) (bool, string) {
	v := e.Vault(ctx)
	if !v.Persistent() {
		return false, "Sign-ins won't be remembered: " + v.Reason()
	}
	accts, err := v.Accounts(ctx)
	if err != nil {
		return false, err.Error()
	}
	detail := fmt.Sprintf("key in the OS keychain; %d account(s) in %s", len(accts), v.Path())
	if n := v.Notice(); n != "" {
		detail += "; " + n
	}
	return true, detail
}
