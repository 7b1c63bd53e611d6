package ui

import (
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
	if len(r.AllowedTypes) > 0 && !api.TypeAllowed(r.AllowedTypes, e.Name, entryType(e)) {
		return T("The upload service does not accept this type of file ({{.Types}})", "Types", strings.Join(r.AllowedTypes, ", "))
	}
	if len(r.Accept) > 0 && !api.TypeAllowed(r.Accept, e.Name, entryType(e)) {
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
