package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

// FuzzLoad feeds arbitrary bytes to Load as the admin file and as the user
// file. Load must not panic; every error must name the file; a document that
// loads must list entries whose values read back through their own key, and
// SetUser of each user-file value must keep the effective configuration.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		sub, err := os.MkdirTemp(dir, "case")
		require.NoError(t, err)
		defer os.RemoveAll(sub)
		path := filepath.Join(sub, "config.toml")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		missing := filepath.Join(sub, "missing.toml")

		for _, opts := range []Options{
			{AdminPath: path, UserPath: missing, Env: []string{}},
			{AdminPath: missing, UserPath: path, Env: []string{}},
		} {
			c, _, err := Load(opts)
			if err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					require.True(t, strings.HasPrefix(line, path+":"), "error does not name the file: %q", line)
				}
				continue
			}
			for _, e := range c.Entries() {
				if e.Value == "" {
					continue
				}
				def, _, ok := lookupKey(e.Key)
				require.True(t, ok, e.Key)
				v, err := def.fromText(e.Value)
				require.NoError(t, err, "%s = %q", e.Key, e.Value)
				require.Equal(t, e.Value, def.toText(v), e.Key)
			}
			if opts.UserPath != path {
				continue
			}
			before := c.Entries()
			for _, e := range before {
				if e.Source.Layer == LayerUser && e.Value != "" {
					require.NoError(t, c.SetUser(e.Key, e.Value), "SetUser(%s, %q)", e.Key, e.Value)
				}
			}
			fresh, _, err := Load(opts)
			require.NoError(t, err, "after SetUser")
			after := fresh.Entries()
			require.Equal(t, len(before), len(after))
			for i := range before {
				require.Equal(t, before[i].Key, after[i].Key)
				require.Equal(t, before[i].Value, after[i].Value, before[i].Key)
			}
		}
	})
}

// FuzzDiscovery feeds arbitrary JSON as the backend's discovery document
// (what a hostile backend can send): decoding it into the configuration
// must not panic, and what it sets must read back through its own key.
func FuzzDiscovery(f *testing.F) {
	f.Add([]byte(`{"version":1,"name":"Acme uploads","auth":{"type":"oidc","issuer":"https://login.acme.example","client_id":"ferry-desktop","scopes":["openid"]},"upload":{"protocol":"s3","multipart_threshold":104857600,"max_file_size":5368709120,"max_files":500,"allowed_types":["image/*",".docx"],"checksum":"sha256"},"providers":{"gdrive":{"client_id":"x","exchange":"backend"},"onedrive":{"client_id":"y","exchange":"pkce","tenant":"common"}}}`))
	f.Add([]byte(`{"version":1,"upload":{"max_files":-1,"allowed_types":["\u0000"]},"providers":{"../x":{"client_id":""}}}`))
	dir := f.TempDir()
	missing := filepath.Join(dir, "missing.toml")
	f.Fuzz(func(t *testing.T, data []byte) {
		var d api.Discovery
		if json.Unmarshal(data, &d) != nil {
			return
		}
		c, _, err := Load(Options{AdminPath: missing, UserPath: missing, Env: []string{}, Discovery: &d})
		if err != nil {
			return
		}
		for _, e := range c.Entries() {
			if e.Value == "" {
				continue
			}
			def, _, ok := lookupKey(e.Key)
			require.True(t, ok, e.Key)
			v, err := def.fromText(e.Value)
			require.NoError(t, err, "%s = %q", e.Key, e.Value)
			require.Equal(t, e.Value, def.toText(v), e.Key)
		}
		_ = c.ApplyDiscovery(&d)
	})
}
