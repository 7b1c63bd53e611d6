// Package testenv finds or builds the real servers and programs Ferry's tests
// run against: versitygw and tusd (built from the pinned tools/go.mod), Debian's
// chromium, and the Secret Service session. Missing prerequisites fail the
// test with the command that installs them; nothing here ever skips, because a
// skipped test proves nothing in CI.
package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// RepoRoot returns the module root (the directory holding go.mod and tools/).
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testenv: cannot locate source file")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var tools = map[string]string{
	"versitygw": "github.com/versity/versitygw/cmd/versitygw",
	"tusd":      "github.com/tus/tusd/v2/cmd/tusd",
}

var buildMu sync.Mutex

// Tool returns the path of a pinned test server binary (versitygw, tusd),
// building it into bin/ from tools/go.mod the first time. Builds are
// serialised across test processes with a file lock.
func Tool(t testing.TB, name string) string {
	t.Helper()
	pkg, ok := tools[name]
	if !ok {
		t.Fatalf("testenv: unknown tool %q", name)
	}
	root := RepoRoot(t)
	bin := filepath.Join(root, "bin", name)
	buildMu.Lock()
	defer buildMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	lock := flock.New(bin + ".lock")
	if err := lock.Lock(); err != nil {
		t.Fatalf("testenv: lock %s: %v", bin, err)
	}
	defer lock.Unlock()
	if fi, err := os.Stat(bin); err == nil && fi.Mode()&0o111 != 0 {
		return bin
	}
	cmd := exec.Command("go", "build", "-modfile="+filepath.Join(root, "tools", "go.mod"), "-o", bin, pkg)
	cmd.Dir = filepath.Join(root, "tools")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testenv: building %s (run `make tools`): %v\n%s", name, err, out)
	}
	return bin
}

// Chromium returns the path of Debian's chromium, failing the test with the
// install command when it is missing.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("FERRY_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("testenv: chromium not found; run `make deps` (apt-get install chromium)")
	return ""
}

// ChromiumArgs are the flags every test starts headless Chromium with: no
// sandbox (tests run as root in CI), no network chatter to the outside.
func ChromiumArgs(userDataDir string) []string {
	return []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--user-data-dir=" + userDataDir,
	}
}

// RequireSecretService fails the test unless a D-Bus session bus is present
// (make test runs the suite under dbus-run-session with gnome-keyring unlocked).
func RequireSecretService(t testing.TB) {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("testenv: no D-Bus session; run the tests with `make test` (dbus-run-session + gnome-keyring)")
	}
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitPort waits until addr accepts TCP connections or the timeout passes.
func WaitPort(t testing.TB, addr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal(fmt.Sprintf("testenv: %s did not start listening within %s", addr, timeout))
}
