package backend

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/internal/testenv"
)

// fence returns the first fenced block of lang in backend/README-config.md.
func fence(t *testing.T, lang string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "backend", "README-config.md"))
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```").FindStringSubmatch(string(data))
	require.NotNil(t, m, "no ```%s block in backend/README-config.md", lang)
	return m[1]
}

// The nginx example in the docs is the configuration the fleet test runs.
func TestFleetDocsShowTheTestedNginxConfig(t *testing.T) {
	doc := fence(t, "nginx")
	conf := nginxConfig("/x", "127.0.0.1:8080", []string{"127.0.0.1:8081", "127.0.0.1:8082", "127.0.0.1:8083"}, "")
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	assert.Contains(t, norm(conf), norm(doc))
}

func TestSystemdUnitVerifies(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Fatal("systemd-analyze not found: run scripts/install-deps.sh test")
	}
	dir := t.TempDir()
	bin := buildBackend(t)
	unit := strings.ReplaceAll(fence(t, "ini"), "/usr/local/bin/ferry-backend", bin)
	path := filepath.Join(dir, "ferry-backend.service")
	require.NoError(t, os.WriteFile(path, []byte(unit), 0o644))
	out, err := exec.Command("systemd-analyze", "verify", "--man=no", path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Empty(t, strings.TrimSpace(string(out)), "systemd-analyze warns")
}
