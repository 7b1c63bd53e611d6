package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOneFileObjectSchema: a script reading `ferry ls --json` and `ferry
// upload --json` sees the same file object for the same file — the same
// name, size, type and source ({provider, path}), with the same JSON types
// — so one parser serves both (ferry pick --json prints upload's objects).
func TestOneFileObjectSchema(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(file, []byte("hello ferry\n"), 0o644))

	var lsOut, upOut, stderr bytes.Buffer
	require.Equal(t, ExitOK, run([]string{"ls", "--json", "local:" + file}, &lsOut, &stderr), stderr.String())
	require.Equal(t, ExitOK, run([]string{"upload", "--json", file}, &upOut, &stderr), stderr.String())
	var listed, uploaded map[string]any
	require.NoError(t, json.Unmarshal(lsOut.Bytes(), &listed), lsOut.String())
	require.NoError(t, json.Unmarshal(upOut.Bytes(), &uploaded), upOut.String())

	for _, k := range []string{"name", "size", "type", "source"} {
		require.Contains(t, listed, k, "ls --json has %s", k)
		require.Contains(t, uploaded, k, "upload --json has %s", k)
		assert.Equal(t, fmt.Sprintf("%T", listed[k]), fmt.Sprintf("%T", uploaded[k]), "%s has one JSON type", k)
		assert.Equal(t, listed[k], uploaded[k], "%s is the same for the same file", k)
	}
	assert.Equal(t, map[string]any{"provider": "local", "path": file}, uploaded["source"])
}

// TestUploadOutputEscapesNames: a name with a bidi override or a control
// character cannot disguise itself or rewrite the terminal in `ferry
// upload`'s human output, as in `ferry ls`.
func TestUploadOutputEscapesNames(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "invoice\u202Efdp.exe")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	var stdout, stderr bytes.Buffer
	require.Equal(t, ExitOK, run([]string{"upload", file}, &stdout, &stderr), stderr.String())
	assert.Contains(t, stdout.String(), `uploaded invoice\u202Efdp.exe`)
	assert.NotContains(t, stdout.String(), "\u202E")
}
