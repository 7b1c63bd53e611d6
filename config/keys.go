package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// keys is the one table of configuration keys. Adding a key means adding a
// field to Config (or Provider) and one line here: the file parser, the
// environment, the flags, the layering, locking, SetUser and Entries all work
// from this table. A "*" segment matches one name (the provider's).
//
// Order matters: it is the order of Entries and of the flags' help text.
var keys = []keyDef{
	urlKey("backend", "backend URL; unset: the embedded local backend on 127.0.0.1",
		global(func(c *Config) *string { return &c.Backend }), ValidateBackendURL),

	intKey("upload.concurrency", "files uploaded at the same time", 4, 1, 32,
		global(func(c *Config) *int { return &c.Upload.Concurrency })),
	intKey("upload.part_concurrency", "parts of one file uploaded at the same time", 4, 1, 32,
		global(func(c *Config) *int { return &c.Upload.PartConcurrency })),
	sizeKey("upload.multipart_threshold", "files at least this large are uploaded in parts", 100<<20, 1<<20, 5<<30,
		global(func(c *Config) *int64 { return &c.Upload.MultipartThreshold })),
	sizeKey("upload.max_file_size", "largest file the backend accepts (0: no limit)", 0, 0, 1<<50,
		global(func(c *Config) *int64 { return &c.Upload.MaxFileSize })),
	intKey("upload.max_files", "most files in one batch (0: no limit)", 0, 0, 1_000_000,
		global(func(c *Config) *int { return &c.Upload.MaxFiles })),
	listKey("upload.allowed_types", "MIME types (image/*) or extensions (.pdf) the backend accepts; empty: any",
		global(func(c *Config) *[]string { return &c.Upload.AllowedTypes }), checkAllowedType),

	enumKey("ui.theme", "colour theme", "system", []string{"system", "light", "dark"},
		global(func(c *Config) *string { return &c.UI.Theme })),
	enumKey("ui.language", "language of the interface", "system", []string{"system", "en", "de"},
		global(func(c *Config) *string { return &c.UI.Language })),
	intKey("ui.thumbnail_cache_mb", "size of the thumbnail cache in MiB (0: no cache)", 256, 0, 10240,
		global(func(c *Config) *int { return &c.UI.ThumbnailCacheMB })),
	boolKey("ui.show_hidden", "show hidden files and folders", false,
		global(func(c *Config) *bool { return &c.UI.ShowHidden })),
	boolKey("ui.upload_at_once", "upload dropped files at once instead of showing them for review first", false,
		global(func(c *Config) *bool { return &c.UI.UploadAtOnce })),

	enumKey("providers.*.type", "kind of source; defaults to the provider's name when that is a kind", "",
		ProviderTypes, provider(func(p *Provider) *string { return &p.Type })),
	// A WebDAV server gets a password with every request: https, as for
	// bearer tokens (http only on a loopback address).
	urlKey("providers.*.url", "server URL (webdav)",
		provider(func(p *Provider) *string { return &p.URL }), ValidateBackendURL),
	stringKey("providers.*.client_id", "public OAuth client ID",
		provider(func(p *Provider) *string { return &p.ClientID })),
	enumKey("providers.*.exchange", "who exchanges the OAuth code: pkce (the app) or backend", "",
		[]string{"pkce", "backend"}, provider(func(p *Provider) *string { return &p.Exchange })),
	stringKey("providers.*.tenant", "Microsoft Entra tenant (onedrive)",
		provider(func(p *Provider) *string { return &p.Tenant })),
	portsKey("providers.*.ports", "fixed loopback ports registered as redirect URIs",
		provider(func(p *Provider) *[]int { return &p.Ports })),
	listKey("providers.*.scopes", "OAuth scopes to request",
		provider(func(p *Provider) *[]string { return &p.Scopes }), nil),
	urlKey("providers.*.api_url", "replaces the provider's API root (national clouds, tests)",
		provider(func(p *Provider) *string { return &p.APIURL }), ValidateBackendURL),
	urlKey("providers.*.auth_url", "replaces the provider's authorization server root (national clouds, tests)",
		provider(func(p *Provider) *string { return &p.AuthURL }), ValidateBackendURL),
}

// ProviderTypes are the accepted values of providers.<name>.type.
var ProviderTypes = []string{"local", "webdav", "gdrive", "dropbox", "onedrive", "box"}

// keyDef is one row of the key table. Values travel as any between the
// parse and set functions; the typed constructors below keep them consistent.
type keyDef struct {
	name string
	doc  string
	// def is the built-in default; nil for provider keys (no default layer).
	def       any
	boolFlag  bool
	fromTOML  func(v any) (any, error)    // a decoded TOML value
	fromText  func(s string) (any, error) // env, flag and SetUser text
	toText    func(v any) string          // inverse of fromText
	set       func(c *Config, name string, v any)
	get       func(c *Config, name string) any
	isDynamic bool
}

// field reaches a Config field; name is the "*" part of the key ("" for
// global keys).
type field[T any] func(c *Config, name string) *T

func global[T any](f func(*Config) *T) field[T] {
	return func(c *Config, _ string) *T { return f(c) }
}

func provider[T any](f func(*Provider) *T) field[T] {
	return func(c *Config, name string) *T { return f(c.provider(name)) }
}

func mk[T any](name, doc string, def T, f field[T],
	fromTOML func(any) (T, error), fromText func(string) (T, error),
	check func(T) error, toText func(T) string) keyDef {
	validated := func(v T, err error) (any, error) {
		if err == nil && check != nil {
			err = check(v)
		}
		if err != nil {
			return nil, err
		}
		return v, nil
	}
	k := keyDef{
		name:      name,
		doc:       doc,
		isDynamic: strings.Contains(name, "*"),
		fromTOML:  func(v any) (any, error) { return validated(fromTOML(v)) },
		fromText:  func(s string) (any, error) { return validated(fromText(s)) },
		toText:    func(v any) string { return toText(v.(T)) },
		set:       func(c *Config, n string, v any) { *f(c, n) = v.(T) },
		get:       func(c *Config, n string) any { return *f(c, n) },
	}
	if !k.isDynamic {
		k.def = def
	}
	return k
}

func intKey(name, doc string, def, lo, hi int, f field[int]) keyDef {
	check := func(v int) error {
		if v < lo || v > hi {
			return fmt.Errorf("must be between %d and %d (got %d)", lo, hi, v)
		}
		return nil
	}
	return mk(name, doc, def, f, tomlInt, textInt, check, strconv.Itoa)
}

func sizeKey(name, doc string, def, lo, hi int64, f field[int64]) keyDef {
	check := func(v int64) error {
		if v < lo || v > hi {
			return fmt.Errorf("must be between %s and %s (got %s)", formatSize(lo), formatSize(hi), formatSize(v))
		}
		return nil
	}
	fromTOML := func(v any) (int64, error) {
		switch x := v.(type) {
		case int64:
			return x, nil
		case string:
			return parseSize(x)
		}
		return 0, typeError("a size in bytes or a string such as \"100MiB\"", v)
	}
	return mk(name, doc, def, f, fromTOML, parseSize, check, formatSize)
}

func boolKey(name, doc string, def bool, f field[bool]) keyDef {
	fromTOML := func(v any) (bool, error) {
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return false, typeError("true or false", v)
	}
	fromText := func(s string) (bool, error) {
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return false, fmt.Errorf("must be true or false (got %q)", s)
		}
		return b, nil
	}
	k := mk(name, doc, def, f, fromTOML, fromText, nil, strconv.FormatBool)
	k.boolFlag = true
	return k
}

func stringKey(name, doc string, f field[string]) keyDef {
	return mk(name, doc, "", f, tomlString, func(s string) (string, error) { return s, nil }, nil, identity)
}

func enumKey(name, doc, def string, allowed []string, f field[string]) keyDef {
	check := func(v string) error {
		if !slices.Contains(allowed, v) {
			return fmt.Errorf("must be one of %s (got %q)", strings.Join(allowed, ", "), v)
		}
		return nil
	}
	return mk(name, doc, def, f, tomlString, func(s string) (string, error) { return strings.TrimSpace(s), nil }, check, identity)
}

// urlKey is a string key whose value, when not empty, must pass validate.
// An empty value means "unset".
func urlKey(name, doc string, f field[string], validate func(string) error) keyDef {
	check := func(v string) error {
		if v == "" {
			return nil
		}
		return validate(v)
	}
	return mk(name, doc, "", f, tomlString, func(s string) (string, error) { return strings.TrimSpace(s), nil }, check, identity)
}

// listKey is a list of strings; in text form it is comma-separated.
func listKey(name, doc string, f field[[]string], checkItem func(string) error) keyDef {
	fromTOML := func(v any) ([]string, error) {
		arr, ok := v.([]any)
		if !ok {
			return nil, typeError("an array of strings", v)
		}
		out := make([]string, 0, len(arr))
		for _, e := range arr {
			s, ok := e.(string)
			if !ok {
				return nil, typeError("an array of strings", v)
			}
			out = append(out, s)
		}
		return out, nil
	}
	check := func(v []string) error {
		for _, s := range v {
			if s == "" {
				return fmt.Errorf("must not contain an empty string")
			}
			if checkItem != nil {
				if err := checkItem(s); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return mk(name, doc, nil, f, fromTOML, splitList, check, func(v []string) string { return strings.Join(v, ",") })
}

func portsKey(name, doc string, f field[[]int]) keyDef {
	fromTOML := func(v any) ([]int, error) {
		arr, ok := v.([]any)
		if !ok {
			return nil, typeError("an array of integers", v)
		}
		out := make([]int, 0, len(arr))
		for _, e := range arr {
			n, ok := e.(int64)
			if !ok {
				return nil, typeError("an array of integers", v)
			}
			out = append(out, clampInt(n))
		}
		return out, nil
	}
	fromText := func(s string) ([]int, error) {
		var out []int
		parts, _ := splitList(s)
		for _, p := range parts {
			n, err := textInt(p)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	}
	check := func(v []int) error {
		for _, p := range v {
			if p < 1 || p > 65535 {
				return fmt.Errorf("ports must be between 1 and 65535 (got %d)", p)
			}
		}
		return nil
	}
	toText := func(v []int) string {
		s := make([]string, len(v))
		for i, p := range v {
			s[i] = strconv.Itoa(p)
		}
		return strings.Join(s, ",")
	}
	return mk(name, doc, nil, f, fromTOML, fromText, check, toText)
}

func identity(s string) string { return s }

func tomlInt(v any) (int, error) {
	n, ok := v.(int64)
	if !ok {
		return 0, typeError("an integer", v)
	}
	return clampInt(n), nil
}

// clampInt keeps huge TOML integers huge on 32-bit platforms so that range
// checks still refuse them.
func clampInt(n int64) int {
	const maxInt = int64(^uint(0) >> 1)
	switch {
	case n > maxInt:
		return int(maxInt)
	case n < -maxInt-1:
		return int(-maxInt - 1)
	}
	return int(n)
}

func textInt(s string) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("must be an integer (got %q)", s)
	}
	return clampInt(n), nil
}

func tomlString(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", typeError("a string", v)
	}
	return s, nil
}

func splitList(s string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

func typeError(want string, got any) error {
	return fmt.Errorf("must be %s (got %s)", want, tomlTypeName(got))
}

func tomlTypeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}

func checkAllowedType(s string) error {
	// No comma in either form: the text form of the list is comma-separated,
	// and ".a,b" would read back as two types.
	if strings.HasPrefix(s, ".") && len(s) > 1 && !strings.ContainsAny(s, "/ ,") {
		return nil
	}
	if typ, sub, ok := strings.Cut(s, "/"); ok && typ != "" && sub != "" && !strings.ContainsAny(s, " ,") {
		return nil
	}
	return fmt.Errorf("must be a MIME type such as image/* or an extension such as .pdf (got %q)", s)
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
}

// parseSize reads "5368709120", "100MiB", "5 GiB" or "1GB".
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("must be a size such as 104857600 or \"100MiB\" (got %q)", s)
	}
	return n * mult, nil
}

// formatSize is the inverse of parseSize: exact binary units where possible.
func formatSize(n int64) string {
	for _, u := range sizeUnits[:4] {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// lookupKey finds the definition of a canonical key name such as
// "upload.concurrency" or "providers.acme.url", and the "*" part.
func lookupKey(name string) (*keyDef, string, bool) {
	parts := strings.Split(name, ".")
	for i := range keys {
		if wild, ok := matchKey(keys[i].name, parts); ok {
			return &keys[i], wild, true
		}
	}
	return nil, "", false
}

func matchKey(pattern string, parts []string) (string, bool) {
	pp := strings.Split(pattern, ".")
	if len(pp) != len(parts) {
		return "", false
	}
	wild := ""
	for i, p := range pp {
		switch {
		case p == "*" && validName(parts[i]):
			wild = parts[i]
		case p != parts[i]:
			return "", false
		}
	}
	return wild, true
}

// isTable reports whether name is a table in the key space ("upload",
// "providers", "providers.acme").
func isTable(name string) bool {
	parts := strings.Split(name, ".")
	for _, k := range keys {
		pp := strings.Split(k.name, ".")
		if len(pp) <= len(parts) {
			continue
		}
		if _, ok := matchKey(strings.Join(pp[:len(parts)], "."), parts); ok {
			return true
		}
	}
	return false
}

// validName is what a provider name may be: a bare TOML key that also reads
// well in a key name and a sign-in account ("acme-cloud", "gdrive").
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// envName is the environment variable of a global key: FERRY_UPLOAD_CONCURRENCY.
func envName(key string) string {
	return "FERRY_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// flagName is the command-line flag of a global key: upload-concurrency.
func flagName(key string) string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(key)
}
