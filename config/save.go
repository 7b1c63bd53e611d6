package config

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/ferry-app/ferry/internal/atomicfile"
)

// SetUser sets key to value in the user file and updates c. value is in the
// text form of Entry.Value (lists comma-separated); "" removes the key from
// the user file so that weaker sources apply again. Other keys, comments and
// layout are kept; the file is replaced atomically with mode 0600. Nothing is
// written when the result would not load.
//
// A key the administrator locked is refused with an error matching ErrLocked
// (a *LockedError), without touching the file. Note that an environment
// variable or flag for key still wins over the user file; Entries shows it.
func (c *Config) SetUser(key, value string) error {
	return c.SetUserAll(map[string]string{key: value})
}

// SetUserAll is SetUser for several keys in one write, for changes that only
// make sense together (a new provider's type and url).
func (c *Config) SetUserAll(values map[string]string) error {
	src := Source{Layer: LayerUser, Path: c.userPath}
	type edit struct {
		key   string
		value any // nil: remove
	}
	var edits []edit
	for _, key := range slices.Sorted(maps.Keys(values)) {
		def, _, ok := lookupKey(key)
		if !ok {
			return &Error{Source: src, Key: key, Err: errUnknownKey}
		}
		if l, locked := c.lockFor(key); locked {
			return &LockedError{Key: key, By: l.src}
		}
		e := edit{key: key}
		if values[key] != "" {
			v, err := def.fromText(values[key])
			if err != nil {
				return &Error{Source: src, Key: key, Err: err}
			}
			e.value = v
		}
		edits = append(edits, e)
	}

	data, err := os.ReadFile(c.userPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return &Error{Source: src, Err: fmt.Errorf("cannot read: %w", err)}
	}
	for _, e := range edits {
		if data, err = editKey(data, e.key, e.value); err != nil {
			return &Error{Source: src, Key: e.key, Err: err}
		}
	}
	ld, err := parseFile(data, c.userPath, LayerUser)
	if err != nil {
		return err
	}
	prev := c.layers[LayerUser]
	c.layers[LayerUser] = ld
	if err := c.resolve(); err != nil {
		c.layers[LayerUser] = prev
		_ = c.resolve() // it resolved before
		return err
	}
	if err := writeFileAtomic(c.userPath, data); err != nil {
		c.layers[LayerUser] = prev
		_ = c.resolve()
		return &Error{Source: src, Err: err}
	}
	return nil
}

// editKey returns doc with key set to value (nil: removed). It edits the
// text in place when it can and otherwise re-encodes the document, which
// loses comments; either way the result must parse back to the new value.
func editKey(doc []byte, key string, value any) ([]byte, error) {
	parts := strings.Split(key, ".")
	var lit string
	if value != nil {
		b, err := toml.Marshal(map[string]any{"v": value})
		if err != nil {
			return nil, err
		}
		lit = strings.TrimSpace(strings.TrimPrefix(string(b), "v = "))
	}
	if out, ok := editText(doc, parts, lit, value == nil); ok && holds(out, parts, value) {
		return out, nil
	}
	// Re-encode: the key lives in an inline table or the text is unusual.
	var m map[string]any
	if err := toml.Unmarshal(doc, &m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	setNested(m, parts, value)
	out, err := toml.Marshal(m)
	if err != nil {
		return nil, err
	}
	if !holds(out, parts, value) {
		return nil, errors.New("cannot update the file")
	}
	return out, nil
}

// holds reports whether doc decodes with parts set to value (nil: absent).
func holds(doc []byte, parts []string, value any) bool {
	var m map[string]any
	if toml.Unmarshal(doc, &m) != nil {
		return false
	}
	var cur any = m
	for _, p := range parts {
		t, ok := cur.(map[string]any)
		if !ok {
			return value == nil
		}
		if cur, ok = t[p]; !ok {
			return value == nil
		}
	}
	if value == nil {
		return false
	}
	want, err := toml.Marshal(map[string]any{"v": value})
	if err != nil {
		return false
	}
	got, err := toml.Marshal(map[string]any{"v": cur})
	return err == nil && bytes.Equal(want, got)
}

func setNested(m map[string]any, parts []string, value any) {
	for _, p := range parts[:len(parts)-1] {
		sub, ok := m[p].(map[string]any)
		if !ok {
			if value == nil {
				return
			}
			sub = map[string]any{}
			m[p] = sub
		}
		m = sub
	}
	last := parts[len(parts)-1]
	if value == nil {
		delete(m, last)
	} else {
		m[last] = value
	}
}

// editText changes the document's text: it replaces or deletes the line of
// an existing `key = value`, or adds one to the table the key belongs in
// (creating the table at the end when there is none).
func editText(doc []byte, parts []string, lit string, remove bool) ([]byte, bool) {
	type kv struct {
		start, end int // the key-value's bytes
		own        []string
	}
	var (
		p          unstable.Parser
		table      []string
		found      *kv
		headers    = map[string]int{} // table path → end of its last line
		firstTable = -1               // start of the first header
		topEnd     = -1               // end of the last top-level key-value
	)
	lineEnd := func(off int) int {
		if i := bytes.IndexByte(doc[off:], '\n'); i >= 0 {
			return off + i + 1
		}
		return len(doc)
	}
	p.Reset(doc)
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			var off uint32
			table, off = keyParts(e.Key())
			start := bytes.LastIndexByte(doc[:off], '[')
			if e.Kind == unstable.ArrayTable {
				start--                      // "[[" is one token
				table = []string{"\x00[[]]"} // matches no key: never edit inside
			} else {
				headers[pathKey(table)] = lineEnd(int(off))
			}
			if firstTable < 0 {
				firstTable = start
			}
		case unstable.KeyValue:
			own, _ := keyParts(e.Key())
			full := append(slices.Clip(table), own...)
			start, end := int(e.Raw.Offset), int(e.Raw.Offset+e.Raw.Length)
			if slices.Equal(full, parts) {
				found = &kv{start: start, end: end, own: own}
			}
			if table == nil && firstTable < 0 {
				topEnd = lineEnd(end)
			} else if table != nil {
				headers[pathKey(table)] = lineEnd(end)
			}
		}
	}
	if p.Error() != nil {
		return nil, false
	}
	var out []byte
	splice := func(at, to int, s string) []byte {
		return slices.Concat(doc[:at], []byte(s), doc[to:])
	}
	switch {
	case found != nil && remove:
		lineStart := bytes.LastIndexByte(doc[:found.start], '\n') + 1
		out = splice(lineStart, lineEnd(found.end), "")
	case found != nil:
		out = splice(found.start, found.end, strings.Join(found.own, ".")+" = "+lit)
	case remove:
		return doc, true
	default:
		// The longest table header that holds the key.
		for n := len(parts) - 1; n >= 1; n-- {
			if at, ok := headers[pathKey(parts[:n])]; ok {
				line := strings.Join(parts[n:], ".") + " = " + lit + "\n"
				if at > 0 && doc[at-1] != '\n' {
					line = "\n" + line
				}
				return splice(at, at, line), true
			}
		}
		line := strings.Join(parts[len(parts)-1:], ".") + " = " + lit + "\n"
		if len(parts) == 1 {
			// Top-level keys go before the first table.
			switch {
			case topEnd >= 0:
				if topEnd > 0 && doc[topEnd-1] != '\n' {
					line = "\n" + line
				}
				return splice(topEnd, topEnd, line), true
			case firstTable >= 0:
				// Right after the preamble, before blank lines that
				// separate it from the first table.
				at := firstTable
				for at >= 2 && doc[at-1] == '\n' && doc[at-2] == '\n' {
					at--
				}
				if at == firstTable {
					line += "\n"
				}
				return splice(at, at, line), true
			}
		}
		prefix := "\n"
		if len(doc) == 0 {
			prefix = ""
		} else if doc[len(doc)-1] != '\n' {
			prefix = "\n\n"
		}
		if len(parts) > 1 {
			line = "[" + strings.Join(parts[:len(parts)-1], ".") + "]\n" + line
		} else {
			prefix = strings.TrimPrefix(prefix, "\n") // top level of a file with no tables
		}
		out = slices.Concat(doc, []byte(prefix+line))
	}
	return out, true
}

// writeFileAtomic replaces the user file with data (0600, its directory
// created first): a crash leaves the old file or the new one, never half.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o600)
}
