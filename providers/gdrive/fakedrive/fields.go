package fakedrive

import (
	"fmt"
	"strings"
)

// mask is a parsed `fields` selection (Google's FieldMask syntax:
// "a,b(c,d),e/f"). A nil sub-mask selects the whole value.
type mask map[string]mask

// parseMask parses a fields parameter.
func parseMask(s string) (mask, error) {
	p := &maskParser{s: s}
	m, err := p.list()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.s) {
		return nil, fmt.Errorf("Invalid field selection %s", s)
	}
	return m, nil
}

type maskParser struct {
	s string
	i int
}

func (p *maskParser) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *maskParser) list() (mask, error) {
	m := mask{}
	for {
		if err := p.item(m); err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		return m, nil
	}
}

func (p *maskParser) name() (string, error) {
	p.skipSpace()
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(",()/ ", rune(p.s[p.i])) {
		p.i++
	}
	if p.i == start {
		return "", fmt.Errorf("Invalid field selection %s", p.s)
	}
	return p.s[start:p.i], nil
}

// item parses path['('list')'] into m.
func (p *maskParser) item(m mask) error {
	n, err := p.name()
	if err != nil {
		return err
	}
	path := []string{n}
	for p.i < len(p.s) && p.s[p.i] == '/' {
		p.i++
		n, err := p.name()
		if err != nil {
			return err
		}
		path = append(path, n)
	}
	var leaf mask
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		if leaf, err = p.list(); err != nil {
			return err
		}
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return fmt.Errorf("Invalid field selection %s", p.s)
		}
		p.i++
	}
	cur := m
	for i, k := range path {
		last := i == len(path)-1
		sub, seen := cur[k]
		switch {
		case last && leaf == nil:
			cur[k] = nil // whole value
		case last:
			if seen && sub == nil {
				break // already whole
			}
			if sub == nil {
				sub = mask{}
				cur[k] = sub
			}
			for lk, lv := range leaf {
				sub[lk] = lv
			}
		default:
			if seen && sub == nil {
				return nil // already whole
			}
			if sub == nil {
				sub = mask{}
				cur[k] = sub
			}
			cur = sub
		}
	}
	return nil
}

// schema describes which fields exist: a nil value is a leaf (or an object
// whose inner fields the fake does not check).
type schema map[string]schema

var (
	fileSchema = schema{
		"kind": nil, "id": nil, "name": nil, "mimeType": nil, "description": nil, "starred": nil,
		"trashed": nil, "explicitlyTrashed": nil, "parents": nil, "size": nil, "modifiedTime": nil,
		"createdTime": nil, "viewedByMeTime": nil, "md5Checksum": nil, "sha1Checksum": nil, "sha256Checksum": nil,
		"thumbnailLink": nil, "hasThumbnail": nil, "iconLink": nil, "webViewLink": nil, "webContentLink": nil,
		"shortcutDetails": schema{"targetId": nil, "targetMimeType": nil, "targetResourceKey": nil},
		"headRevisionId":  nil, "driveId": nil, "capabilities": nil, "owners": nil, "resourceKey": nil,
		"fileExtension": nil, "fullFileExtension": nil, "originalFilename": nil, "quotaBytesUsed": nil,
		"version": nil, "exportLinks": nil, "shared": nil, "ownedByMe": nil, "spaces": nil,
	}
	fileListSchema = schema{"kind": nil, "nextPageToken": nil, "incompleteSearch": nil, "files": fileSchema}
	userSchema     = schema{"kind": nil, "displayName": nil, "photoLink": nil, "me": nil, "permissionId": nil, "emailAddress": nil}
	aboutSchema    = schema{
		"kind": nil, "user": userSchema,
		"storageQuota": schema{"limit": nil, "usage": nil, "usageInDrive": nil, "usageInDriveTrash": nil},
	}
	driveSchema     = schema{"kind": nil, "id": nil, "name": nil, "createdTime": nil, "hidden": nil, "capabilities": nil, "colorRgb": nil}
	driveListSchema = schema{"kind": nil, "nextPageToken": nil, "drives": driveSchema}
)

// check returns the first selected field the schema does not have, as the
// path Google names in "Invalid field selection <field>".
func (m mask) check(s schema) string {
	for k, sub := range m {
		if k == "*" {
			continue
		}
		ss, ok := s[k]
		if !ok {
			return k
		}
		if sub != nil {
			if ss == nil {
				// A leaf with a sub-selection; objects the fake does
				// not model (capabilities, owners) accept anything.
				if k == "capabilities" || k == "owners" || k == "exportLinks" {
					continue
				}
				for sk := range sub {
					return sk
				}
			}
			if bad := sub.check(ss); bad != "" {
				return bad
			}
		}
	}
	return ""
}

// apply keeps the selected fields of v (a JSON object or array of them).
func (m mask) apply(v any) any {
	if m == nil {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		if _, all := m["*"]; all {
			return x
		}
		out := map[string]any{}
		for k, sub := range m {
			if val, ok := x[k]; ok {
				out[k] = sub.apply(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.apply(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.apply(e)
		}
		return out
	}
	return v
}
