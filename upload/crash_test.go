package upload

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/internal/testenv"
)

// buildFerry builds the ferry binary the way CI does without GL.
func buildFerry(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ferry")
	cmd := exec.Command("go", "build", "-tags", "ci", "-o", bin, ".")
	cmd.Dir = testenv.RepoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build -tags ci: %s", out)
	return bin
}

// TestKill9ThenSameCommandResumes kills `ferry upload` half way with SIGKILL,
// runs the same command again, and checks it finishes by sending exactly the
// parts the backend's part list lacked.
func TestKill9ThenSameCommandResumes(t *testing.T) {
	bin := buildFerry(t)
	var proxy *httpProxy
	r := newS3Rig(t, func(g *gateway) string {
		proxy = startHTTPProxy(t, g.Endpoint)
		return proxy.URL
	}, nil)
	proxy.throttle(48 << 20)
	home := t.TempDir()
	const size = 160 << 20 // 10 parts of 16 MiB (ferry's default part size)
	file, sum := writeRandomFile(t, home, "video.bin", size, 21)
	env := append(os.Environ(),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "FERRY_ADMIN_CONFIG="+filepath.Join(home, "no-admin.toml"),
		"FERRY_BACKEND="+r.be.URL)

	// First run: killed once at least four parts are stored.
	first := exec.Command(bin, "upload", "--json", file)
	first.Env = env
	var stderr1 bytes.Buffer
	first.Stderr = &stderr1
	require.NoError(t, first.Start())
	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	deadline := time.After(60 * time.Second)
wait:
	for {
		select {
		case err := <-exited:
			t.Fatalf("ferry upload ended before it was killed: %v\n%s", err, stderr1.String())
		case <-deadline:
			t.Fatalf("no progress: %s", stderr1.String())
		case <-time.After(20 * time.Millisecond):
			if len(proxy.partPuts(2)) >= 4 {
				break wait
			}
		}
	}
	require.NoError(t, first.Process.Kill()) // SIGKILL: no cleanup at all
	<-exited

	journalDir := filepath.Join(home, ".local", "share", "ferry", "uploads")
	j, err := OpenJournal(journalDir)
	require.NoError(t, err)
	pending, err := j.Pending()
	require.NoError(t, err)
	require.Len(t, pending, 1, "the journal survived the crash")
	ent := pending[0]
	assert.Equal(t, file, ent.LocalPath())
	journalBytes, err := os.ReadFile(filepath.Join(journalDir, mustOne(t, journalDir)))
	require.NoError(t, err)
	requireNoSecrets(t, string(journalBytes))

	// What the backend holds now. Parts cut off by the kill may be listed
	// at full length with garbage (versitygw keeps them): only parts whose
	// ETag is the MD5 of the right bytes count as stored.
	listed, err := r.client.ListParts(context.Background(), ent.ref())
	require.NoError(t, err)
	valid := map[int]bool{}
	for _, p := range listed {
		if partMD5(t, file, p.PartNumber, 16<<20) == strings.Trim(p.ETag, `"`) {
			valid[p.PartNumber] = true
		}
	}
	require.NotEmpty(t, valid)
	require.Less(t, len(valid), 10, "killed half way")
	beforePuts := len(proxy.seen())

	// Second run: the same command.
	second := exec.Command(bin, "--verbose", "upload", "--json", file)
	second.Env = env
	var stdout2, stderr2 bytes.Buffer
	second.Stdout, second.Stderr = &stdout2, &stderr2
	require.NoError(t, second.Run(), "second run: %s", stderr2.String())

	var res Result
	sc := bufio.NewScanner(&stdout2)
	require.True(t, sc.Scan())
	require.NoError(t, json.Unmarshal(sc.Bytes(), &res))
	assert.Equal(t, sum, res.SHA256, "whole-file hash carried across the crash")
	assert.Equal(t, ent.Key, res.Key, "the same multipart upload was completed")
	n, got := r.gw.objectSHA256(t, res.Key)
	assert.EqualValues(t, size, n)
	assert.Equal(t, sum, got, "byte-identical after kill -9 and resume")

	sent2 := map[int]int{}
	for _, rec := range proxy.seen()[beforePuts:] {
		if rec.Method == http.MethodPut && rec.Part != "" && rec.Status/100 == 2 {
			k, _ := strconv.Atoi(rec.Part)
			sent2[k]++
		}
	}
	for n := 1; n <= 10; n++ {
		if valid[n] {
			assert.Zero(t, sent2[n], "part %d was stored before the kill and not sent again", n)
		} else {
			assert.Equal(t, 1, sent2[n], "part %d sent exactly once by the second run", n)
		}
	}
	pending, err = j.Pending()
	require.NoError(t, err)
	assert.Empty(t, pending)
	assert.Zero(t, r.gw.pendingUploads(t))
	requireNoSecrets(t, stderr1.String(), stderr2.String())
	var lines int
	for _, l := range strings.Split(strings.TrimSpace(stderr2.String()), "\n") {
		var pl map[string]any
		if json.Unmarshal([]byte(l), &pl) == nil && pl["name"] == "video.bin" {
			lines++
		}
	}
	assert.Positive(t, lines, "progress as JSON lines on a stderr that is not a terminal")
}

func mustOne(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.Len(t, m, 1)
	return filepath.Base(m[0])
}

func partMD5(t *testing.T, file string, n int, ps int64) string {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	h := md5.New()
	_, err = io.Copy(h, io.NewSectionReader(f, int64(n-1)*ps, ps))
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}
