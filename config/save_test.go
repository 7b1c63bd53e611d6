package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSetUserRoundTrip(t *testing.T) {
	user := `# my settings
backend = "https://a.example" # work

[upload]
# fewer at home
concurrency = 2

[providers.nas]
type = "webdav"
url = "https://nas.example/dav"
`
	f := newFixture(t, "", user)
	c, _ := f.load(t)

	require.NoError(t, c.SetUser("upload.concurrency", "8"))
	assert.Equal(t, 8, c.Upload.Concurrency)
	assert.Equal(t, "user file "+f.user+":6", c.Source("upload.concurrency").String())
	require.NoError(t, c.SetUser("upload.part_concurrency", "3"))
	require.NoError(t, c.SetUser("ui.theme", "dark"))
	require.NoError(t, c.SetUser("ui.show_hidden", "true"))
	require.NoError(t, c.SetUser("backend", ""))
	require.NoError(t, c.SetUser("providers.nas.url", "https://nas2.example/dav"))
	require.NoError(t, c.SetUser("providers.nas.ports", "8080, 8081"))
	require.NoError(t, c.SetUser("upload.allowed_types", "image/*,.pdf"))
	require.NoError(t, c.SetUser("upload.multipart_threshold", "64MiB"))
	require.NoError(t, c.SetUserAll(map[string]string{
		"providers.acme.type": "webdav",
		"providers.acme.url":  "https://cloud.acme.example/dav/",
	}))
	require.NoError(t, c.SetUser("backend", "http://127.0.0.1:8080"))

	data, err := os.ReadFile(f.user)
	require.NoError(t, err)
	assert.Equal(t, `# my settings
backend = 'http://127.0.0.1:8080'

[upload]
# fewer at home
concurrency = 8
part_concurrency = 3
allowed_types = ['image/*', '.pdf']
multipart_threshold = 67108864

[providers.nas]
type = "webdav"
url = 'https://nas2.example/dav'
ports = [8080, 8081]

[ui]
theme = 'dark'
show_hidden = true

[providers.acme]
type = 'webdav'
url = 'https://cloud.acme.example/dav/'
`, string(data))
	if runtime.GOOS != "windows" {
		st, err := os.Stat(f.user)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	}

	// What SetUser left in memory is what a fresh Load reads.
	fresh, _ := f.load(t)
	assert.Equal(t, fresh.Entries(), c.Entries())
	assert.Equal(t, fresh.Providers, c.Providers)
	assert.Equal(t, "http://127.0.0.1:8080", fresh.Backend)
	assert.Equal(t, []int{8080, 8081}, fresh.Providers["nas"].Ports)

	// No temporary files are left behind.
	ents, err := os.ReadDir(filepath.Dir(f.user))
	require.NoError(t, err)
	assert.Len(t, ents, 1)
}

func TestSetUserCreatesFile(t *testing.T) {
	f := newFixture(t, "", "")
	c, _ := f.load(t)
	require.NoError(t, c.SetUser("ui.language", "de"))
	require.NoError(t, c.SetUser("backend", "https://uploads.acme.example"))
	data, err := os.ReadFile(f.user)
	require.NoError(t, err)
	assert.Equal(t, "backend = 'https://uploads.acme.example'\n\n[ui]\nlanguage = 'de'\n", string(data))
	if runtime.GOOS != "windows" {
		st, err := os.Stat(filepath.Dir(f.user))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	}
	fresh, _ := f.load(t)
	assert.Equal(t, "de", fresh.UI.Language)
	assert.Equal(t, "user file "+f.user+":1", fresh.Source("backend").String())
}

func TestSetUserTopLevelGoesBeforeTables(t *testing.T) {
	f := newFixture(t, "", "# only tables\n[ui]\ntheme = \"dark\"\n")
	c, _ := f.load(t)
	require.NoError(t, c.SetUser("backend", "https://a.example"))
	data, err := os.ReadFile(f.user)
	require.NoError(t, err)
	assert.Equal(t, "# only tables\nbackend = 'https://a.example'\n\n[ui]\ntheme = \"dark\"\n", string(data))
}

func TestSetUserInlineTable(t *testing.T) {
	f := newFixture(t, "", "upload = { concurrency = 2 }\n")
	c, _ := f.load(t)
	require.NoError(t, c.SetUser("upload.concurrency", "5"))
	require.NoError(t, c.SetUser("upload.part_concurrency", "6"))
	fresh, _ := f.load(t)
	assert.Equal(t, 5, fresh.Upload.Concurrency)
	assert.Equal(t, 6, fresh.Upload.PartConcurrency)
}

func TestSetUserRefusals(t *testing.T) {
	admin := "locked = [\"backend\", \"providers\"]\nbackend = \"https://uploads.acme.example\"\n"
	user := "# keep me\n[ui]\ntheme = \"light\"\n"
	f := newFixture(t, admin, user)
	c, _ := f.load(t)
	unchanged := func() {
		t.Helper()
		data, err := os.ReadFile(f.user)
		require.NoError(t, err)
		assert.Equal(t, user, string(data))
	}

	err := c.SetUser("backend", "https://mine.example")
	require.ErrorIs(t, err, ErrLocked)
	var le *LockedError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "backend", le.Key)
	assert.Equal(t, f.admin, le.By.Path)
	assert.Equal(t, "backend: locked by the administrator ("+f.admin+")", err.Error())
	require.ErrorIs(t, c.SetUser("providers.nas.type", "local"), ErrLocked)
	unchanged()

	err = c.SetUser("upload.concurrency", "0")
	assert.EqualError(t, err, f.user+": upload.concurrency: must be between 1 and 32 (got 0)")
	assert.False(t, errors.Is(err, ErrLocked))
	assert.EqualError(t, c.SetUser("ui.colour", "red"), f.user+": ui.colour: unknown key")
	assert.EqualError(t, c.SetUser("ui.theme", "blue"), f.user+`: ui.theme: must be one of system, light, dark (got "blue")`)
	unchanged()
	assert.Equal(t, "light", c.UI.Theme)
	assert.Equal(t, "https://uploads.acme.example", c.Backend)
}

func TestSetUserIncompleteProviderWritesNothing(t *testing.T) {
	f := newFixture(t, "", "")
	c, _ := f.load(t)
	err := c.SetUser("providers.new.url", "https://dav.example/")
	assert.EqualError(t, err, f.user+":1: providers.new.type: required: one of local, webdav, gdrive, dropbox, onedrive, box")
	_, statErr := os.Stat(f.user)
	assert.ErrorIs(t, statErr, os.ErrNotExist)
	assert.Empty(t, c.Providers)
}

func TestSetUserUnderEnvOverride(t *testing.T) {
	f := newFixture(t, "", "")
	f.env = []string{"FERRY_UPLOAD_CONCURRENCY=9"}
	c, _ := f.load(t)
	require.NoError(t, c.SetUser("upload.concurrency", "3"))
	assert.Equal(t, 9, c.Upload.Concurrency, "the environment still wins")
	assert.Equal(t, "env FERRY_UPLOAD_CONCURRENCY", c.Source("upload.concurrency").String())
	f.env = nil
	fresh, _ := f.load(t)
	assert.Equal(t, 3, fresh.Upload.Concurrency)
}
