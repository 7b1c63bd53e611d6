package api

import (
	"mime"
	"path"
	"strings"
)

// TypeAllowed reports whether a file named filename with the declared
// contentType matches one of rules, the discovery document's allowed_types.
// A rule is an exact media type ("application/pdf"), a wildcard ("image/*",
// "*/*") or an extension (".docx", matched against filename). Media types
// are compared without their parameters, case-insensitively, so
// "text/plain; charset=utf-8" matches "text/plain". An empty list allows
// everything. The backend and every client use this one rule so that a file
// the client lets through is one the backend accepts.
func TypeAllowed(rules []string, filename, contentType string) bool {
	if len(rules) == 0 {
		return true
	}
	mt := MediaType(contentType)
	ext := strings.ToLower(path.Ext(filename))
	for _, r := range rules {
		r = strings.ToLower(strings.TrimSpace(r))
		switch {
		case r == "*/*" || r == "*":
			return true
		case strings.HasPrefix(r, "."):
			if ext == r {
				return true
			}
		case strings.HasSuffix(r, "/*"):
			if strings.HasPrefix(mt, strings.TrimSuffix(r, "*")) {
				return true
			}
		case r == mt:
			return true
		}
	}
	return false
}

// MediaType is contentType without its parameters, lower-cased:
// "Text/Plain; charset=utf-8" gives "text/plain".
func MediaType(contentType string) string {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		return mt
	}
	return strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
}

// ValidTypeRule reports whether r is a well-formed allowed_types rule:
// "type/subtype", "type/*", "*/*" or ".ext".
func ValidTypeRule(r string) bool {
	if strings.HasPrefix(r, ".") {
		return len(r) > 1 && !strings.ContainsAny(r, "/\\ ")
	}
	typ, sub, ok := strings.Cut(r, "/")
	return ok && typ != "" && sub != "" && !strings.ContainsAny(r, " ;,")
}
