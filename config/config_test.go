package config

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture is a pair of config files in a temporary directory and an
// environment that contains only what a test puts there.
type fixture struct {
	admin, user string
	env         []string
	flags       *Flags
	disc        *api.Discovery
}

func newFixture(t *testing.T, admin, user string) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{
		admin: filepath.Join(dir, "admin", "config.toml"),
		user:  filepath.Join(dir, "user", "ferry", "config.toml"),
		env:   []string{},
	}
	if admin != "" {
		writeFile(t, f.admin, admin)
	}
	if user != "" {
		writeFile(t, f.user, user)
	}
	return f
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func (f *fixture) opts() Options {
	return Options{AdminPath: f.admin, UserPath: f.user, Env: f.env, Flags: f.flags, Discovery: f.disc}
}

func (f *fixture) load(t *testing.T) (*Config, []Warning) {
	t.Helper()
	c, w, err := Load(f.opts())
	require.NoError(t, err)
	return c, w
}

func (f *fixture) loadErr(t *testing.T) string {
	t.Helper()
	c, _, err := Load(f.opts())
	require.Error(t, err)
	assert.Nil(t, c)
	return err.Error()
}

func entry(t *testing.T, c *Config, key string) Entry {
	t.Helper()
	for _, e := range c.Entries() {
		if e.Key == key {
			return e
		}
	}
	t.Fatalf("no entry %s", key)
	return Entry{}
}

func TestDefaults(t *testing.T) {
	f := newFixture(t, "", "")
	c, w := f.load(t)
	assert.Empty(t, w)
	assert.Equal(t, "", c.Backend)
	assert.Equal(t, Upload{Concurrency: 4, PartConcurrency: 4, MultipartThreshold: 100 << 20}, c.Upload)
	assert.Equal(t, UI{Theme: "system", Language: "system", ThumbnailCacheMB: 256}, c.UI)
	assert.Empty(t, c.Providers)
	for _, e := range c.Entries() {
		assert.Equal(t, "default", e.Source.String(), e.Key)
		assert.False(t, e.Locked, e.Key)
	}
	assert.Equal(t, "100MiB", entry(t, c, "upload.multipart_threshold").Value)
}

// TestPrecedence sets upload.max_file_size (a key every layer can set) in every
// subset of the layers: the strongest layer present must win, which covers
// every pair of layers.
func TestPrecedence(t *testing.T) {
	layers := []Layer{LayerDiscovery, LayerAdmin, LayerUser, LayerEnv, LayerFlag}
	for mask := 0; mask < 1<<len(layers); mask++ {
		var present []Layer
		for i, l := range layers {
			if mask&(1<<i) != 0 {
				present = append(present, l)
			}
		}
		t.Run(fmt.Sprint(present), func(t *testing.T) {
			f := newFixture(t, "", "")
			value := func(l Layer) int64 { return 100 + int64(l) }
			for _, l := range present {
				switch l {
				case LayerDiscovery:
					f.disc = &api.Discovery{Version: 1, Upload: api.UploadInfo{MaxFileSize: value(l)}}
				case LayerAdmin:
					writeFile(t, f.admin, fmt.Sprintf("# admin\n[upload]\nmax_file_size = %d\n", value(l)))
				case LayerUser:
					writeFile(t, f.user, fmt.Sprintf("upload.max_file_size = %d\n", value(l)))
				case LayerEnv:
					f.env = append(f.env, fmt.Sprintf("FERRY_UPLOAD_MAX_FILE_SIZE=%d", value(l)))
				case LayerFlag:
					fs := flag.NewFlagSet("ferry", flag.ContinueOnError)
					f.flags = BindFlags(fs)
					require.NoError(t, fs.Parse([]string{fmt.Sprintf("--upload-max-file-size=%d", value(l))}))
				}
			}
			c, w := f.load(t)
			assert.Empty(t, w)
			wantLayer, want := LayerDefault, int64(0)
			if len(present) > 0 {
				wantLayer = present[len(present)-1]
				want = value(wantLayer)
			}
			assert.Equal(t, want, c.Upload.MaxFileSize)
			src := c.Source("upload.max_file_size")
			assert.Equal(t, wantLayer, src.Layer)
			wantSrc := map[Layer]string{
				LayerDefault:   "default",
				LayerDiscovery: "discovery",
				LayerAdmin:     "admin file " + f.admin + ":3",
				LayerUser:      "user file " + f.user + ":1",
				LayerEnv:       "env FERRY_UPLOAD_MAX_FILE_SIZE",
				LayerFlag:      "flag --upload-max-file-size",
			}[wantLayer]
			assert.Equal(t, wantSrc, src.String())
			assert.Equal(t, wantSrc, entry(t, c, "upload.max_file_size").Source.String())
		})
	}
}

func TestLocking(t *testing.T) {
	admin := `backend = "https://uploads.acme.example"
locked = ["backend", "upload.concurrency", "ui"]
[upload]
concurrency = 2
`
	user := `backend = "https://evil.example"
[upload]
concurrency = 8
part_concurrency = 6
[ui]
theme = "dark"
`
	f := newFixture(t, admin, user)
	f.env = []string{"FERRY_BACKEND=http://127.0.0.1:1", "FERRY_UPLOAD_CONCURRENCY=9"}
	fs := flag.NewFlagSet("ferry", flag.ContinueOnError)
	f.flags = BindFlags(fs)
	require.NoError(t, fs.Parse([]string{"--upload-concurrency", "10", "--ui-language=de", "--upload-part-concurrency=7"}))

	c, warnings := f.load(t)
	assert.Equal(t, "https://uploads.acme.example", c.Backend)
	assert.Equal(t, 2, c.Upload.Concurrency)
	assert.Equal(t, 7, c.Upload.PartConcurrency, "unlocked keys still layer")
	assert.Equal(t, "system", c.UI.Theme, "a locked table locks its keys even when the admin left them at the default")
	assert.Equal(t, "system", c.UI.Language)

	lockedAt := "locked by the administrator in " + f.admin + ":2; ignored"
	var got []string
	for _, w := range warnings {
		got = append(got, w.String())
	}
	assert.Equal(t, []string{
		"user file " + f.user + ":1: backend: " + lockedAt,
		"user file " + f.user + ":3: upload.concurrency: " + lockedAt,
		"user file " + f.user + ":6: ui.theme: " + lockedAt,
		"env FERRY_BACKEND: backend: " + lockedAt,
		"env FERRY_UPLOAD_CONCURRENCY: upload.concurrency: " + lockedAt,
		"flag --upload-concurrency: upload.concurrency: " + lockedAt,
		"flag --ui-language: ui.language: " + lockedAt,
	}, got)
	assert.Equal(t, warnings, c.Warnings())

	e := entry(t, c, "backend")
	assert.True(t, e.Locked)
	assert.Equal(t, "admin file "+f.admin+":1", e.Source.String())
	e = entry(t, c, "ui.theme")
	assert.True(t, e.Locked)
	assert.Equal(t, "default", e.Source.String())
	assert.False(t, entry(t, c, "upload.part_concurrency").Locked)
	assert.True(t, c.Locked("ui.show_hidden"))
	assert.False(t, c.Locked("upload.part_concurrency"))
}

func TestLockedProviders(t *testing.T) {
	admin := `locked = ["providers"]
[providers.gdrive]
client_id = "admin-client"
`
	user := `[providers.gdrive]
client_id = "mine"
[providers.nas]
type = "webdav"
url = "https://nas.example/dav"
[providers.empty-local]
type = "local"
`
	f := newFixture(t, admin, user)
	c, warnings := f.load(t)
	require.Len(t, c.Providers, 1)
	assert.Equal(t, &Provider{Name: "gdrive", Type: "gdrive", ClientID: "admin-client"}, c.Providers["gdrive"])
	var keys []string
	for _, w := range warnings {
		keys = append(keys, w.Key)
	}
	assert.Equal(t, []string{"providers.nas", "providers.empty-local", "providers.gdrive.client_id", "providers.nas.type", "providers.nas.url", "providers.empty-local.type"}, keys)
}

func TestLockedInUserFileIsAnError(t *testing.T) {
	f := newFixture(t, "", "# mine\nlocked = [\"backend\"]\n")
	assert.Equal(t, f.user+":2: locked: only allowed in the admin file", f.loadErr(t))
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want string // after "<path>:"
	}{
		{"range", "# Acme\n\n\n\n\n[upload]\nconcurrency = 0\n", "7: upload.concurrency: must be between 1 and 32 (got 0)"},
		{"range high", "[upload]\npart_concurrency = 33", "2: upload.part_concurrency: must be between 1 and 32 (got 33)"},
		{"thumbnail range", "[ui]\nthumbnail_cache_mb = 10241\n", "2: ui.thumbnail_cache_mb: must be between 0 and 10240 (got 10241)"},
		{"unknown key", "[upload]\nconcurency = 3\n", "2: upload.concurency: unknown key"},
		{"unknown table", "backend = \"https://a.example\"\n[uplod]\nconcurrency = 3\n", "2: uplod: unknown key"},
		{"unknown top level", "\n\ncolour = \"red\"\n", "3: colour: unknown key"},
		{"wrong type", "[upload]\nconcurrency = \"4\"\n", "2: upload.concurrency: must be an integer (got a string)"},
		{"float", "[upload]\nconcurrency = 4.5\n", "2: upload.concurrency: must be an integer (got a float)"},
		{"bool type", "[ui]\nshow_hidden = \"yes\"\n", "2: ui.show_hidden: must be true or false (got a string)"},
		{"enum", "[ui]\n\ntheme = \"blue\"\n", "3: ui.theme: must be one of system, light, dark (got \"blue\")"},
		{"language", "ui.language = \"fr\"\n", "1: ui.language: must be one of system, en, de (got \"fr\")"},
		{"http backend", "backend = \"http://example.com\"\n", "1: backend: must use https (plain http is only allowed on a loopback address: 127.0.0.1, ::1 or localhost)"},
		{"ftp backend", "backend = \"ftp://example.com\"\n", "1: backend: must use https, not \"ftp\""},
		{"table as value", "upload = 3\n", "1: upload: must be a table (got an integer)"},
		{"value as table", "[backend]\nx = 1\n", "1: backend: must be a string (got a table)"},
		{"dotted", "# x\n\nupload.concurrency = 40\n", "3: upload.concurrency: must be between 1 and 32 (got 40)"},
		{"inline table", "\nupload = { part_concurrency = 2, concurrency = 0 }\n", "2: upload.concurrency: must be between 1 and 32 (got 0)"},
		{"quoted dotted key", "\"upload.concurrency\" = 4\n", "1: \"upload.concurrency\": unknown key"},
		{"size", "[upload]\nmultipart_threshold = \"lots\"\n", "2: upload.multipart_threshold: must be a size such as 104857600 or \"100MiB\" (got \"lots\")"},
		{"size range", "[upload]\nmultipart_threshold = \"10GiB\"\n", "2: upload.multipart_threshold: must be between 1MiB and 5GiB (got 10GiB)"},
		{"allowed types", "[upload]\nallowed_types = [\"image/*\", \"pdf\"]\n", "2: upload.allowed_types: must be a MIME type such as image/* or an extension such as .pdf (got \"pdf\")"},
		{"allowed type with a comma", "[upload]\nallowed_types = [\".a,b\"]\n", "2: upload.allowed_types: must be a MIME type such as image/* or an extension such as .pdf (got \".a,b\")"},
		{"list type", "[upload]\nallowed_types = \"image/*\"\n", "2: upload.allowed_types: must be an array of strings (got a string)"},
		{"provider type", "[providers.x]\ntype = \"ftp\"\n", "2: providers.x.type: must be one of local, webdav, gdrive, dropbox, onedrive, box (got \"ftp\")"},
		{"provider type missing", "\n[providers.acme]\nurl = \"https://a.example/dav\"\n", "2: providers.acme.type: required: one of local, webdav, gdrive, dropbox, onedrive, box"},
		{"webdav url missing", "[providers.acme]\ntype = \"webdav\"\n", "1: providers.acme.url: required for type webdav"},
		{"provider url", "[providers.acme]\ntype = \"webdav\"\nurl = \"dav.example\"\n", "3: providers.acme.url: must be an absolute https URL such as https://uploads.example.org"},
		{"ports", "[providers.dropbox]\nports = [53682, 70000]\n", "2: providers.dropbox.ports: ports must be between 1 and 65535 (got 70000)"},
		{"ports type", "[providers.dropbox]\nports = [\"53682\"]\n", "2: providers.dropbox.ports: must be an array of integers (got an array)"},
		{"provider unknown field", "[providers.box]\nsecret = \"x\"\n", "2: providers.box.secret: unknown key"},
		{"provider name", "[providers.\"a b\"]\ntype = \"local\"\n", "1: providers.\"a b\": unknown key"},
		{"array of tables", "[[upload]]\nconcurrency = 1\n", "1: upload: must be a table (got an array)"},
		{"date", "backend = 1979-05-27\n", "1: backend: must be a string (got a date or time)"},
		{"exchange", "[providers.box]\nexchange = \"implicit\"\n", "2: providers.box.exchange: must be one of pkce, backend (got \"implicit\")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.file, "")
			assert.Equal(t, f.admin+":"+tt.want, f.loadErr(t))
			f = newFixture(t, "", tt.file)
			assert.Equal(t, f.user+":"+tt.want, f.loadErr(t))
		})
	}
}

func TestErrorsAreAllReportedInLineOrder(t *testing.T) {
	f := newFixture(t, "", "[upload]\nconcurrency = 0\nbogus = 1\n[ui]\ntheme = \"x\"\n")
	f.env = []string{"FERRY_UI_LANGUAGE=fr"}
	msg := f.loadErr(t)
	assert.Equal(t, strings.Join([]string{
		f.user + ":2: upload.concurrency: must be between 1 and 32 (got 0)",
		f.user + ":3: upload.bogus: unknown key",
		f.user + ":5: ui.theme: must be one of system, light, dark (got \"x\")",
		"env FERRY_UI_LANGUAGE: ui.language: must be one of system, en, de (got \"fr\")",
	}, "\n"), msg)

	_, _, err := Load(f.opts())
	var ce *Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, LayerUser, ce.Source.Layer)
	assert.Equal(t, 2, ce.Source.Line)
	assert.Equal(t, "upload.concurrency", ce.Key)
}

func TestSyntaxErrors(t *testing.T) {
	for name, tt := range map[string]struct {
		file string
		line int
	}{
		"unterminated string": {"backend = \"https://a.example\n", 1},
		"missing value":       {"# c\n[upload]\nconcurrency =\n", 3},
		"duplicate key":       {"[upload]\nconcurrency = 1\nconcurrency = 2\n", 3},
		"duplicate table":     {"[ui]\ntheme = \"dark\"\n[ui]\n", 3},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, tt.file, "")
			msg := f.loadErr(t)
			assert.True(t, strings.HasPrefix(msg, fmt.Sprintf("%s:%d: invalid TOML: ", f.admin, tt.line)), msg)
		})
	}
}

func TestEnvAndFlagErrors(t *testing.T) {
	f := newFixture(t, "", "")
	f.env = []string{"FERRY_UPLOAD_CONCURRENCY=0"}
	assert.Equal(t, "env FERRY_UPLOAD_CONCURRENCY: upload.concurrency: must be between 1 and 32 (got 0)", f.loadErr(t))

	f.env = []string{"FERRY_BACKEND=http://example.com"}
	assert.Contains(t, f.loadErr(t), "env FERRY_BACKEND: backend: must use https")

	f.env = []string{"FERRY_UI_SHOW_HIDDEN=maybe"}
	assert.Equal(t, `env FERRY_UI_SHOW_HIDDEN: ui.show_hidden: must be true or false (got "maybe")`, f.loadErr(t))

	f.env = nil
	f.flags = NewFlags()
	err := f.flags.Set("upload.concurrency", "abc")
	assert.EqualError(t, err, `flag --upload-concurrency: upload.concurrency: must be an integer (got "abc")`)
	assert.EqualError(t, f.flags.Set("upload.speed", "1"), "flag --upload-speed: upload.speed: unknown key")
	assert.EqualError(t, f.flags.Set("providers.box.url", "https://a.example"), "flag --providers-box-url: providers.box.url: unknown key")

	fs := flag.NewFlagSet("ferry", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	BindFlags(fs)
	err = fs.Parse([]string{"--upload-concurrency=0"})
	assert.EqualError(t, err, `invalid value "0" for flag -upload-concurrency: must be between 1 and 32 (got 0)`)
}

func TestEnv(t *testing.T) {
	f := newFixture(t, "", "")
	f.env = []string{
		"FERRY_UPLOAD_CONCURRENCY=3",
		"FERRY_UPLOAD_CONCURRENCY=5", // the last one wins, as with getenv
		"FERRY_UPLOAD_ALLOWED_TYPES=image/*, .pdf",
		"FERRY_UPLOAD_MULTIPART_THRESHOLD=64MiB",
		"FERRY_UI_SHOW_HIDDEN=true",
		"FERRY_BACKEND=",      // empty: unset
		"FERRY_CHROMIUM=/x",   // not a setting: warned about
		"HOME=/nonexistent",   // not ours
		"FERRY_CONFIG_X=oops", // a typo of a file variable is a warning too
	}
	c, w := f.load(t)
	assert.Equal(t, 5, c.Upload.Concurrency)
	assert.Equal(t, []string{"image/*", ".pdf"}, c.Upload.AllowedTypes)
	assert.Equal(t, int64(64<<20), c.Upload.MultipartThreshold)
	assert.True(t, c.UI.ShowHidden)
	assert.Equal(t, "", c.Backend)
	assert.Equal(t, "default", c.Source("backend").String())
	require.Len(t, w, 2)
	assert.Equal(t, "env FERRY_CHROMIUM: FERRY_CHROMIUM: not a Ferry setting; ignored", w[0].String())
	assert.Equal(t, "FERRY_CONFIG_X", w[1].Key)
	assert.Equal(t, "image/*,.pdf", entry(t, c, "upload.allowed_types").Value)
}

func TestFilePathsFromEnv(t *testing.T) {
	dir := t.TempDir()
	admin := filepath.Join(dir, "a.toml")
	user := filepath.Join(dir, "u.toml")
	writeFile(t, admin, "[ui]\ntheme = \"dark\"\n")
	writeFile(t, user, "[ui]\nlanguage = \"de\"\n")
	c, _, err := Load(Options{Env: []string{EnvAdminConfig + "=" + admin, EnvUserConfig + "=" + user}})
	require.NoError(t, err)
	assert.Equal(t, "dark", c.UI.Theme)
	assert.Equal(t, "de", c.UI.Language)
	assert.Equal(t, AdminFile{Path: admin, FromEnv: true, Found: true}, c.AdminFiles()[1], "a second admin file")
	assert.Equal(t, user, c.UserPath())
	assert.Equal(t, "admin file "+admin+":2", c.Source("ui.theme").String())
}

func TestDefaultPaths(t *testing.T) {
	want := map[string]string{
		"linux":   "/etc/ferry/config.toml",
		"darwin":  "/Library/Application Support/Ferry/config.toml",
		"freebsd": "/etc/ferry/config.toml",
	}
	if w, ok := want[runtime.GOOS]; ok {
		assert.Equal(t, w, DefaultAdminPath())
	}
	t.Setenv("XDG_CONFIG_HOME", "/tmp/xdg-test")
	p, err := DefaultUserPath()
	require.NoError(t, err)
	if runtime.GOOS == "linux" {
		assert.Equal(t, "/tmp/xdg-test/ferry/config.toml", p)
	}
}

func TestUnreadableFile(t *testing.T) {
	f := newFixture(t, "", "")
	require.NoError(t, os.MkdirAll(f.user, 0o700)) // a directory where the file should be
	msg := f.loadErr(t)
	assert.True(t, strings.HasPrefix(msg, f.user+": cannot read: "), msg)
}

func TestValidateBackendURL(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://uploads.acme.example", true},
		{"https://uploads.acme.example:8443/ferry/", true},
		{"HTTPS://UPLOADS.ACME.EXAMPLE", true},
		{"http://127.0.0.1:8080", true},
		{"http://127.1.2.3", true},
		{"http://localhost", true},
		{"http://LOCALHOST:9000/x", true},
		{"http://[::1]:8080", true},
		{"http://example.com", false},
		{"http://10.0.0.1:8080", false},
		{"http://[::2]:8080", false},
		{"http://localhost.example.com", false},
		{"http://127.0.0.1.nip.io", false},
		{"ftp://example.com", false},
		{"ftp://127.0.0.1", false},
		{"https://", false},
		{"https://user:secret@uploads.acme.example", false},
		{"uploads.acme.example", false},
		{"", false},
		{"::", false},
		{"mailto:a@b.example", false},
	} {
		t.Run(tt.url, func(t *testing.T) {
			err := ValidateBackendURL(tt.url)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "secret", "the message must not repeat the URL")
		})
	}
}

func TestProviders(t *testing.T) {
	user := `[providers.acme-cloud]
type = "webdav"
url  = "https://cloud.acme.example/remote.php/dav/files/"

[providers.onedrive]
client_id = "11111111-2222"
tenant = "organizations"
ports = [53682]
scopes = ["Files.Read", "offline_access"]

[providers.box]
`
	f := newFixture(t, "", user)
	c, _ := f.load(t)
	assert.Equal(t, map[string]*Provider{
		"acme-cloud": {Name: "acme-cloud", Type: "webdav", URL: "https://cloud.acme.example/remote.php/dav/files/"},
		"onedrive":   {Name: "onedrive", Type: "onedrive", ClientID: "11111111-2222", Tenant: "organizations", Ports: []int{53682}, Scopes: []string{"Files.Read", "offline_access"}},
		"box":        {Name: "box", Type: "box"},
	}, c.Providers)

	var keys []string
	for _, e := range c.Entries() {
		if strings.HasPrefix(e.Key, "providers.") {
			keys = append(keys, e.Key+"="+e.Value+" @"+e.Source.String())
		}
	}
	assert.Equal(t, []string{
		"providers.acme-cloud.type=webdav @user file " + f.user + ":2",
		"providers.acme-cloud.url=https://cloud.acme.example/remote.php/dav/files/ @user file " + f.user + ":3",
		"providers.box.type=box @default",
		"providers.onedrive.type=onedrive @default",
		"providers.onedrive.client_id=11111111-2222 @user file " + f.user + ":6",
		"providers.onedrive.tenant=organizations @user file " + f.user + ":7",
		"providers.onedrive.ports=53682 @user file " + f.user + ":8",
		"providers.onedrive.scopes=Files.Read,offline_access @user file " + f.user + ":9",
	}, keys)
}

func TestDiscovery(t *testing.T) {
	disc := &api.Discovery{
		Version: 1,
		Upload: api.UploadInfo{Protocol: "s3", MultipartThreshold: 64 << 20, MaxFileSize: 5 << 30, MaxFiles: 500,
			AllowedTypes: []string{"image/*", "application/pdf", ".docx"}},
		Providers: map[string]api.ProviderInfo{
			"gdrive":    {ClientID: "g-1", Exchange: "backend", ClientSecret: "published-installed-app-secret"},
			"dropbox":   {ClientID: "d-1", Exchange: "pkce"},
			"onedrive":  {ClientID: "o-1", Exchange: "pkce", Tenant: "common"},
			"box":       {ClientID: "b-1", Exchange: "backend", Ports: []int{53682, 53683}},
			"icloud":    {ClientID: "future"}, // unknown kind: skipped
			"nextcloud": {},
		},
	}
	admin := "[providers.dropbox]\nclient_id = \"acme-dropbox\"\n"
	f := newFixture(t, admin, "[upload]\nmax_files = 20\n")
	c, _ := f.load(t)
	require.NoError(t, c.ApplyDiscovery(disc))

	assert.Equal(t, Upload{Concurrency: 4, PartConcurrency: 4, MultipartThreshold: 64 << 20, MaxFileSize: 5 << 30, MaxFiles: 20,
		AllowedTypes: []string{"image/*", "application/pdf", ".docx"}}, c.Upload)
	assert.Equal(t, map[string]*Provider{
		"gdrive":   {Name: "gdrive", Type: "gdrive", ClientID: "g-1", Exchange: "backend", ClientSecret: "published-installed-app-secret"},
		"dropbox":  {Name: "dropbox", Type: "dropbox", ClientID: "acme-dropbox", Exchange: "pkce"},
		"onedrive": {Name: "onedrive", Type: "onedrive", ClientID: "o-1", Exchange: "pkce", Tenant: "common"},
		"box":      {Name: "box", Type: "box", ClientID: "b-1", Exchange: "backend", Ports: []int{53682, 53683}},
	}, c.Providers)
	assert.Equal(t, "discovery", c.Source("providers.gdrive.client_id").String())
	assert.Equal(t, "admin file "+f.admin+":2", c.Source("providers.dropbox.client_id").String())
	assert.Equal(t, "user file "+f.user+":2", c.Source("upload.max_files").String())
	assert.Equal(t, "discovery", c.Source("upload.max_file_size").String())
	for _, e := range c.Entries() {
		assert.NotContains(t, e.Value, "published-installed-app-secret", "secrets are not config entries")
	}

	// A secret belongs to its client: another client ID does not get it.
	f2 := newFixture(t, "[providers.gdrive]\nclient_id = \"own\"\n", "")
	f2.disc = disc
	c2, _ := f2.load(t)
	assert.Equal(t, "", c2.Providers["gdrive"].ClientSecret)

	// A bad announcement is refused and changes nothing.
	before := c.Entries()
	err := c.ApplyDiscovery(&api.Discovery{Upload: api.UploadInfo{MultipartThreshold: 10}})
	assert.EqualError(t, err, "discovery: upload.multipart_threshold: must be between 1MiB and 5GiB (got 10)")
	assert.Equal(t, before, c.Entries())

	// Removing the layer brings back the defaults.
	require.NoError(t, c.ApplyDiscovery(nil))
	assert.Equal(t, int64(100<<20), c.Upload.MultipartThreshold)
	assert.Equal(t, []string{"dropbox"}, c.providerNames())
}

func TestBindFlags(t *testing.T) {
	fs := flag.NewFlagSet("ferry", flag.ContinueOnError)
	flags := BindFlags(fs)
	var names []string
	fs.VisitAll(func(fl *flag.Flag) { names = append(names, fl.Name) })
	assert.Equal(t, []string{"backend", "ui-language", "ui-show-hidden", "ui-theme", "ui-thumbnail-cache-mb", "ui-upload-at-once",
		"upload-allowed-types", "upload-concurrency", "upload-max-file-size", "upload-max-files",
		"upload-multipart-threshold", "upload-part-concurrency"}, names)
	assert.Equal(t, "4", fs.Lookup("upload-concurrency").DefValue)
	assert.Contains(t, fs.Lookup("upload-concurrency").Usage, "config key upload.concurrency")

	require.NoError(t, fs.Parse([]string{"--ui-show-hidden", "--backend", "http://127.0.0.1:8080", "-ui-theme=dark", "upload", "x"}))
	assert.Equal(t, []string{"upload", "x"}, fs.Args())
	f := newFixture(t, "", "[ui]\nshow_hidden = false\ntheme = \"light\"\n")
	f.flags = flags
	c, _ := f.load(t)
	assert.True(t, c.UI.ShowHidden)
	assert.Equal(t, "dark", c.UI.Theme)
	assert.Equal(t, "http://127.0.0.1:8080", c.Backend)
	assert.Equal(t, "flag --ui-show-hidden", c.Source("ui.show_hidden").String())
	assert.Equal(t, "flag --backend", entry(t, c, "backend").Source.String())
}

func TestEntriesOrder(t *testing.T) {
	f := newFixture(t, "", "[providers.b]\ntype = \"local\"\n[providers.a]\ntype = \"local\"\n")
	c, _ := f.load(t)
	var got []string
	for _, e := range c.Entries() {
		got = append(got, e.Key)
		assert.NotEmpty(t, e.Doc, e.Key)
	}
	assert.Equal(t, []string{"backend", "upload.concurrency", "upload.part_concurrency", "upload.multipart_threshold",
		"upload.max_file_size", "upload.max_files", "upload.allowed_types", "ui.theme", "ui.language",
		"ui.thumbnail_cache_mb", "ui.show_hidden", "ui.upload_at_once", "providers.a.type", "providers.b.type"}, got)
	assert.Len(t, Keys(), len(keys))
	assert.Equal(t, Entry{Key: "upload.concurrency", Value: "4", Doc: "files uploaded at the same time"}, Keys()[1])
}

func TestLoadIsDeterministic(t *testing.T) {
	f := newFixture(t, "", "z.x = 1\n[upload]\nbogus = 1\n[ui]\nnope = 2\n")
	first := f.loadErr(t)
	for range 20 {
		assert.Equal(t, first, f.loadErr(t))
	}
}
