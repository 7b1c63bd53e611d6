package backend

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-app/ferry/backend/api"

	"github.com/pelletier/go-toml/v2"
)

// MaxURLLifetime is the longest a presigned URL may live, whatever the config says.
const MaxURLLifetime = 15 * time.Minute

// DefaultKeyTemplate places every object under the user's prefix with a
// random component, so two uploads of the same name never collide.
const DefaultKeyTemplate = "{user}/{yyyy}/{mm}/{uuid}/{filename}"

// Config is a parsed backend.toml. The zero value is not valid; use
// ParseConfig, LoadConfig or DefaultConfig.
type Config struct {
	Listen    string                    `toml:"listen"`
	PublicURL string                    `toml:"public_url"`
	Name      string                    `toml:"name"`
	StateDir  string                    `toml:"state_dir"` // the generated upload-token secret when no [state] secret_env; "" = none
	State     StateConfig               `toml:"state"`
	Auth      AuthConfig                `toml:"auth"`
	Storage   StorageConfig             `toml:"storage"`
	Upload    UploadConfig              `toml:"upload"`
	Limits    LimitsConfig              `toml:"limits"`
	CORS      CORSConfig                `toml:"cors"`
	Providers map[string]ProviderConfig `toml:"providers"`

	// Filename is where the config came from, for error messages.
	Filename string `toml:"-"`
}

// AuthConfig says how users authenticate to the backend.
type AuthConfig struct {
	Type     string   `toml:"type"` // "oidc" or "none"
	Issuer   string   `toml:"issuer"`
	ClientID string   `toml:"client_id"` // also the audience access tokens must carry
	Scopes   []string `toml:"scopes"`
}

// StorageConfig selects and configures the storage driver.
type StorageConfig struct {
	Driver    string `toml:"driver"` // "s3" or "local"
	Dir       string `toml:"dir"`    // local
	Endpoint  string `toml:"endpoint"`
	Region    string `toml:"region"`
	Bucket    string `toml:"bucket"`
	PathStyle bool   `toml:"path_style"`
	// MultipartTTL (local driver) removes a multipart upload that got no
	// part for this long; default 24h. For s3, use the bucket's lifecycle
	// rule for incomplete multipart uploads.
	MultipartTTL Duration `toml:"multipart_ttl"`
	// OnThisComputer marks the built-in backend's storage: its errors name
	// the folder and are for the person (api.Error.Local). Never from a file.
	OnThisComputer bool `toml:"-"`
}

// UploadConfig holds the limits announced by discovery and enforced here.
type UploadConfig struct {
	URLLifetime        Duration `toml:"url_lifetime"`
	MultipartThreshold ByteSize `toml:"multipart_threshold"`
	MaxFileSize        ByteSize `toml:"max_file_size"`
	MinFileSize        ByteSize `toml:"min_file_size"`
	MaxFiles           int      `toml:"max_files"`    // files per user per files_window; 0 = no limit; default 10000
	FilesWindow        Duration `toml:"files_window"` // default 24h
	AllowedTypes       []string `toml:"allowed_types"`
	KeyTemplate        string   `toml:"key_template"`
	Checksum           string   `toml:"checksum"` // "" or "sha256"
}

// LimitsConfig bounds what one user and one request may cost the server.
type LimitsConfig struct {
	// RequestsPerSecond and Burst leave room for one person's parallel
	// multipart uploads (Uppy signs each part with its own request and does
	// not retry a 429 from the backend: 6 files x 5 MiB parts on a 1 Gbit/s
	// link is about 25 signing requests per second) and for a dropped folder
	// of 2 000 files, each file of a batch counting one.
	RequestsPerSecond float64  `toml:"requests_per_second"` // per user; default 100
	Burst             int      `toml:"burst"`               // default 2500
	MaxBody           ByteSize `toml:"max_body"`            // JSON bodies; default 1MiB
	MaxParts          int      `toml:"max_parts"`           // per multipart upload; default 10000
	// BodyTimeout bounds how long a request may take to send its headers
	// and a JSON body, and how long an upload body may go without
	// delivering another 64 KiB; default 1m. A body that trickles is cut.
	BodyTimeout Duration `toml:"body_timeout"`
}

// CORSConfig lets browser uploaders (Uppy) on other origins call the
// contract routes. Unset: no CORS headers at all, so browsers on other
// origins are refused.
type CORSConfig struct {
	// AllowedOrigins are exact origins ("https://app.acme.example"); no
	// wildcards, since the routes take a bearer credential.
	AllowedOrigins []string `toml:"allowed_origins"`
}

// ProviderConfig is one cloud source's OAuth client.
type ProviderConfig struct {
	ClientID        string `toml:"client_id"`
	ClientSecretEnv string `toml:"client_secret_env"` // env var holding the confidential secret
	// PublicClientSecret is a non-confidential installed-app secret (Google
	// desktop clients) published to the app through discovery.
	PublicClientSecret string `toml:"public_client_secret"`
	Exchange           string `toml:"exchange"` // "pkce" or "backend"
	Tenant             string `toml:"tenant"`
	Ports              []int  `toml:"ports"` // loopback ports registered as redirect URIs
	TokenURL           string `toml:"token_url"`
	RevokeURL          string `toml:"revoke_url"`
	RevokeAuth         string `toml:"revoke_auth"` // "form" (token in the body) or "bearer" (Dropbox)
}

// exchange is who redeems the provider's authorization codes: as
// configured, else the backend when it holds a client secret, else the app.
func (p ProviderConfig) exchange() string {
	switch {
	case p.Exchange != "":
		return p.Exchange
	case p.ClientSecretEnv != "":
		return api.ExchangeBackend
	default:
		return api.ExchangePKCE
	}
}

// Duration is a TOML string such as "10m".
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration like \"10m\": %q", b)
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// ByteSize is a TOML string such as "100MiB", "5GB" or "1024" (bytes).
type ByteSize int64

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *ByteSize) UnmarshalText(b []byte) error {
	v, err := ParseByteSize(string(b))
	if err != nil {
		return err
	}
	*s = ByteSize(v)
	return nil
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// ParseByteSize parses "100MiB", "5 GB", "1024" into bytes.
func ParseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			mult = u.mult
			t = strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("not a size like \"100MiB\": %q", s)
	}
	if n > 0 && mult > (1<<62)/n {
		return 0, fmt.Errorf("size too large: %q", s)
	}
	return n * mult, nil
}

// DefaultConfig returns the configuration every key falls back to.
func DefaultConfig() *Config {
	return &Config{
		Listen: "127.0.0.1:8080",
		Name:   "Ferry uploads",
		Auth:   AuthConfig{Type: "oidc", Scopes: []string{"openid", "email", "offline_access"}},
		Storage: StorageConfig{
			Driver: "local",
			Region: "us-east-1",
		},
		Upload: UploadConfig{
			URLLifetime:        Duration(10 * time.Minute),
			MultipartThreshold: 100 << 20,
			MaxFileSize:        5 << 30,
			// A person drops whole folders: a day's quota takes a
			// 2 000-photo folder several times over.
			MaxFiles:     10000,
			FilesWindow:  Duration(24 * time.Hour),
			AllowedTypes: []string{"*/*"},
			KeyTemplate:  DefaultKeyTemplate,
		},
		Limits: LimitsConfig{
			// Files count one each, batched or not: the burst lets a
			// 2 000-file folder through without waiting.
			RequestsPerSecond: 100,
			Burst:             2500,
			MaxBody:           1 << 20,
			MaxParts:          10000,
			BodyTimeout:       Duration(time.Minute),
		},
	}
}

// LoadConfig reads and validates a backend.toml file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("backend config: %w", err)
	}
	return ParseConfig(data, path)
}

// ConfigError is a problem with one key of a config file.
type ConfigError struct {
	File string
	Line int // 0 when unknown
	Key  string
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Key, e.Msg)
}

// ParseConfig parses and validates backend.toml content. Unknown keys and bad
// values are errors (a *ConfigError) naming filename, line and key.
func ParseConfig(data []byte, filename string) (*Config, error) {
	cfg := DefaultConfig()
	cfg.Filename = filename
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return nil, decodeError(err, data, filename)
	}
	if err := cfg.validate(data); err != nil {
		return nil, err
	}
	return cfg, nil
}

func decodeError(err error, data []byte, filename string) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		de := strict.Errors[0]
		row, _ := de.Position()
		return &ConfigError{File: filename, Line: row, Key: strings.Join(de.Key(), "."), Msg: "unknown key"}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		key := strings.Join(de.Key(), ".")
		if key == "" {
			key = "(syntax)"
		}
		return &ConfigError{File: filename, Line: row, Key: key, Msg: strings.TrimPrefix(de.Error(), "toml: ")}
	}
	// Errors from value decoders (sizes, durations) carry no position in
	// go-toml; report the key from the message when we can find it.
	return &ConfigError{File: filename, Key: "(value)", Msg: err.Error()}
}

// validate checks cross-key rules and values go-toml cannot check by type.
// badFunc builds the error for a bad value of key, with its line.
type badFunc func(key, format string, args ...any) error

func (c *Config) validate(data []byte) error {
	bad := func(key, format string, args ...any) error {
		return &ConfigError{File: c.Filename, Line: keyLine(data, key), Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	loopback, err := c.validateListen(bad)
	if err != nil {
		return err
	}
	for _, check := range []func(badFunc) error{
		func(bad badFunc) error { return c.validateAuth(bad, loopback) },
		c.validateStorage, c.validateUpload, c.validateLimits, c.validateProviders,
	} {
		if err := check(bad); err != nil {
			return err
		}
	}
	return nil
}

// validateListen checks listen and public_url, and says whether the
// backend listens on a loopback address only.
func (c *Config) validateListen(bad badFunc) (loopback bool, err error) {
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return false, bad("listen", "want host:port, got %q", c.Listen)
	}
	loopback = isLoopbackHost(host)
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return false, bad("public_url", "want an absolute http(s) URL, got %q", c.PublicURL)
		}
		if u.Scheme != "https" && !isLoopbackHost(u.Hostname()) {
			return false, bad("public_url", "must be https unless it is a loopback address")
		}
	} else if !loopback {
		return false, bad("public_url", "required when listen is not a loopback address")
	}
	return loopback, nil
}

func (c *Config) validateAuth(bad badFunc, loopback bool) error {
	switch c.Auth.Type {
	case "none":
		if !loopback {
			return bad("auth.type", `"none" is only allowed when listen is a loopback address (127.0.0.1 or [::1]), not %q`, c.Listen)
		}
	case "oidc":
		u, err := url.Parse(c.Auth.Issuer)
		if c.Auth.Issuer == "" || err != nil || u.Host == "" {
			return bad("auth.issuer", "an issuer URL is required for oidc")
		}
		if c.Auth.ClientID == "" {
			return bad("auth.client_id", "required for oidc (it is the audience of access tokens)")
		}
	default:
		return bad("auth.type", `want "oidc" or "none", got %q`, c.Auth.Type)
	}
	return nil
}

func (c *Config) validateStorage(bad badFunc) error {
	switch c.Storage.Driver {
	case "local":
		if c.Storage.Dir == "" {
			return bad("storage.dir", "required for the local driver")
		}
		if ttl := time.Duration(c.Storage.MultipartTTL); ttl != 0 && ttl < MaxURLLifetime {
			return bad("storage.multipart_ttl", "must be at least 15m (the longest URL lifetime), got %s", ttl)
		}
	case "s3":
		if c.Storage.Bucket == "" {
			return bad("storage.bucket", "required for the s3 driver")
		}
		if c.Storage.Endpoint != "" {
			if u, err := url.Parse(c.Storage.Endpoint); err != nil || u.Host == "" {
				return bad("storage.endpoint", "want an absolute URL, got %q", c.Storage.Endpoint)
			}
		}
	default:
		return bad("storage.driver", `want "s3" or "local", got %q`, c.Storage.Driver)
	}
	return nil
}

func (c *Config) validateUpload(bad badFunc) error {
	up := c.Upload
	if lt := time.Duration(up.URLLifetime); lt <= 0 || lt > MaxURLLifetime {
		return bad("upload.url_lifetime", "must be more than 0 and at most 15m, got %s", lt)
	} else if lt < 10*time.Second {
		return bad("upload.url_lifetime", "%s is too short to upload anything", lt)
	}
	if up.MaxFiles < 0 {
		return bad("upload.max_files", "must not be negative")
	}
	if up.MaxFileSize > 0 && up.MinFileSize > up.MaxFileSize {
		return bad("upload.min_file_size", "is larger than max_file_size")
	}
	if up.MultipartThreshold > 0 && up.MultipartThreshold < 5<<20 {
		return bad("upload.multipart_threshold", "must be at least 5MiB (the S3 minimum part size)")
	}
	for _, t := range up.AllowedTypes {
		if !api.ValidTypeRule(t) {
			return bad("upload.allowed_types", `%q is neither a MIME type ("image/png", "image/*") nor an extension (".pdf")`, t)
		}
	}
	if err := checkKeyTemplate(up.KeyTemplate); err != nil {
		return bad("upload.key_template", "%v", err)
	}
	switch up.Checksum {
	case "", "sha256":
	default:
		return bad("upload.checksum", `want "" or "sha256", got %q`, up.Checksum)
	}
	return nil
}

// validateLimits checks [limits], [cors] and [state].
func (c *Config) validateLimits(bad badFunc) error {
	if c.Limits.RequestsPerSecond <= 0 {
		return bad("limits.requests_per_second", "must be positive")
	}
	if c.Limits.Burst <= 0 {
		return bad("limits.burst", "must be positive")
	}
	if c.Limits.MaxBody < 1024 {
		return bad("limits.max_body", "must be at least 1KiB")
	}
	if c.Limits.BodyTimeout <= 0 {
		return bad("limits.body_timeout", "must be positive")
	}
	if c.Limits.MaxParts <= 0 || c.Limits.MaxParts > 10000 {
		return bad("limits.max_parts", "must be between 1 and 10000")
	}
	for _, o := range c.CORS.AllowedOrigins {
		if err := checkOrigin(o); err != nil {
			return bad("cors.allowed_origins", "%q: %v", o, err)
		}
	}
	return c.State.validate(bad)
}

func (c *Config) validateProviders(bad badFunc) error {
	for name, p := range c.Providers {
		key := "providers." + name
		if !validProviderName(name) {
			return bad(key, "provider names are lower-case letters, digits and '-'")
		}
		if p.ClientID == "" {
			return bad(key+".client_id", "required")
		}
		switch p.Exchange {
		case "", "pkce", "backend":
		default:
			return bad(key+".exchange", `want "pkce" or "backend", got %q`, p.Exchange)
		}
		switch p.RevokeAuth {
		case "", "form", "bearer":
		default:
			return bad(key+".revoke_auth", `want "form" or "bearer", got %q`, p.RevokeAuth)
		}
		if p.exchange() == api.ExchangeBackend {
			if p.ClientSecretEnv == "" {
				return bad(key+".client_secret_env", `required when exchange = "backend"`)
			}
			if tokenURL(name, p) == "" {
				return bad(key+".token_url", "required: no built-in default for provider %q", name)
			}
		}
		for _, k := range []struct{ key, v string }{{"token_url", p.TokenURL}, {"revoke_url", p.RevokeURL}} {
			if k.v == "" {
				continue
			}
			u, err := url.Parse(k.v)
			if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname()))) {
				return bad(key+"."+k.key, "want an https URL, got %q", k.v)
			}
		}
	}
	return nil
}

// checkOrigin accepts an exact browser origin: scheme, host and optional
// port, nothing else; https unless the host is a loopback address.
func checkOrigin(o string) error {
	if strings.Contains(o, "*") {
		return errors.New("wildcards are not allowed; list each origin")
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("want an origin like https://app.example.com")
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "/") {
		return errors.New("an origin has no path, query or trailing slash")
	}
	if u.Scheme != "https" && !isLoopbackHost(u.Hostname()) && u.Hostname() != "localhost" {
		return errors.New("must be https unless it is a loopback address")
	}
	return nil
}

func validProviderName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// isLoopbackHost reports whether host is a loopback IP literal. Names such as
// "localhost" are refused: they can resolve to anything.
func isLoopbackHost(host string) bool {
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// keyLine finds the line of a dotted key ("upload.url_lifetime") in TOML
// text that already parsed, so validation errors can name it. 0 if absent.
func keyLine(data []byte, dotted string) int {
	table, key := "", dotted
	if i := strings.LastIndex(dotted, "."); i >= 0 {
		table, key = dotted[:i], dotted[i+1:]
	}
	cur := ""
	tableLine := 0
	for n, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			name := strings.Trim(strings.SplitN(t, "#", 2)[0], "[] \t")
			cur = strings.ReplaceAll(strings.ReplaceAll(name, `"`, ""), " ", "")
			if cur == dotted {
				tableLine = n + 1
			}
			continue
		}
		if cur != table {
			continue
		}
		if i := strings.IndexByte(t, '='); i > 0 && strings.Trim(strings.TrimSpace(t[:i]), `"`) == key {
			return n + 1
		}
	}
	return tableLine
}
