package dropbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ferry-app/ferry/providers"
)

// APIError is Dropbox's error body: {"error_summary": "path/not_found/..",
// "error": {".tag": "path", "path": {".tag": "not_found"}}}; Tags is the
// union's chain of tags from the outside in (["path", "not_found"]).
type APIError struct {
	Summary    string
	Tags       []string
	RetryAfter int // too_many_requests' retry_after, seconds
}

// DecodeAPIError decodes an error body; ok is false when body is not one
// (Dropbox's 400s are plain text).
func DecodeAPIError(body []byte) (e APIError, ok bool) {
	var raw struct {
		Summary string          `json:"error_summary"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &raw) != nil || (raw.Summary == "" && len(raw.Error) == 0) {
		return APIError{}, false
	}
	e.Summary = raw.Summary
	var u map[string]json.RawMessage
	if json.Unmarshal(raw.Error, &u) == nil {
		// 429: {"reason": {".tag": "too_many_requests"}, "retry_after": 300}
		if r, ok := u["reason"]; ok {
			u2 := map[string]json.RawMessage{}
			_ = json.Unmarshal(r, &u2)
			if t := tagOf(u2); t != "" {
				e.Tags = append(e.Tags, t)
			}
			_ = json.Unmarshal(u["retry_after"], &e.RetryAfter)
		}
		for depth := 0; u != nil && depth < 8; depth++ {
			t := tagOf(u)
			if t == "" {
				break
			}
			e.Tags = append(e.Tags, t)
			next := map[string]json.RawMessage{}
			if json.Unmarshal(u[t], &next) != nil {
				break
			}
			u = next
		}
	}
	if len(e.Tags) == 0 && e.Summary != "" {
		// Fall back to the summary's "a/b/..." path.
		for _, s := range strings.Split(e.Summary, "/") {
			if s = strings.TrimSpace(s); s != "" && s != "." && s != ".." && !strings.Contains(s, " ") {
				e.Tags = append(e.Tags, s)
			}
		}
	}
	return e, true
}

func tagOf(u map[string]json.RawMessage) string {
	var t string
	_ = json.Unmarshal(u[".tag"], &t)
	return t
}

func (e APIError) has(tags ...string) bool {
	for _, t := range tags {
		if slices.Contains(e.Tags, t) {
			return true
		}
	}
	return false
}

// errRangeNotSatisfiable is a 416: the offset is at or past the end.
var errRangeNotSatisfiable = errors.New("dropbox: range not satisfiable")

// MapError is Dropbox's providers.ErrorMapper.
func MapError(resp *http.Response, body []byte) error {
	e, isJSON := DecodeAPIError(body)
	he := &providers.HTTPError{StatusCode: resp.StatusCode}
	if resp.Request != nil {
		he.Method, he.URL = resp.Request.Method, providers.RedactURL(resp.Request.URL)
	}
	switch {
	case isJSON:
		he.Message = strings.Join(e.Tags, "/")
	case resp.StatusCode == http.StatusBadRequest:
		// Plain text: 'Error in call to API function "files/…": …'.
		he.Message = excerpt(body)
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w (%w)", providers.ErrNeedsSignIn, he)
	case http.StatusTooManyRequests:
		ra := providers.ParseRetryAfter(resp.Header, time.Now())
		if ra == 0 && e.RetryAfter > 0 {
			ra = time.Duration(min(e.RetryAfter, 86400)) * time.Second
		}
		return &providers.RateLimitError{RetryAfter: ra, Err: he}
	case http.StatusConflict:
		switch {
		case e.has("not_found", "malformed_path"):
			return fmt.Errorf("%w (%w)", providers.ErrNotFound, he)
		case e.has("not_folder"):
			return fmt.Errorf("%w (%w)", providers.ErrNotFolder, he)
		case e.has("not_file"):
			return fmt.Errorf("%w (%w)", providers.ErrIsFolder, he)
		case e.has("reset"):
			return fmt.Errorf("%w (%w)", providers.ErrPageExpired, he)
		case e.has("restricted_content", "no_permission", "access_denied", "unsupported_content_type"):
			return fmt.Errorf("%w (%w)", providers.ErrPermissionDenied, he)
		case e.has("unsupported_extension", "unsupported_image", "conversion_error"):
			return fmt.Errorf("%w: no thumbnail (%w)", providers.ErrNotFound, he)
		case e.has("unsupported_file"):
			// files/download of a file that is exported instead (Paper).
			return fmt.Errorf("%w (%w)", errExportOnly, he)
		case e.has("too_many_write_operations", "too_many_files"):
			return &providers.RateLimitError{RetryAfter: providers.ParseRetryAfter(resp.Header, time.Now()), Err: he}
		}
		return he
	case http.StatusRequestedRangeNotSatisfiable:
		return errRangeNotSatisfiable
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return providers.Transient(he)
	}
	return nil
}

func excerpt(b []byte) string {
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strings.TrimSpace(s)
}
