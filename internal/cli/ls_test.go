package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	xwebdav "golang.org/x/net/webdav"
)

func lsJSON(t *testing.T, args ...string) (map[string]lsEntryJSON, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"ls", "--json"}, args...), &stdout, &stderr)
	out := map[string]lsEntryJSON{}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e lsEntryJSON
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "line %q", sc.Text())
		out[e.Name] = e
	}
	return out, stderr.String(), code
}

// lsEntryJSON is what a script reads from `ferry ls --json`.
type lsEntryJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Source struct {
		Provider string `json:"provider"`
		Path     string `json:"path"`
	} `json:"source"`
	IsDir    bool   `json:"is_dir"`
	Size     int64  `json:"size"`
	MIMEType string `json:"type"`
	Revision string `json:"revision"`
	Error    string `json:"error"`
}

func TestLsLocal(t *testing.T) {
	isolate(t)
	base := t.TempDir()
	dir := filepath.Join(base, "pick")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "\u202Egpj.exe"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".hidden"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(base, "secret"), []byte("s"), 0o644))
	require.NoError(t, os.Symlink("../secret", filepath.Join(dir, "escape")))

	got, stderr, code := lsJSON(t, "local:"+dir)
	require.Equal(t, 0, code, stderr)
	require.Len(t, got, 4, "hidden files need -a")
	assert.EqualValues(t, 5, got["a.txt"].Size)
	assert.Equal(t, filepath.Join(dir, "a.txt"), got["a.txt"].ID)
	assert.True(t, got["sub"].IsDir)
	assert.Contains(t, got, "\u202Egpj.exe")
	assert.Contains(t, got["escape"].Error, "outside", "a link out of the listed folder is not followed")

	got, _, code = lsJSON(t, "-a", "local:"+dir)
	require.Equal(t, 0, code)
	assert.Contains(t, got, ".hidden")

	got, _, code = lsJSON(t, "local:"+filepath.Join(dir, "a.txt"))
	require.Equal(t, 0, code)
	require.Len(t, got, 1, "a file lists as itself")

	// Plain output makes hostile names visible.
	var stdout, errb bytes.Buffer
	require.Equal(t, 0, run([]string{"ls", "local:" + dir}, &stdout, &errb), errb.String())
	assert.Contains(t, stdout.String(), `\u202Egpj.exe`)
	assert.NotContains(t, stdout.String(), "\u202E")

	_, stderr, code = lsJSON(t, "local:"+filepath.Join(dir, "missing"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "not found")
}

func TestLsWebDAVRemote(t *testing.T) {
	home := isolate(t)
	fs := xwebdav.NewMemFS()
	ctx := context.Background()
	require.NoError(t, fs.Mkdir(ctx, "/Photos", 0o755))
	for i := range 1203 { // more than two pages of 500
		f, err := fs.OpenFile(ctx, fmt.Sprintf("/Photos/img-%04d.jpg", i), os.O_CREATE|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		f.Write([]byte("jpeg"))
		f.Close()
	}
	srv := httptest.NewServer(&xwebdav.Handler{Prefix: "/dav", FileSystem: fs, LockSystem: xwebdav.NewMemLS()})
	defer srv.Close()
	cfgDir := filepath.Join(home, ".config", "ferry")
	require.NoError(t, os.MkdirAll(cfgDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(cfgDir, "config.toml"),
		[]byte(fmt.Sprintf("[providers.nas]\ntype = \"webdav\"\nurl = %q\n", srv.URL+"/dav/")), 0o600))

	got, stderr, code := lsJSON(t, "nas:/Photos")
	require.Equal(t, 0, code, stderr)
	require.Len(t, got, 1203)
	e := got["img-0042.jpg"]
	assert.Equal(t, "/Photos/img-0042.jpg", e.ID)
	assert.EqualValues(t, 4, e.Size)
	assert.Equal(t, "image/jpeg", e.MIMEType)
	assert.NotEmpty(t, e.Revision)

	got, _, code = lsJSON(t, "nas:")
	require.Equal(t, 0, code)
	require.Len(t, got, 1)
	assert.True(t, got["Photos"].IsDir)

	_, stderr, code = lsJSON(t, "nas:/Nope")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "not found")

	_, stderr, code = lsJSON(t, "nothere:/x")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `no remote named "nothere"`)

	_, _, code = lsJSON(t)
	assert.Equal(t, 2, code)
}
