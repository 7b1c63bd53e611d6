package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/ferry-app/ferry/auth/vault"
)

func init() {
	register(&command{Name: "accounts", Usage: "accounts [--json]", Summary: "list signed-in accounts and their status", Run: runAccounts})
	addDoctorCheck(doctorCheck{Name: "keychain", Run: checkKeychain})
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

func runAccounts(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("accounts", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	asJSON := fs.Bool("json", false, "print the accounts as a JSON array")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(env.Stderr, "ferry accounts takes no arguments")
		return 2
	}
	v := env.Vault(ctx)
	if !v.Persistent() {
		fmt.Fprintf(env.Stderr, "ferry: Sign-ins won't be remembered: %s\n", v.Reason())
	}
	if n := v.Notice(); n != "" {
		fmt.Fprintf(env.Stderr, "ferry: %s\n", n)
	}
	accts, err := v.Accounts(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ferry accounts: %v\n", err)
		return 1
	}

	if *asJSON {
		out := make([]accountJSON, 0, len(accts))
		for _, a := range accts {
			out = append(out, accountJSON{Provider: a.Provider, ID: a.ID, Name: a.Name(), Email: a.Email, Status: string(a.Status), Reason: a.StatusReason})
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return 1
		}
		return 0
	}
	if len(accts) == 0 {
		fmt.Fprintln(env.Stdout, "No accounts. Sign in with `ferry login PROVIDER`.")
		return 0
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
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
	return 0
}

// checkKeychain is `ferry doctor`'s line for the token vault.
func checkKeychain(ctx context.Context, env *Env) (bool, string) {
	v := env.Vault(ctx)
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
