package testenv

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// UppyBundle returns the path of the real Uppy 6 bundled for a browser page
// (window.Uppy, window.AwsS3), installing it first with
// scripts/uppy-test-deps.sh (npm ci from the pinned lock file into bin/uppy).
// Missing node/npm fail the test with the command that installs them.
func UppyBundle(t testing.TB) string {
	t.Helper()
	root := RepoRoot(t)
	cmd := exec.Command(filepath.Join(root, "scripts", "uppy-test-deps.sh"))
	var stderr Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("testenv: installing Uppy (scripts/uppy-test-deps.sh): %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}
