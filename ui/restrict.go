package ui

import (
	"path"
	"strings"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/humanize"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/upload"
)

// restrictions are the upload limits the backend announces: files they
// exclude are shown greyed out with the reason, and cannot be selected.
type restrictions struct {
	MaxFileSize  int64
	AllowedTypes []string
	// Accept are the types the program that opened a picker accepts
	// (ferry pick --accept); empty accepts any.
	Accept []string
}

func restrictionsFrom(u api.UploadInfo) restrictions {
	return restrictions{MaxFileSize: u.MaxFileSize, AllowedTypes: u.AllowedTypes}
}

// reason says why e cannot be uploaded, or "" when it can. Folders are
// never excluded here: their files are checked when they are queued.
func (r restrictions) reason(e providers.Entry) string {
	if e.Err != nil {
		return T("Cannot be read: {{.Reason}}", "Reason", browseReason(e.Err))
	}
	if e.IsDir {
		return ""
	}
	if r.MaxFileSize > 0 && e.Size > r.MaxFileSize {
		return T("Larger than the {{.Size}} the upload service accepts", "Size", humanize.Bytes(r.MaxFileSize))
	}
	if len(r.AllowedTypes) > 0 && !typeAllowed(r.AllowedTypes, e.Name, entryType(e)) {
		return T("The upload service does not accept this type of file ({{.Types}})", "Types", strings.Join(r.AllowedTypes, ", "))
	}
	if len(r.Accept) > 0 && !typeAllowed(r.Accept, e.Name, entryType(e)) {
		return T("The program that opened Ferry does not accept this type of file ({{.Types}})", "Types", strings.Join(r.Accept, ", "))
	}
	return ""
}

// entryType is the entry's MIME type, guessed from the name when the source
// does not say.
func entryType(e providers.Entry) string {
	if e.MIMEType != "" {
		return e.MIMEType
	}
	return upload.TypeByName(e.Name)
}

// typeAllowed matches the discovery document's allowed_types: exact MIME
// types, "major/*" wildcards, "*/*" and ".ext" extensions.
func typeAllowed(allowed []string, name, mime string) bool {
	mime = strings.ToLower(strings.TrimSpace(strings.SplitN(mime, ";", 2)[0]))
	ext := strings.ToLower(path.Ext(name))
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimSpace(a))
		switch {
		case a == "*/*" || a == "*":
			return true
		case strings.HasPrefix(a, "."):
			if ext == a {
				return true
			}
		case strings.HasSuffix(a, "/*"):
			if strings.HasPrefix(mime, strings.TrimSuffix(a, "*")) {
				return true
			}
		case a == mime:
			return true
		}
	}
	return false
}
