package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/upload"
)

// `ferry upload local:PATH` names this computer explicitly; progress on a
// stderr that is not a terminal comes as JSON lines.
func TestUploadLocalRemoteNameAndJSONProgress(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(src, []byte("hello ferry\n"), 0o644))

	var stdout, stderr bytes.Buffer
	code := run([]string{"upload", "--json", "local:" + src}, &stdout, &stderr)
	require.Equal(t, 0, code, "stderr: %s", stderr.String())
	var res upload.Result
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res))
	assert.Equal(t, "notes.txt", res.Name)
	assert.Equal(t, "local:"+src, res.Source)

	var states []string
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		var line progressLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), "not JSON: %s", sc.Text())
		assert.Equal(t, "notes.txt", line.Name)
		states = append(states, line.State)
	}
	assert.Equal(t, "queued", states[0])
	assert.Equal(t, "done", states[len(states)-1])
	assert.NotContains(t, strings.Join(states, ","), "failed")
}
