// Package config is Ferry's application configuration: built-in defaults,
// the backend's discovery document, the admin file, the user file, FERRY_*
// environment variables and command-line flags, weakest first.
//
// Every key has one canonical dotted name ("upload.concurrency") used in
// files (as [upload] concurrency = 4), in the environment
// (FERRY_UPLOAD_CONCURRENCY) and in flags (--upload-concurrency). The admin
// file's top-level `locked` list names keys (or whole tables, "providers")
// that nothing after the admin file may change; such attempts are reported as
// Warnings, never silently dropped. An unknown key or a bad value is an
// *Error naming file and line, variable or flag, and key.
//
// The keys live in one table (keys.go); Entries lists them for `ferry doctor`
// and the Settings screen.
package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/ferry-app/ferry/backend/api"
)

// Config is the effective configuration. Read the fields directly; use
// SetUser to change a setting and Entries to see where each value came from.
//
// A Config is not safe for concurrent use: ApplyDiscovery and SetUser change
// it in place, so the owner (the UI goroutine, or main before sharing) must
// serialise them with reads.
type Config struct {
	// Backend is the backend URL; "" means the embedded local backend.
	Backend   string
	Upload    Upload
	UI        UI
	Providers map[string]*Provider // by name: "gdrive", "acme-cloud"

	adminPath, adminEnvPath, userPath string
	layers                            [LayerFlag + 1]*layerData
	discovery                         *api.Discovery
	sources                           map[string]Source
	locked                            []lockEntry
	warnings                          []Warning
	envWarnings                       []Warning // unknown FERRY_* variables, found once by Load
}

// Upload configures the upload engine. The limits usually come from the
// backend's discovery document.
type Upload struct {
	Concurrency        int      // upload.concurrency: files in flight
	PartConcurrency    int      // upload.part_concurrency: parts in flight per file
	MultipartThreshold int64    // upload.multipart_threshold, bytes
	MaxFileSize        int64    // upload.max_file_size, bytes; 0: no limit
	MaxFiles           int      // upload.max_files; 0: no limit
	AllowedTypes       []string // upload.allowed_types; empty: any
}

// UI configures the desktop window.
type UI struct {
	Theme            string // ui.theme: system, light or dark
	Language         string // ui.language: system, en or de
	ThumbnailCacheMB int    // ui.thumbnail_cache_mb
	ShowHidden       bool   // ui.show_hidden
	UploadAtOnce     bool   // ui.upload_at_once: a drop starts at once, without a review
}

// Provider is one [providers.<name>] table: a source beside the local disk.
type Provider struct {
	Name     string
	Type     string // one of ProviderTypes
	URL      string
	ClientID string
	Exchange string // api.ExchangePKCE, api.ExchangeBackend or "" (provider default)
	Tenant   string
	Ports    []int
	Scopes   []string
	// APIURL and AuthURL replace the provider's API and authorization server
	// roots (national clouds, self-hosted Box-compatible servers, tests).
	APIURL  string
	AuthURL string
	// ClientSecret is a non-confidential installed-app secret published by
	// the backend's discovery for exactly this ClientID; never from a file.
	ClientSecret string
}

// Options says where Load looks. The zero value uses the real environment
// and the platform's file locations.
type Options struct {
	AdminPath string         // the platform admin file; "": DefaultAdminPath() (tests set it)
	UserPath  string         // "": $FERRY_CONFIG, else DefaultUserPath()
	Env       []string       // "KEY=value" pairs; nil: os.Environ()
	Flags     *Flags         // from BindFlags; nil: no flags
	Discovery *api.Discovery // may also be applied later with ApplyDiscovery
}

// Environment variables that choose files rather than set keys.
const (
	EnvAdminConfig = "FERRY_ADMIN_CONFIG"
	EnvUserConfig  = "FERRY_CONFIG"
)

// DefaultAdminPath is the platform's system-wide config file.
func DefaultAdminPath() string {
	switch runtime.GOOS {
	case "windows":
		dir := os.Getenv("ProgramData")
		if dir == "" {
			dir = `C:\ProgramData`
		}
		return filepath.Join(dir, "Ferry", "config.toml")
	case "darwin":
		return "/Library/Application Support/Ferry/config.toml"
	}
	return "/etc/ferry/config.toml"
}

// DefaultUserPath is os.UserConfigDir()/ferry/config.toml.
func DefaultUserPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "ferry", "config.toml"), nil
}

// Load reads every source and returns the effective configuration and the
// warnings about values that were not used (locked keys, unknown FERRY_*
// variables). Missing files are fine; an unreadable file, an unknown key or a
// bad value anywhere is an error (all of them, joined) and no Config.
func Load(opts Options) (*Config, []Warning, error) {
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	getenv := func(name string) string {
		for _, kv := range slices.Backward(env) {
			if k, v, ok := strings.Cut(kv, "="); ok && k == name {
				return v
			}
		}
		return ""
	}
	// The platform admin file always applies: a variable anyone can set must
	// not replace it (and its locks). FERRY_ADMIN_CONFIG only adds a second,
	// weaker admin file.
	c := &Config{adminPath: opts.AdminPath, adminEnvPath: getenv(EnvAdminConfig), userPath: opts.UserPath}
	if c.adminPath == "" {
		c.adminPath = DefaultAdminPath()
	}
	if c.userPath == "" {
		c.userPath = getenv(EnvUserConfig)
	}
	if c.userPath == "" {
		p, err := DefaultUserPath()
		if err != nil {
			return nil, nil, &Error{Source: Source{Layer: LayerUser}, Err: err}
		}
		c.userPath = p
	}

	var errs []error
	var err error
	if opts.Discovery != nil {
		if c.layers[LayerDiscovery], err = discoveryLayer(opts.Discovery); err != nil {
			errs = append(errs, err)
		}
		c.discovery = opts.Discovery
	}
	if c.layers[LayerAdmin], err = readFile(c.adminPath, LayerAdmin); err != nil {
		errs = append(errs, err)
	}
	if c.adminEnvPath != "" && c.adminEnvPath != c.adminPath {
		if c.layers[LayerAdminEnv], err = readFile(c.adminEnvPath, LayerAdminEnv); err != nil {
			errs = append(errs, err)
		}
	}
	if c.layers[LayerUser], err = readFile(c.userPath, LayerUser); err != nil {
		errs = append(errs, err)
	}
	if c.layers[LayerEnv], c.envWarnings, err = envLayer(env); err != nil {
		errs = append(errs, err)
	}
	if c.layers[LayerFlag], err = opts.Flags.layer(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	if err := c.resolve(); err != nil {
		return nil, nil, err
	}
	return c, c.Warnings(), nil
}

// AdminPath is the platform admin file Load read (or would have, if present).
func (c *Config) AdminPath() string { return c.adminPath }

// AdminFile is one admin file Load looked for.
type AdminFile struct {
	Path    string
	FromEnv bool // named by FERRY_ADMIN_CONFIG: adds to the platform file, never overrides it
	Found   bool // it existed and was read
}

// AdminFiles lists the admin files Load looked for, the platform one first,
// and whether each was read: what `ferry doctor` reports.
func (c *Config) AdminFiles() []AdminFile {
	out := []AdminFile{{Path: c.adminPath, Found: c.layers[LayerAdmin] != nil && c.layers[LayerAdmin].found}}
	if c.adminEnvPath != "" && c.adminEnvPath != c.adminPath {
		ld := c.layers[LayerAdminEnv]
		out = append(out, AdminFile{Path: c.adminEnvPath, FromEnv: true, Found: ld != nil && ld.found})
	}
	return out
}

// UserPath is the file SetUser writes.
func (c *Config) UserPath() string { return c.userPath }

// Warnings are the values that were not used, in precedence order.
func (c *Config) Warnings() []Warning { return slices.Clone(c.warnings) }

// Locked reports whether the admin file locked key (or a table holding it).
func (c *Config) Locked(key string) bool {
	_, ok := c.lockFor(key)
	return ok
}

// Source is where the effective value of key came from; the zero Source
// ("default") for a key nobody set.
func (c *Config) Source(key string) Source { return c.sources[key] }

func (c *Config) lockFor(key string) (lockEntry, bool) {
	for _, l := range c.locked {
		if key == l.key || strings.HasPrefix(key, l.key+".") {
			return l, true
		}
	}
	return lockEntry{}, false
}

// lockAgainst returns the lock that stops layer from setting key: any lock
// stops the layers after the admin files, and the platform file's locks
// also stop the second admin file.
func (c *Config) lockAgainst(key string, layer Layer) (lockEntry, bool) {
	for _, l := range c.locked {
		if key != l.key && !strings.HasPrefix(key, l.key+".") {
			continue
		}
		if layer > LayerAdmin || layer == LayerAdminEnv && l.src.Layer == LayerAdmin {
			return l, true
		}
	}
	return lockEntry{}, false
}

func (c *Config) provider(name string) *Provider {
	p, ok := c.Providers[name]
	if !ok {
		p = &Provider{Name: name}
		c.Providers[name] = p
	}
	return p
}

// resolve recomputes the effective values from the layers.
func (c *Config) resolve() error {
	c.Backend, c.Upload, c.UI = "", Upload{}, UI{}
	c.Providers = map[string]*Provider{}
	c.sources = map[string]Source{}
	c.warnings = nil
	c.locked = nil
	for _, l := range []Layer{LayerAdmin, LayerAdminEnv} { // the platform file's locks first
		if ld := c.layers[l]; ld != nil {
			c.locked = append(c.locked, ld.locked...)
		}
	}
	for i := range keys {
		if k := &keys[i]; !k.isDynamic {
			k.set(c, "", k.def)
			c.sources[k.name] = Source{Layer: LayerDefault}
		}
	}
	declared := map[string]Source{} // provider name → first source naming it
	for layer, ld := range c.layers {
		if ld == nil {
			continue
		}
		blocked := func(a assignment) bool {
			l, ok := c.lockAgainst(a.key, Layer(layer))
			if ok {
				c.warnings = append(c.warnings, Warning{Source: a.src, Key: a.key,
					Msg: "locked by the administrator in " + l.src.position() + "; ignored"})
			}
			return ok
		}
		for _, d := range ld.decls {
			if _, exists := c.Providers[d.wild]; exists {
				continue
			}
			if blocked(d) {
				continue
			}
			c.provider(d.wild)
			declared[d.wild] = d.src
		}
		for _, a := range ld.assigns {
			if blocked(a) {
				continue
			}
			if a.wild != "" {
				if _, ok := declared[a.wild]; !ok {
					declared[a.wild] = a.src
				}
			}
			a.def.set(c, a.wild, a.value)
			c.sources[a.key] = a.src
		}
	}
	c.warnings = append(c.warnings, c.envWarnings...)
	return c.checkProviders(declared)
}

// checkProviders fills in defaults that depend on the name and refuses
// providers that cannot work.
func (c *Config) checkProviders(declared map[string]Source) error {
	var errs []error
	for _, name := range c.providerNames() {
		p := c.Providers[name]
		prefix := "providers." + name + "."
		if p.Type == "" && slices.Contains(ProviderTypes, name) {
			p.Type = name
			c.sources[prefix+"type"] = Source{Layer: LayerDefault}
		}
		switch {
		case p.Type == "":
			errs = append(errs, &Error{Source: declared[name], Key: prefix + "type",
				Err: errors.New("required: one of " + strings.Join(ProviderTypes, ", "))})
		case p.Type == "webdav" && p.URL == "":
			errs = append(errs, &Error{Source: declared[name], Key: prefix + "url",
				Err: errors.New("required for type webdav")})
		}
		if d := c.discovery; d != nil {
			if info, ok := d.Providers[name]; ok && info.ClientSecret != "" && info.ClientID == p.ClientID {
				p.ClientSecret = info.ClientSecret
			}
		}
	}
	return errors.Join(errs...)
}

func (c *Config) providerNames() []string {
	names := make([]string, 0, len(c.Providers))
	for n := range c.Providers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Entries lists every key with its effective value, its source and whether
// it is locked: the global keys in table order, then each provider (by name)
// with the keys some source set. Value is in the text form SetUser, the
// environment and flags accept (lists comma-separated, sizes like "100MiB").
func (c *Config) Entries() []Entry {
	var out []Entry
	for i := range keys {
		if k := &keys[i]; !k.isDynamic {
			out = append(out, c.entry(k, k.name, ""))
		}
	}
	for _, name := range c.providerNames() {
		for i := range keys {
			k := &keys[i]
			if !k.isDynamic {
				continue
			}
			key := strings.Replace(k.name, "*", name, 1)
			if _, set := c.sources[key]; set {
				out = append(out, c.entry(k, key, name))
			}
		}
	}
	return out
}

func (c *Config) entry(k *keyDef, key, wild string) Entry {
	return Entry{
		Key:    key,
		Value:  k.toText(k.get(c, wild)),
		Doc:    k.doc,
		Source: c.sources[key],
		Locked: c.Locked(key),
	}
}

// Keys lists the canonical names of the global keys and the provider key
// patterns ("providers.*.url"), in table order, with their documentation.
func Keys() []Entry {
	out := make([]Entry, len(keys))
	for i, k := range keys {
		out[i] = Entry{Key: k.name, Doc: k.doc}
		if !k.isDynamic {
			out[i].Value = k.toText(k.def)
		}
	}
	return out
}
