package config

import (
	"errors"
	"flag"
	"slices"
	"strings"
)

// msgUnknownEnv is the warning for a FERRY_* variable that names no key.
const msgUnknownEnv = "not a Ferry setting; ignored"

// envLayer reads FERRY_<KEY> variables (FERRY_UPLOAD_CONCURRENCY) for the
// global keys. An empty variable counts as unset. Lists are comma-separated.
// Provider tables can only be set in files. Unknown FERRY_* variables are
// warnings rather than errors: other tools share the prefix.
func envLayer(env []string) (*layerData, []Warning, error) {
	byEnv := map[string]*keyDef{}
	for i := range keys {
		if k := &keys[i]; !k.isDynamic {
			byEnv[envName(k.name)] = k
		}
	}
	ld := &layerData{}
	var warnings []Warning
	var errs []error
	seen := map[string]bool{}
	// The last definition of a variable wins, as with getenv.
	for _, kv := range slices.Backward(env) {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "FERRY_") || seen[name] {
			continue
		}
		seen[name] = true
		if name == EnvAdminConfig || name == EnvUserConfig {
			continue
		}
		src := Source{Layer: LayerEnv, Name: name}
		def, ok := byEnv[name]
		if !ok {
			warnings = append(warnings, Warning{Source: src, Key: name, Msg: msgUnknownEnv})
			continue
		}
		if val == "" {
			continue
		}
		v, err := def.fromText(val)
		if err != nil {
			errs = append(errs, &Error{Source: src, Key: def.name, Err: err})
			continue
		}
		ld.assigns = append(ld.assigns, assignment{key: def.name, def: def, value: v, src: src})
	}
	slices.SortFunc(ld.assigns, func(a, b assignment) int { return strings.Compare(a.src.Name, b.src.Name) })
	slices.SortFunc(warnings, func(a, b Warning) int { return strings.Compare(a.Key, b.Key) })
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, nil, errors.Join(errs...)
	}
	return ld, warnings, nil
}

// Flags holds configuration given on the command line. Get one from
// BindFlags, or build one with NewFlags and Set for another flag parser.
// The zero value and nil hold nothing.
type Flags struct {
	set []flagSetting
}

type flagSetting struct {
	key, flag, value string
}

// NewFlags returns an empty Flags.
func NewFlags() *Flags { return &Flags{} }

// BindFlags registers one flag per global key on fs: --backend,
// --upload-concurrency, --upload-part-concurrency, --ui-theme,
// --ui-show-hidden (a boolean flag) and so on: the key with "." and "_"
// turned into "-". Only flags given on the command line count; a bad value
// fails fs.Parse with the key's own message. Pass the result as
// Options.Flags after fs.Parse.
func BindFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	for i := range keys {
		k := &keys[i]
		if k.isDynamic {
			continue
		}
		fs.Var(&flagValue{f: f, k: k}, flagName(k.name), k.doc+" (config key "+k.name+")")
	}
	return f
}

// Set records key=value as if its flag had been given. key is a canonical
// global key name ("upload.concurrency").
func (f *Flags) Set(key, value string) error {
	def, _, ok := lookupKey(key)
	if !ok || def.isDynamic {
		return &Error{Source: Source{Layer: LayerFlag, Name: "--" + flagName(key)}, Key: key, Err: errUnknownKey}
	}
	if _, err := def.fromText(value); err != nil {
		return &Error{Source: Source{Layer: LayerFlag, Name: "--" + flagName(key)}, Key: key, Err: err}
	}
	f.set = append(f.set, flagSetting{key: key, flag: "--" + flagName(key), value: value})
	return nil
}

func (f *Flags) layer() (*layerData, error) {
	ld := &layerData{}
	if f == nil {
		return ld, nil
	}
	var errs []error
	for _, s := range f.set {
		def, _, _ := lookupKey(s.key)
		src := Source{Layer: LayerFlag, Name: s.flag}
		v, err := def.fromText(s.value)
		if err != nil {
			errs = append(errs, &Error{Source: src, Key: s.key, Err: err})
			continue
		}
		ld.assigns = append(ld.assigns, assignment{key: s.key, def: def, value: v, src: src})
	}
	return ld, errors.Join(errs...)
}

// flagValue is the flag.Value behind each bound flag.
type flagValue struct {
	f *Flags
	k *keyDef
}

func (v *flagValue) String() string {
	if v == nil || v.k == nil {
		return ""
	}
	return v.k.toText(v.k.def)
}

func (v *flagValue) Set(s string) error {
	if _, err := v.k.fromText(s); err != nil {
		return err
	}
	v.f.set = append(v.f.set, flagSetting{key: v.k.name, flag: "--" + flagName(v.k.name), value: s})
	return nil
}

func (v *flagValue) IsBoolFlag() bool { return v.k.boolFlag }
