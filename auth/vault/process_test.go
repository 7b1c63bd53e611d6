package vault

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// Some tests re-run this test binary as a helper process (a second Ferry,
// or one in a different D-Bus environment). TestMain dispatches on
// FERRY_VAULT_HELPER; the helper prints one JSON result line on stdout.
const helperEnv = "FERRY_VAULT_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	os.Exit(m.Run())
}

type helperResult struct {
	Persistent bool   `json:"persistent"`
	Reason     string `json:"reason"`
	Status     int    `json:"status,omitempty"`
	Access     string `json:"access,omitempty"`
	Err        string `json:"err,omitempty"`
	Millis     int64  `json:"millis"`
}

func runHelper(mode string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	timeout, _ := time.ParseDuration(os.Getenv("FERRY_VAULT_KEYCHAIN_TIMEOUT"))
	opts := Options{Path: os.Getenv("FERRY_VAULT_PATH"), AppID: os.Getenv("FERRY_VAULT_APPID"), KeychainTimeout: timeout}
	start := time.Now()
	var res helperResult
	var err error
	switch mode {
	case "open":
		v := Open(ctx, opts)
		res.Persistent, res.Reason = v.Persistent(), v.Reason()
	case "locked":
		res, err = helperLocked(ctx, opts)
	case "refresh":
		res, err = helperRefresh(ctx, opts)
	default:
		err = fmt.Errorf("unknown helper mode %q", mode)
	}
	if err != nil {
		res.Err = err.Error()
	}
	res.Millis = time.Since(start).Milliseconds()
	json.NewEncoder(os.Stdout).Encode(res)
	return 0
}

// helperLocked runs in its own keyring session: it saves a sign-in, locks
// the login collection over the Secret Service API, and opens the vault
// again as a restarted Ferry would.
func helperLocked(ctx context.Context, opts Options) (helperResult, error) {
	v := Open(ctx, opts)
	if !v.Persistent() {
		return helperResult{}, fmt.Errorf("keyring session not usable: %s", v.Reason())
	}
	if err := v.Put(ctx, Account{Provider: "gdrive", ID: "1"}, &oauth2.Token{AccessToken: "a", RefreshToken: "r"}); err != nil {
		return helperResult{}, err
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return helperResult{}, err
	}
	defer conn.Close()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err = conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").CallWithContext(ctx,
		"org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{"/org/freedesktop/secrets/collection/login"}).Store(&locked, &prompt)
	if err != nil {
		return helperResult{}, fmt.Errorf("lock: %w", err)
	}
	if len(locked) != 1 || prompt != "/" {
		return helperResult{}, fmt.Errorf("lock: locked %v, prompt %v", locked, prompt)
	}
	v2 := Open(ctx, opts)
	res := helperResult{Persistent: v2.Persistent(), Reason: v2.Reason()}
	// The locked keychain must not cost the saved sign-in.
	if _, err := os.Stat(opts.Path); err != nil {
		return res, fmt.Errorf("vault file gone after opening with a locked keychain: %w", err)
	}
	return res, nil
}

// helperRefresh is one of two Ferry processes that refresh the same expired
// account at once. It says "ready", waits for "go" on stdin, then uses the
// account against the protected API.
func helperRefresh(ctx context.Context, opts Options) (helperResult, error) {
	v := Open(ctx, opts)
	res := helperResult{Persistent: v.Persistent(), Reason: v.Reason()}
	fmt.Println("ready")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "go" {
		return res, fmt.Errorf("no go signal: %q %v", line, err)
	}
	base := os.Getenv("FERRY_VAULT_TOKEN_SERVER")
	cfg := &oauth2.Config{ClientID: "ferry-test", Endpoint: oauth2.Endpoint{TokenURL: base + "/token", AuthStyle: oauth2.AuthStyleInParams}}
	ts := v.TokenSource(ctx, "box", "shared", ConfigRefresher(cfg))
	tok, err := ts.Token()
	if err != nil {
		return res, err
	}
	res.Access = tok.AccessToken
	res.Status, err = callAPI(ctx, base+"/api", ts)
	return res, err
}

// helper starts this binary as a helper process.
func helper(ctx context.Context, t *testing.T, mode string, env map[string]string, wrap ...string) *exec.Cmd {
	t.Helper()
	args := append(wrap, os.Args[0])
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// runHelperProcess runs a helper to completion and returns its result. A
// helper that hangs is killed when ctx ends, failing the test.
func runHelperProcess(ctx context.Context, t *testing.T, mode string, env map[string]string, wrap ...string) helperResult {
	t.Helper()
	cmd := helper(ctx, t, mode, env, wrap...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, ctx.Err(), "helper %s did not finish in time; stderr:\n%s", mode, stderr.String())
	require.NoError(t, err, "helper %s; stderr:\n%s", mode, stderr.String())
	return parseResult(t, string(out), stderr.String())
}

func parseResult(t *testing.T, out, stderr string) helperResult {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var res helperResult
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &res), "helper output %q; stderr:\n%s", out, stderr)
	return res
}
