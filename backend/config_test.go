package backend

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const designExample = `# ferry-backend --config backend.toml
listen     = "127.0.0.1:8080"
public_url = "https://uploads.acme.example"
name       = "Acme uploads"
[auth]
type      = "oidc"                # or "none": refused unless listen is a loopback address
issuer    = "https://login.acme.example"
client_id = "ferry-desktop"
[storage]
driver     = "s3"                 # or "local" with dir = "/var/lib/ferry"
endpoint   = "http://127.0.0.1:7070"
region     = "us-east-1"
bucket     = "uploads"
path_style = true                 # credentials: the AWS SDK's default chain (AWS_ACCESS_KEY_ID, ...)
[upload]
url_lifetime        = "10m"       # at most 15m
multipart_threshold = "100MiB"
max_file_size       = "5GiB"
max_files           = 500
allowed_types       = ["*/*"]
key_template        = "{user}/{yyyy}/{mm}/{uuid}/{filename}"
[providers.box]
client_id         = "..."
client_secret_env = "FERRY_BOX_CLIENT_SECRET"
exchange          = "backend"
`

func TestParseConfigDesignExample(t *testing.T) {
	c, err := ParseConfig([]byte(designExample), "backend.toml")
	require.NoError(t, err)
	assert.Equal(t, "Acme uploads", c.Name)
	assert.Equal(t, "oidc", c.Auth.Type)
	assert.Equal(t, "s3", c.Storage.Driver)
	assert.True(t, c.Storage.PathStyle)
	assert.Equal(t, 10*time.Minute, time.Duration(c.Upload.URLLifetime))
	assert.EqualValues(t, 100<<20, c.Upload.MultipartThreshold)
	assert.EqualValues(t, 5<<30, c.Upload.MaxFileSize)
	assert.Equal(t, 500, c.Upload.MaxFiles)
	assert.Equal(t, "FERRY_BOX_CLIENT_SECRET", c.Providers["box"].ClientSecretEnv)
	assert.Equal(t, "backend", c.Providers["box"].Exchange)
}

func TestLoadConfigReadsFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "backend.toml")
	require.NoError(t, os.WriteFile(p, []byte("listen = \"127.0.0.1:9\"\n[auth]\ntype = \"none\"\n[storage]\ndriver = \"local\"\ndir = \"/tmp/x\"\n"), 0o600))
	c, err := LoadConfig(p)
	require.NoError(t, err)
	assert.Equal(t, "none", c.Auth.Type)
	assert.Equal(t, DefaultKeyTemplate, c.Upload.KeyTemplate)
	_, err = LoadConfig(filepath.Join(t.TempDir(), "missing.toml"))
	require.Error(t, err)
}

func TestParseConfigErrorsNameFileLineKey(t *testing.T) {
	const local = "listen = \"127.0.0.1:8080\"\n[auth]\ntype = \"none\"\n[storage]\ndriver = \"local\"\ndir = \"/srv/ferry\"\n"
	tests := []struct {
		name, text, key string
		line            int
	}{
		{"unknown top key", "colour = \"red\"\n" + local, "colour", 1},
		{"unknown storage key", local + "colour = \"red\"\n", "storage.colour", 7},
		{"unknown table key", local + "[upload]\nmax_filesize = \"1GiB\"\n", "upload.max_filesize", 8},
		{"bad duration", local + "[upload]\nurl_lifetime = \"ten minutes\"\n", "upload.url_lifetime", 8},
		{"lifetime over 15m", local + "[upload]\nurl_lifetime = \"16m\"\n", "upload.url_lifetime", 8},
		{"bad size", local + "[upload]\nmax_file_size = \"5 lots\"\n", "upload.max_file_size", 8},
		{"wrong type", local + "[upload]\nmax_files = \"many\"\n", "upload.max_files", 8},
		{"none on public address", "listen = \"0.0.0.0:8080\"\npublic_url = \"https://x.example\"\n[auth]\ntype = \"none\"\n[storage]\ndriver = \"local\"\ndir = \"/srv\"\n", "auth.type", 4},
		{"none on a name", "listen = \"localhost:8080\"\n[auth]\ntype = \"none\"\n[storage]\ndriver = \"local\"\ndir = \"/srv\"\n", "public_url", 0},
		{"oidc without issuer", "listen = \"127.0.0.1:1\"\n[auth]\ntype = \"oidc\"\nclient_id = \"x\"\n[storage]\ndriver = \"local\"\ndir = \"/srv\"\n", "auth.issuer", 0},
		{"bad auth type", "listen = \"127.0.0.1:1\"\n[auth]\ntype = \"basic\"\n[storage]\ndriver = \"local\"\ndir = \"/srv\"\n", "auth.type", 3},
		{"bad driver", "listen = \"127.0.0.1:1\"\n[auth]\ntype = \"none\"\n[storage]\ndriver = \"ftp\"\n", "storage.driver", 5},
		{"local without dir", "listen = \"127.0.0.1:1\"\n[auth]\ntype = \"none\"\n[storage]\ndriver = \"local\"\n", "storage.dir", 0},
		{"template outside user prefix", local + "[upload]\nkey_template = \"shared/{uuid}/{filename}\"\n", "upload.key_template", 8},
		{"template without uuid", local + "[upload]\nkey_template = \"{user}/{filename}\"\n", "upload.key_template", 8},
		{"template dotdot", local + "[upload]\nkey_template = \"{user}/../{uuid}/{filename}\"\n", "upload.key_template", 8},
		{"bad allowed type", local + "[upload]\nallowed_types = [\"images\"]\n", "upload.allowed_types", 8},
		{"http public url", "listen = \"0.0.0.0:8080\"\npublic_url = \"http://x.example\"\n[auth]\ntype = \"oidc\"\nissuer=\"https://i.example\"\nclient_id=\"c\"\n[storage]\ndriver = \"local\"\ndir = \"/srv\"\n", "public_url", 2},
		{"backend exchange without secret", local + "[providers.box]\nclient_id = \"b\"\nexchange = \"backend\"\n", "providers.box.client_secret_env", 0},
		{"syntax", local + "[upload\n", "(syntax)", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.text), "/etc/ferry/backend.toml")
			require.Error(t, err)
			var ce *ConfigError
			require.True(t, errors.As(err, &ce), "want *ConfigError, got %T %v", err, err)
			assert.Equal(t, "/etc/ferry/backend.toml", ce.File)
			assert.Equal(t, tt.key, ce.Key, err.Error())
			if tt.line > 0 {
				assert.Equal(t, tt.line, ce.Line, err.Error())
				assert.Contains(t, err.Error(), "/etc/ferry/backend.toml:")
			}
		})
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1024": 1024, "100MiB": 100 << 20, "5GiB": 5 << 30, "5 GB": 5e9, "7K": 7 << 10, "12B": 12} {
		got, err := ParseByteSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "-1", "MiB", "1.5GiB", "99999999999999TiB"} {
		_, err := ParseByteSize(in)
		assert.Error(t, err, in)
	}
}

// TestReadmeExamplesParse keeps the documented configs valid.
func TestReadmeExamplesParse(t *testing.T) {
	doc, err := os.ReadFile("README-config.md")
	require.NoError(t, err)
	blocks := strings.Split(string(doc), "```toml\n")[1:]
	require.Len(t, blocks, 2)
	for i, b := range blocks {
		text := b[:strings.Index(b, "```")]
		c, err := ParseConfig([]byte(text), fmt.Sprintf("README-config.md#%d", i))
		require.NoError(t, err)
		assert.NotEmpty(t, c.Storage.Driver)
	}
}
