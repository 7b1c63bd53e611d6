package box

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ferry-app/ferry/providers"
)

// The Box API v2.0 shapes Ferry reads, as the Box API reference documents
// them. Only the fields Ferry uses.

// boxItem is a file, folder or web link (the "type" tells which).
type boxItem struct {
	Type              string       `json:"type"`
	ID                string       `json:"id"`
	Name              string       `json:"name"`
	Size              *int64       `json:"size"`
	SHA1              string       `json:"sha1"`
	ETag              *string      `json:"etag"`
	ModifiedAt        string       `json:"modified_at"`
	ContentModifiedAt string       `json:"content_modified_at"`
	Extension         string       `json:"extension"`
	FileVersion       *fileVersion `json:"file_version"`
}

type fileVersion struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	SHA1 string `json:"sha1"`
}

// itemsPage is GET /folders/{id}/items with usemarker=true (marker paging)
// or GET /search (offset paging).
type itemsPage struct {
	Entries    []boxItem `json:"entries"`
	Limit      int       `json:"limit"`
	NextMarker *string   `json:"next_marker"`
	Offset     int       `json:"offset"`
	TotalCount int       `json:"total_count"`
}

// boxUser is GET /users/me.
type boxUser struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Login       string `json:"login"`
	SpaceAmount *int64 `json:"space_amount"`
	SpaceUsed   *int64 `json:"space_used"`
}

// boxError is Box's error body.
type boxError struct {
	Type      string `json:"type"`
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
	HelpURL   string `json:"help_url"`
}

// The fields= of item requests: what entry needs, per resource (a folder
// listing holds both kinds).
const (
	fileFields   = "type,id,name,size,sha1,etag,modified_at,content_modified_at,extension,file_version"
	folderFields = "type,id,name,size,etag,modified_at,content_modified_at"
	itemFields   = fileFields
)

func parseItemsPage(data []byte) (itemsPage, error) {
	var p itemsPage
	if err := json.Unmarshal(data, &p); err != nil {
		return itemsPage{}, fmt.Errorf("box: decoding item list: %w", err)
	}
	return p, nil
}

func parseBoxError(data []byte) (boxError, bool) {
	var e boxError
	if json.Unmarshal(data, &e) != nil || e.Type != "error" || e.Code == "" {
		return boxError{}, false
	}
	return e, true
}

// mapError turns Box error objects into the providers sentinels: the codes
// of Box's "Client errors" reference. A 401 carries no body (only
// WWW-Authenticate) and falls to the status mapping.
func mapError(resp *http.Response, body []byte) error {
	be, ok := parseBoxError(body)
	if !ok {
		return nil
	}
	msg := be.Code + ": " + be.Message
	if be.RequestID != "" {
		msg += " (request " + be.RequestID + ")"
	}
	he := &providers.HTTPError{StatusCode: resp.StatusCode, Message: clean(msg)}
	if resp.Request != nil {
		he.Method, he.URL = resp.Request.Method, providers.RedactURL(resp.Request.URL)
	}
	retryAfter := providers.ParseRetryAfter(resp.Header, time.Now())
	switch be.Code {
	case "not_found", "trashed", "item_deleted":
		return fmt.Errorf("%w (%w)", providers.ErrNotFound, he)
	case "item_name_invalid":
		// A name Box cannot store names nothing that exists.
		return fmt.Errorf("%w (%w)", providers.ErrNotFound, he)
	case "access_denied_insufficient_permissions", "access_denied_item_locked", "forbidden", "insufficient_scope", "forbidden_by_policy":
		return fmt.Errorf("%w (%w)", providers.ErrPermissionDenied, he)
	case "unauthorized", "invalid_token", "expired_token":
		return fmt.Errorf("%w (%w)", providers.ErrNeedsSignIn, he)
	case "rate_limit_exceeded":
		return &providers.RateLimitError{RetryAfter: retryAfter, Err: he}
	case "unavailable", "internal_server_error":
		if retryAfter > 0 {
			return &providers.RateLimitError{RetryAfter: retryAfter, Err: he}
		}
		return providers.Transient(he)
	}
	return nil // the status decides (DefaultErrorMapper)
}

// clean keeps a service message printable and short.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strings.TrimSpace(s)
}
