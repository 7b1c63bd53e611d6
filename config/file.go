package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// layerData is what one source contributes.
type layerData struct {
	assigns []assignment
	// decls are provider tables the source names, even empty ones, so that
	// `[providers.nas]` alone (type defaults to its name) still declares it.
	decls []assignment
	// locked is the admin file's `locked` list.
	locked []lockEntry
	// found: the file existed (readFile); a missing file is an empty layer.
	found bool
}

// assignment is one key set by one source, already parsed and validated.
type assignment struct {
	key   string // canonical: "providers.acme.url"
	def   *keyDef
	wild  string
	value any
	src   Source
}

type lockEntry struct {
	key string
	src Source
}

// readFile reads and parses a config file of the given layer. A missing file
// is an empty layer; any other read failure is an error.
func readFile(path string, layer Layer) (*layerData, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &layerData{}, nil
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the message
		}
		return nil, &Error{Source: Source{Layer: layer, Path: path}, Err: fmt.Errorf("cannot read: %w", err)}
	}
	ld, err := parseFile(data, path, layer)
	if ld != nil {
		ld.found = true
	}
	return ld, err
}

// parseFile decodes a TOML document with go-toml (which reports syntax errors
// and duplicate keys with positions), then checks every key against the key
// table, taking line numbers from go-toml's parser.
func parseFile(data []byte, path string, layer Layer) (*layerData, error) {
	at := func(line int) Source { return Source{Layer: layer, Path: path, Line: line} }

	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return nil, &Error{Source: at(row), Err: errors.New("invalid TOML: " + strings.TrimPrefix(de.Error(), "toml: "))}
		}
		return nil, &Error{Source: at(0), Err: fmt.Errorf("invalid TOML: %w", err)}
	}
	lines := keyLines(data)

	ld := &layerData{}
	var errs []*Error
	fail := func(line int, key string, err error) {
		errs = append(errs, &Error{Source: at(line), Key: key, Err: err})
	}

	var walk func(m map[string]any, parts []string)
	walk = func(m map[string]any, parts []string) {
		for _, k := range sortedKeys(m) {
			v := m[k]
			p := append(slices.Clip(parts), k)
			line := lines.lineOf(p)
			name := displayKey(p)

			if len(p) == 1 && k == "locked" {
				if layer != LayerAdmin && layer != LayerAdminEnv {
					fail(line, name, errors.New("only allowed in the admin file"))
					continue
				}
				le, err := parseLocked(v, at(line))
				if err != nil {
					fail(line, name, err)
					continue
				}
				ld.locked = append(ld.locked, le...)
				continue
			}
			if !bareParts(p) {
				fail(line, name, errUnknownKey)
				continue
			}
			if sub, ok := v.(map[string]any); ok && isTable(name) {
				if _, wild, ok := lookupKey(name + ".type"); ok && wild != "" {
					ld.decls = append(ld.decls, assignment{key: name, wild: wild, src: at(line)})
				}
				walk(sub, p)
				continue
			}
			def, wild, ok := lookupKey(name)
			if !ok {
				if isTable(name) {
					fail(line, name, typeError("a table", v))
				} else {
					fail(line, name, errUnknownKey)
				}
				continue
			}
			val, err := def.fromTOML(v)
			if err != nil {
				fail(line, name, err)
				continue
			}
			ld.assigns = append(ld.assigns, assignment{key: name, def: def, wild: wild, value: val, src: at(line)})
		}
	}
	walk(doc, nil)

	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b *Error) int { return a.Source.Line - b.Source.Line })
		joined := make([]error, len(errs))
		for i, e := range errs {
			joined[i] = e
		}
		return nil, errors.Join(joined...)
	}
	slices.SortStableFunc(ld.assigns, func(a, b assignment) int { return a.src.Line - b.src.Line })
	slices.SortStableFunc(ld.decls, func(a, b assignment) int { return a.src.Line - b.src.Line })
	return ld, nil
}

func parseLocked(v any, src Source) ([]lockEntry, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, typeError("an array of key names", v)
	}
	var out []lockEntry
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, typeError("an array of key names", v)
		}
		if _, _, known := lookupKey(s); !known && !isTable(s) {
			return nil, fmt.Errorf("%q is not a key", s)
		}
		out = append(out, lockEntry{key: s, src: src})
	}
	return out, nil
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// bareParts reports whether every part of a key is a bare TOML key, so that
// joining them with dots is unambiguous (a quoted "upload.concurrency" is
// not the key upload.concurrency).
func bareParts(parts []string) bool {
	for _, p := range parts {
		if !validName(p) {
			return false
		}
	}
	return true
}

// displayKey joins key parts with dots, quoting parts that are not bare.
func displayKey(parts []string) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		if validName(p) {
			s[i] = p
		} else {
			s[i] = fmt.Sprintf("%q", p)
		}
	}
	return strings.Join(s, ".")
}

// lineIndex maps a key path (parts joined by NUL) to the line that defines it.
type lineIndex map[string]int

func pathKey(parts []string) string { return strings.Join(parts, "\x00") }

// lineOf is the line of a key, or for a table only defined implicitly (by
// [providers.x] or a dotted key), the first line inside it.
func (li lineIndex) lineOf(parts []string) int {
	k := pathKey(parts)
	if l, ok := li[k]; ok {
		return l
	}
	best := 0
	for p, l := range li {
		if strings.HasPrefix(p, k+"\x00") && (best == 0 || l < best) {
			best = l
		}
	}
	return best
}

// keyLines walks the document with go-toml's parser and records the line of
// every key, table header and inline-table key. The document must already
// have decoded without error.
func keyLines(data []byte) lineIndex {
	li := lineIndex{}
	lineAt := func(off uint32) int { return bytes.Count(data[:off], []byte("\n")) + 1 }
	record := func(parts []string, line int) {
		for i := 1; i <= len(parts); i++ {
			if _, ok := li[pathKey(parts[:i])]; !ok {
				li[pathKey(parts[:i])] = line
			}
		}
	}
	var keyVal func(prefix []string, n *unstable.Node)
	keyVal = func(prefix []string, n *unstable.Node) {
		parts, off := keyParts(n.Key())
		full := append(slices.Clip(prefix), parts...)
		record(full, lineAt(off))
		if v := n.Value(); v.Kind == unstable.InlineTable {
			for it := v.Children(); it.Next(); {
				if c := it.Node(); c.Kind == unstable.KeyValue {
					keyVal(full, c)
				}
			}
		}
	}

	var p unstable.Parser
	p.Reset(data)
	var table []string
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			var off uint32
			table, off = keyParts(e.Key())
			record(table, lineAt(off))
		case unstable.KeyValue:
			keyVal(table, e)
		}
	}
	return li
}

func keyParts(it unstable.Iterator) ([]string, uint32) {
	var parts []string
	var off uint32
	for first := true; it.Next(); first = false {
		n := it.Node()
		if first {
			off = n.Raw.Offset
		}
		parts = append(parts, string(n.Data))
	}
	return parts, off
}
