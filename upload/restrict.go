package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/humanize"
)

// Restrictions are the limits a batch of files must meet before any byte is
// sent. Zero values mean "no limit". The backend enforces its own limits
// again server-side; checking here gives a clear reason per file at once.
type Restrictions struct {
	MaxFileSize  int64
	MinFileSize  int64
	MaxFiles     int   // per Add
	MaxTotalSize int64 // per Add
	// AllowedTypes holds MIME types ("application/pdf"), wildcards
	// ("image/*", "*/*") and extensions (".docx").
	AllowedTypes []string

	also []string // a second allowed list (from Merge): both must admit a file
}

// RestrictionsFrom reads the limits of a discovery document. Its max_files
// is the backend's quota per window (a day by default), not a limit on one
// Add: the backend counts it and refuses the file past it with the reset
// time, so it is not checked here.
func RestrictionsFrom(u api.UploadInfo) Restrictions {
	return Restrictions{MaxFileSize: u.MaxFileSize, MinFileSize: u.MinFileSize,
		MaxTotalSize: u.MaxTotalSize, AllowedTypes: u.AllowedTypes}
}

// Merge returns the stricter of r and o for every limit. Allowed types of
// both must admit a file, so both lists are kept.
func (r Restrictions) Merge(o Restrictions) Restrictions {
	lower := func(a, b int64) int64 {
		if a == 0 || b != 0 && b < a {
			return b
		}
		return a
	}
	out := Restrictions{
		MaxFileSize:  lower(r.MaxFileSize, o.MaxFileSize),
		MinFileSize:  max(r.MinFileSize, o.MinFileSize),
		MaxFiles:     int(lower(int64(r.MaxFiles), int64(o.MaxFiles))),
		MaxTotalSize: lower(r.MaxTotalSize, o.MaxTotalSize),
	}
	switch {
	case len(r.AllowedTypes) == 0:
		out.AllowedTypes = o.AllowedTypes
	case len(o.AllowedTypes) == 0:
		out.AllowedTypes = r.AllowedTypes
	default:
		out.AllowedTypes = r.AllowedTypes
		out.also = o.AllowedTypes
	}
	return out
}

// RestrictionError is a file refused by a restriction. Its message is a
// sentence a person can act on. Template and Args let a window translate
// it: Reason is Template with each {{.Key}} replaced by its value from
// Args (alternating keys and values).
type RestrictionError struct {
	Reason   string
	Template string
	Args     []any
}

// The templates of every RestrictionError (translations must cover them).
const (
	ReasonDuplicate   = "This file is already being uploaded."
	ReasonTooLarge    = "The file is {{.Size}}; the upload service accepts at most {{.Max}}."
	ReasonTooSmall    = "The file is {{.Size}}; the upload service needs at least {{.Min}}."
	ReasonType        = "The upload service does not accept this type of file ({{.Type}}); it accepts {{.Allowed}}."
	ReasonCount       = "Only {{.Max}} files can be uploaded at once."
	ReasonTotal       = "Adding this file would pass the {{.Max}} the upload service accepts in one batch."
	ReasonMismatch    = "The file's content does not match its name: it is named as {{.Declared}} but looks like {{.Sniffed}}."
	ReasonContentType = "The file's content is {{.Sniffed}}, which the upload service does not accept."
)

// RestrictionTemplates lists the Reason* templates.
var RestrictionTemplates = []string{ReasonDuplicate, ReasonTooLarge, ReasonTooSmall, ReasonType,
	ReasonCount, ReasonTotal, ReasonMismatch, ReasonContentType}

func (e *RestrictionError) Error() string { return e.Reason }

// ErrDuplicate is wrapped by the restriction error of a file that is already
// in the batch or in the queue.
var ErrDuplicate = errors.New("duplicate file")

type dupError struct{ RestrictionError }

func (e *dupError) Unwrap() error { return ErrDuplicate }

func refuse(tmpl string, kv ...any) *RestrictionError {
	return &RestrictionError{Reason: fillTemplate(tmpl, kv), Template: tmpl, Args: kv}
}

// fillTemplate replaces each {{.Key}} of tmpl with its value from kv.
func fillTemplate(tmpl string, kv []any) string {
	for i := 0; i+1 < len(kv); i += 2 {
		tmpl = strings.ReplaceAll(tmpl, "{{."+fmt.Sprint(kv[i])+"}}", fmt.Sprint(kv[i+1]))
	}
	return tmpl
}

// Check returns, for each source, nil or the reason it cannot be uploaded:
// size limits, type by name, count and total size of the batch, and
// duplicates (the same origin: path, or account and file ID) within the
// batch or among the active sources. Content sniffing
// happens later (checkContent), still before any byte is sent.
func (r Restrictions) Check(batch, active []Source) []error {
	out := make([]error, len(batch))
	seen := map[string]bool{}
	for _, s := range active {
		seen[s.Origin()] = true
	}
	var count int
	var total int64
	for i, s := range batch {
		size := s.Size()
		switch {
		case seen[s.Origin()]:
			out[i] = &dupError{*refuse(ReasonDuplicate)}
			continue
		case r.MaxFileSize > 0 && size > r.MaxFileSize:
			out[i] = refuse(ReasonTooLarge, "Size", humanize.Bytes(size), "Max", humanize.Bytes(r.MaxFileSize))
		case size >= 0 && size < r.MinFileSize:
			out[i] = refuse(ReasonTooSmall, "Size", humanize.Bytes(size), "Min", humanize.Bytes(r.MinFileSize))
		case !r.typeAllowed(s.Name(), s.ContentType()):
			out[i] = refuse(ReasonType, "Type", describeType(s.Name(), s.ContentType()), "Allowed", strings.Join(r.allowed(), ", "))
		case r.MaxFiles > 0 && count >= r.MaxFiles:
			out[i] = refuse(ReasonCount, "Max", r.MaxFiles)
		case r.MaxTotalSize > 0 && total+max(size, 0) > r.MaxTotalSize:
			out[i] = refuse(ReasonTotal, "Max", humanize.Bytes(r.MaxTotalSize))
		}
		seen[s.Origin()] = true
		if out[i] == nil {
			count++
			total += max(size, 0)
		}
	}
	return out
}

func describeType(name, ctype string) string {
	if ext := path.Ext(name); ext != "" {
		return ext
	}
	return ctype
}

func (r Restrictions) allowed() []string {
	return append(append([]string(nil), r.AllowedTypes...), r.also...)
}

// typeAllowed checks a name and declared type against every allowed list.
func (r Restrictions) typeAllowed(name, ctype string) bool {
	return api.TypeAllowed(r.AllowedTypes, name, ctype) && api.TypeAllowed(r.also, name, ctype)
}

// sniffable are the types http.DetectContentType recognises by signature:
// a file claiming one of them must carry its signature.
var sniffable = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/bmp": true,
	"application/pdf": true, "application/zip": true, "application/x-gzip": true, "application/gzip": true,
	"application/wasm": true, "font/woff": true, "font/woff2": true,
}

// checkContent sniffs the first 512 bytes when types are restricted: a file
// whose content contradicts its name (a renamed executable called
// photo.png) is refused, as is one whose content is of a type not allowed.
func (r Restrictions) checkContent(ctx context.Context, s Source) error {
	if len(r.AllowedTypes) == 0 && len(r.also) == 0 {
		return nil
	}
	rc, err := s.Open(ctx, 0)
	if err != nil {
		return err
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(rc, head)
	rc.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return &SourceError{Reason: "The file cannot be read", Err: err}
	}
	sniffed := api.MediaType(http.DetectContentType(head[:n]))
	declared := api.MediaType(s.ContentType())
	if sniffable[declared] && sniffed != declared && !(declared == "application/gzip" && sniffed == "application/x-gzip") {
		return refuse(ReasonMismatch, "Declared", declared, "Sniffed", sniffed)
	}
	if sniffable[sniffed] && sniffed != declared && !r.typeAllowed(s.Name(), sniffed) {
		return refuse(ReasonContentType, "Sniffed", sniffed)
	}
	return nil
}
