package gdrive

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ferry-app/ferry/providers"
)

// apiError is Google's error body:
// {"error":{"code","message","errors":[{"domain","reason","message","location","locationType"}],"status"}}.
type apiError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Domain   string `json:"domain"`
			Reason   string `json:"reason"`
			Message  string `json:"message"`
			Location string `json:"location"`
		} `json:"errors"`
	} `json:"error"`
}

// parseAPIError decodes an error body; ok is false when body is not one.
func parseAPIError(body []byte) (e apiError, ok bool) {
	if json.Unmarshal(body, &e) != nil || (e.Error.Code == 0 && e.Error.Message == "") {
		return apiError{}, false
	}
	return e, true
}

// ErrExportTooLarge: a Docs Editors file exports to more than files.export
// hands out (10 MB) and no export link was offered for it.
var ErrExportTooLarge = errors.New("Google exports Docs, Sheets and Slides of at most 10 MB this way")

// errRangeNotSatisfiable is a 416: the offset is at or past the end.
var errRangeNotSatisfiable = errors.New("gdrive: range not satisfiable")

// MapError is Drive's providers.ErrorMapper.
func MapError(resp *http.Response, body []byte) error {
	e, _ := parseAPIError(body)
	reason, location := "", ""
	if len(e.Error.Errors) > 0 {
		reason, location = e.Error.Errors[0].Reason, e.Error.Errors[0].Location
	}
	he := &providers.HTTPError{StatusCode: resp.StatusCode, Message: e.Error.Message}
	if he.Message == "" {
		he.Message = http.StatusText(resp.StatusCode)
	}
	if reason != "" {
		he.Message += " (" + reason + ")"
	}
	if resp.Request != nil {
		he.Method, he.URL = resp.Request.Method, providers.RedactURL(resp.Request.URL)
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w (%w)", providers.ErrNeedsSignIn, he)
	case http.StatusTooManyRequests:
		return &providers.RateLimitError{RetryAfter: providers.ParseRetryAfter(resp.Header, time.Now()), Err: he}
	case http.StatusForbidden:
		switch reason {
		case "exportSizeLimitExceeded":
			return fmt.Errorf("%w (%w)", ErrExportTooLarge, he)
		case "cannotDownloadAbusiveFile":
			// files.get's acknowledgeAbuse: the person may still download
			// it, once they have seen Google's warning and agreed.
			return &providers.ConfirmError{Warning: e.Error.Message, Err: he}
		case "rateLimitExceeded", "userRateLimitExceeded", "sharingRateLimitExceeded":
			return &providers.RateLimitError{RetryAfter: providers.ParseRetryAfter(resp.Header, time.Now()), Err: he}
		case "dailyLimitExceeded", "quotaExceeded", "downloadQuotaExceeded":
			// A daily quota: retrying within this session cannot help.
			return he
		}
		return fmt.Errorf("%w (%w)", providers.ErrPermissionDenied, he)
	case http.StatusNotFound:
		return fmt.Errorf("%w (%w)", providers.ErrNotFound, he)
	case http.StatusBadRequest:
		if location == "pageToken" {
			return fmt.Errorf("%w (%w)", providers.ErrPageExpired, he)
		}
		return he
	case http.StatusRequestedRangeNotSatisfiable:
		return errRangeNotSatisfiable
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if ra := providers.ParseRetryAfter(resp.Header, time.Now()); ra > 0 {
			return &providers.RateLimitError{RetryAfter: ra, Err: he}
		}
		return providers.Transient(he)
	}
	if reason == "backendError" || reason == "internalError" {
		return providers.Transient(he)
	}
	return nil
}
