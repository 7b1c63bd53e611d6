package config

import (
	"errors"
	"fmt"
)

// Layer names a configuration source, weakest first.
type Layer int

// The layers in precedence order: a later one overrides an earlier one,
// except that nothing after LayerAdmin may override a locked key, and the
// admin file $FERRY_ADMIN_CONFIG names (LayerAdminEnv) may not override a
// key the platform admin file locks.
const (
	LayerDefault Layer = iota
	LayerDiscovery
	// LayerAdminEnv is the second admin file, named by FERRY_ADMIN_CONFIG:
	// weaker than the platform one, so it can add settings and locks but
	// never loosen or replace the platform file's.
	LayerAdminEnv
	LayerAdmin
	LayerUser
	LayerEnv
	LayerFlag
)

func (l Layer) String() string {
	switch l {
	case LayerDefault:
		return "default"
	case LayerDiscovery:
		return "discovery"
	case LayerAdmin, LayerAdminEnv:
		return "admin file"
	case LayerUser:
		return "user file"
	case LayerEnv:
		return "env"
	case LayerFlag:
		return "flag"
	}
	return fmt.Sprintf("layer(%d)", int(l))
}

// Source says where a value came from.
type Source struct {
	Layer Layer
	// Path and Line locate a value from a file (LayerAdmin, LayerAdminEnv, LayerUser).
	Path string
	Line int
	// Name is the environment variable (FERRY_BACKEND) or the flag (--backend).
	Name string
}

// String is the form `ferry doctor` prints: "default", "discovery",
// "admin file /etc/ferry/config.toml:3", "env FERRY_BACKEND", "flag --backend".
func (s Source) String() string {
	switch s.Layer {
	case LayerAdmin, LayerAdminEnv, LayerUser:
		return s.Layer.String() + " " + s.position()
	case LayerEnv, LayerFlag:
		return s.Layer.String() + " " + s.Name
	}
	return s.Layer.String()
}

// position is "path:line", the prefix of a file error.
func (s Source) position() string {
	if s.Line > 0 {
		return fmt.Sprintf("%s:%d", s.Path, s.Line)
	}
	return s.Path
}

// Error is a bad configuration value or an unknown key. Its message names
// the place first, the way compilers do:
//
//	/etc/ferry/config.toml:7: upload.concurrency: must be between 1 and 32 (got 0)
//	env FERRY_UI_THEME: ui.theme: must be one of system, light, dark (got "blue")
//	flag --backend: backend: must use https …
//
// Load joins several of them with errors.Join; use errors.As to get one.
type Error struct {
	Source Source
	Key    string // canonical key name; "" for a syntax error
	Err    error
}

func (e *Error) Error() string {
	var where string
	switch e.Source.Layer {
	case LayerAdmin, LayerAdminEnv, LayerUser:
		where = e.Source.position()
	default:
		where = e.Source.String()
	}
	if e.Key == "" {
		return where + ": " + e.Err.Error()
	}
	return where + ": " + e.Key + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// errUnknownKey is wrapped by an Error for a key the table does not define.
var errUnknownKey = errors.New("unknown key")

// ErrLocked is returned (wrapped in a *LockedError) when a key the
// administrator locked is set; the UI shows it as "Set by your administrator".
var ErrLocked = errors.New("set by your administrator")

// LockedError says which key was locked and where the administrator set it.
type LockedError struct {
	Key string
	By  Source // where the effective value came from
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s: locked by the administrator (%s)", e.Key, e.By.Path)
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Warning reports a value that was not used: a source after the admin file
// tried to set a locked key, or an unknown FERRY_* environment variable.
type Warning struct {
	Source Source
	Key    string
	Msg    string
}

func (w Warning) String() string {
	return w.Source.String() + ": " + w.Key + ": " + w.Msg
}

// Entry is one key as `ferry doctor` and the Settings screen show it.
type Entry struct {
	Key    string
	Value  string // text form; SetUser accepts it back
	Doc    string
	Source Source
	Locked bool
}
