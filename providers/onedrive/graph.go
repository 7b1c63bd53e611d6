package onedrive

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ferry-app/ferry/providers"
)

// The Microsoft Graph shapes Ferry reads (driveItem and friends), as the
// Graph v1.0 reference documents them. Only the fields Ferry uses.

// driveItem is a file or folder.
type driveItem struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	Size                 *int64          `json:"size"`
	ETag                 string          `json:"eTag"`
	CTag                 string          `json:"cTag"`
	LastModifiedDateTime string          `json:"lastModifiedDateTime"`
	FileSystemInfo       *fileSystemInfo `json:"fileSystemInfo"`
	File                 *fileFacet      `json:"file"`
	Folder               *folderFacet    `json:"folder"`
	Package              *struct {
		Type string `json:"type"`
	} `json:"package"`
	Image           *json.RawMessage `json:"image"`
	Photo           *json.RawMessage `json:"photo"`
	Video           *json.RawMessage `json:"video"`
	Root            *json.RawMessage `json:"root"`
	ParentReference *itemReference   `json:"parentReference"`
	RemoteItem      *driveItem       `json:"remoteItem"`
}

type fileSystemInfo struct {
	LastModifiedDateTime string `json:"lastModifiedDateTime"`
}

type fileFacet struct {
	MimeType string `json:"mimeType"`
	Hashes   *struct {
		QuickXorHash string `json:"quickXorHash"`
		SHA1Hash     string `json:"sha1Hash"`
		SHA256Hash   string `json:"sha256Hash"`
	} `json:"hashes"`
}

type folderFacet struct {
	ChildCount int64 `json:"childCount"`
}

type itemReference struct {
	DriveID   string `json:"driveId"`
	DriveType string `json:"driveType"`
	ID        string `json:"id"`
	Path      string `json:"path"`
}

// itemPage is a collection answer: children, search, sharedWithMe.
type itemPage struct {
	Value    []driveItem `json:"value"`
	NextLink string      `json:"@odata.nextLink"`
}

// drive is GET /me/drive (and an element of GET /me/drives).
type drive struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	DriveType string `json:"driveType"` // personal, business, documentLibrary
	Owner     *struct {
		User *struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
		} `json:"user"`
	} `json:"owner"`
	Quota *struct {
		Total     *int64 `json:"total"`
		Used      *int64 `json:"used"`
		Remaining *int64 `json:"remaining"`
	} `json:"quota"`
}

type drivePage struct {
	Value    []drive `json:"value"`
	NextLink string  `json:"@odata.nextLink"`
}

// user is GET /me.
type user struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	Mail              string `json:"mail"`
	UserPrincipalName string `json:"userPrincipalName"`
}

// graphError is Graph's error body: {"error":{"code","message","innerError"}}.
type graphError struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError *struct {
			Code      string `json:"code"`
			RequestID string `json:"request-id"`
			Date      string `json:"date"`
		} `json:"innerError"`
	} `json:"error"`
}

// itemSelect is the $select of every item request: what entry needs.
const itemSelect = "id,name,size,eTag,cTag,lastModifiedDateTime,fileSystemInfo,file,folder,package,image,photo,video,root,parentReference,remoteItem"

// parseItemPage decodes a collection answer.
func parseItemPage(data []byte) (itemPage, error) {
	var p itemPage
	if err := json.Unmarshal(data, &p); err != nil {
		return itemPage{}, fmt.Errorf("onedrive: decoding item list: %w", err)
	}
	return p, nil
}

// parseGraphError decodes an error body; ok is false when body is not one.
func parseGraphError(data []byte) (graphError, bool) {
	var e graphError
	if json.Unmarshal(data, &e) != nil || e.Error.Code == "" {
		return graphError{}, false
	}
	return e, true
}

// mapError turns Graph error answers into the providers sentinels. The
// codes are those of the Graph and OneDrive error references; anything
// else falls back to the HTTP status (providers.DefaultErrorMapper).
func mapError(resp *http.Response, body []byte) error {
	ge, ok := parseGraphError(body)
	if !ok {
		return nil
	}
	he := &providers.HTTPError{StatusCode: resp.StatusCode, Message: clean(ge.Error.Code + ": " + ge.Error.Message)}
	if resp.Request != nil {
		he.Method, he.URL = resp.Request.Method, providers.RedactURL(resp.Request.URL)
	}
	retryAfter := providers.ParseRetryAfter(resp.Header, time.Now())
	switch ge.Error.Code {
	case "itemNotFound", "notFound", "ResourceNotFound":
		return fmt.Errorf("%w (%w)", providers.ErrNotFound, he)
	case "InvalidAuthenticationToken", "unauthenticated":
		return fmt.Errorf("%w (%w)", providers.ErrNeedsSignIn, he)
	case "accessDenied", "Authorization_RequestDenied", "ErrorAccessDenied":
		return fmt.Errorf("%w (%w)", providers.ErrPermissionDenied, he)
	case "activityLimitReached", "throttledRequest", "TooManyRequests":
		return &providers.RateLimitError{RetryAfter: retryAfter, Err: he}
	case "serviceNotAvailable":
		if retryAfter > 0 {
			return &providers.RateLimitError{RetryAfter: retryAfter, Err: he}
		}
		return providers.Transient(he)
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w (%w)", providers.ErrNeedsSignIn, he)
	case http.StatusForbidden:
		return fmt.Errorf("%w (%w)", providers.ErrPermissionDenied, he)
	case http.StatusNotFound, http.StatusGone:
		return fmt.Errorf("%w (%w)", providers.ErrNotFound, he)
	case http.StatusTooManyRequests:
		return &providers.RateLimitError{RetryAfter: retryAfter, Err: he}
	case http.StatusServiceUnavailable:
		if retryAfter > 0 {
			return &providers.RateLimitError{RetryAfter: retryAfter, Err: he}
		}
	}
	return he
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
