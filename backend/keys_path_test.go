package backend

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeysKeepRelativePaths is issue 20 item 4: a file uploaded from inside
// a folder is stored under its relative path (trip/day1/a.jpg), and no
// name climbs out of the key's prefix.
func TestKeysKeepRelativePaths(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]string{
		"trip/day1/a.jpg":      "/trip/day1/a.jpg",
		`trip\day1\a.jpg`:      "/trip/day1/a.jpg",
		"../../etc/passwd":     "/etc/passwd",
		"a/./b//c.txt":         "/a/b/c.txt",
		"/abs/x.txt":           "/abs/x.txt",
		"..hidden/.env":        "/hidden/env",
		"photo.jpg":            "/photo.jpg",
		"q?/<x>/\u202Efdp.exe": "/q_/_x_/fdp.exe",
	}
	for in, suffix := range cases {
		key, err := objectKey("{user}/{yyyy}/{mm}/{uuid}/{filename}", "ann", in, now)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(key, "ann/2026/06/"), "%q → %q", in, key)
		assert.True(t, strings.HasSuffix(key, suffix), "%q → %q", in, key)
		assert.Len(t, strings.Split(key, "/"), 4+strings.Count(suffix, "/"), "%q → %q", in, key)
		assert.NoError(t, checkKey(key), "%q → %q", in, key)
	}
	deep := strings.Repeat("d/", 40) + "f.txt"
	key, err := objectKey("{user}/{uuid}/{filename}", "ann", deep, now)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(key, "/f.txt"))
	assert.LessOrEqual(t, strings.Count(key, "/"), 2+maxPathSegments)
	assert.NoError(t, checkKey(key))
}
