package config

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The audit's bypass: FERRY_ADMIN_CONFIG=/some/empty.toml FERRY_BACKEND=…
// used to replace the platform admin file, and with it its lock. The
// platform file always applies; the one the variable names only adds.
func TestAdminFileFromEnvCannotWeakenPlatformLocks(t *testing.T) {
	f := newFixture(t, "backend = \"https://uploads.acme.example\"\nlocked = [\"backend\"]\n", "")
	extra := filepath.Join(t.TempDir(), "empty.toml")
	writeFile(t, extra, "backend = \"https://attacker.example\"\nlocked = []\n")
	f.env = []string{EnvAdminConfig + "=" + extra, "FERRY_BACKEND=https://attacker.example"}
	c, w := f.load(t)

	assert.Equal(t, "https://uploads.acme.example", c.Backend)
	assert.True(t, c.Locked("backend"))
	lockedAt := "locked by the administrator in " + f.admin + ":2; ignored"
	var got []string
	for _, x := range w {
		got = append(got, x.String())
	}
	assert.Equal(t, []string{
		"admin file " + extra + ":1: backend: " + lockedAt,
		"env FERRY_BACKEND: backend: " + lockedAt,
	}, got)
	assert.Equal(t, []AdminFile{{Path: f.admin, Found: true}, {Path: extra, FromEnv: true, Found: true}}, c.AdminFiles())
}

// The platform path is read whatever the variable says (Options.AdminPath
// stands in for it in the other tests).
func TestPlatformAdminFileAlwaysRead(t *testing.T) {
	extra := filepath.Join(t.TempDir(), "extra.toml")
	c, _, err := Load(Options{UserPath: filepath.Join(t.TempDir(), "u.toml"), Env: []string{EnvAdminConfig + "=" + extra}})
	require.NoError(t, err)
	assert.Equal(t, DefaultAdminPath(), c.AdminPath())
	files := c.AdminFiles()
	require.Len(t, files, 2)
	assert.Equal(t, DefaultAdminPath(), files[0].Path)
	assert.Equal(t, AdminFile{Path: extra, FromEnv: true}, files[1], "named but missing")
}

// The second admin file may add settings and locks that the platform file
// leaves open; where both set a key, the platform file wins.
func TestAdminFileFromEnvAddsLocks(t *testing.T) {
	f := newFixture(t, "[upload]\npart_concurrency = 3\n", "[upload]\nconcurrency = 9\n")
	extra := filepath.Join(t.TempDir(), "site.toml")
	writeFile(t, extra, "locked = [\"upload.concurrency\"]\n[upload]\nconcurrency = 2\npart_concurrency = 5\n")
	f.env = []string{EnvAdminConfig + "=" + extra}
	c, w := f.load(t)

	assert.Equal(t, 2, c.Upload.Concurrency, "locked by the second admin file")
	assert.Equal(t, 3, c.Upload.PartConcurrency, "the platform file wins over the second one")
	require.Len(t, w, 1)
	assert.Equal(t, "user file "+f.user+":2: upload.concurrency: locked by the administrator in "+extra+":1; ignored", w[0].String())
	assert.Equal(t, "admin file "+extra+":3", c.Source("upload.concurrency").String())
}

// Authorization servers and API roots receive codes and tokens: plain http
// is refused for them except on a loopback address, as for the backend.
func TestProviderURLsMustUseHTTPS(t *testing.T) {
	for _, key := range []string{"auth_url", "api_url"} {
		f := newFixture(t, "", "[providers.box]\n"+key+" = \"http://login.example/oauth\"\n")
		_, _, err := Load(f.opts())
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), "providers.box."+key)
		assert.Contains(t, err.Error(), "https")

		f = newFixture(t, "", "[providers.box]\n"+key+" = \"http://127.0.0.1:8080/oauth\"\n")
		_, _, err = Load(f.opts())
		assert.NoError(t, err, key)
	}
}
