// Package api is the one definition of the Ferry backend contract (v1) wire
// types, shared by the reference backend (package backend) and its client
// (package upload). It has no dependencies beyond the standard library so that
// any client can import it without pulling in the server.
//
// The S3 routes mirror Uppy Companion's S3 plugin so that Companion-compatible
// backends work unchanged; JSON names and casing are exactly those @uppy/aws-s3
// expects (note PartNumber/ETag in list parts, presignedUrls in batch signing).
package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Version is the contract version this package describes.
const Version = 1

// WellKnownPath is the discovery route.
const WellKnownPath = "/.well-known/ferry"

// Routes of the contract, relative to the backend URL.
const (
	RouteParams = "/s3/params"
	// RouteParamsBatch is a Ferry extension, announced by
	// UploadInfo.ParamsBatch: POST BatchParamsRequest → BatchParamsResponse.
	RouteParamsBatch = "/s3/params/batch"
	RouteMultipart   = "/s3/multipart"
	RouteHealth      = "/healthz"
	RouteOAuth       = "/oauth/" // + {provider}/token or {provider}/revoke
)

// Auth types announced by discovery.
const (
	AuthOIDC = "oidc"
	AuthNone = "none" // only allowed on a loopback listener
)

// Upload protocols announced by discovery.
const (
	ProtocolS3  = "s3"
	ProtocolTus = "tus"
)

// Exchange modes for provider OAuth code exchange.
const (
	ExchangePKCE    = "pkce"    // the app exchanges the code itself (public client)
	ExchangeBackend = "backend" // the backend adds the client secret
)

// Discovery is the body of GET /.well-known/ferry.
type Discovery struct {
	Version   int                     `json:"version"`
	Name      string                  `json:"name"`
	Auth      AuthInfo                `json:"auth"`
	Upload    UploadInfo              `json:"upload"`
	Providers map[string]ProviderInfo `json:"providers,omitempty"`
}

// AuthInfo says how the app authenticates to the backend.
type AuthInfo struct {
	Type     string   `json:"type"`
	Issuer   string   `json:"issuer,omitempty"`
	ClientID string   `json:"client_id,omitempty"`
	Scopes   []string `json:"scopes,omitempty"`
}

// UploadInfo carries the upload protocol and the restrictions the backend
// enforces server-side too. Zero values mean "no limit".
type UploadInfo struct {
	Protocol           string   `json:"protocol"`
	TusEndpoint        string   `json:"tus_endpoint,omitempty"`
	MultipartThreshold int64    `json:"multipart_threshold,omitempty"`
	MaxFileSize        int64    `json:"max_file_size,omitempty"`
	MinFileSize        int64    `json:"min_file_size,omitempty"`
	MaxFiles           int      `json:"max_files,omitempty"`
	MaxTotalSize       int64    `json:"max_total_size,omitempty"`
	AllowedTypes       []string `json:"allowed_types,omitempty"`
	Checksum           string   `json:"checksum,omitempty"` // "" or "sha256"
	// ParamsBatch, when set, announces POST /s3/params/batch and is the
	// most files one such request may name.
	ParamsBatch int `json:"params_batch,omitempty"`
}

// ProviderInfo is a cloud source's public OAuth client configuration.
type ProviderInfo struct {
	ClientID string `json:"client_id"`
	Exchange string `json:"exchange"` // ExchangePKCE or ExchangeBackend
	Tenant   string `json:"tenant,omitempty"`
	// Ports are the loopback ports registered as redirect URIs, for
	// providers that accept only exact ones (Dropbox, Box).
	Ports []int `json:"ports,omitempty"`
	// ClientSecret is only ever a *non-confidential* installed-app secret
	// (Google's desktop clients) that the admin chose to publish.
	ClientSecret string `json:"client_secret,omitempty"`
}

// ParamsResponse answers GET /s3/params (single presigned PUT).
type ParamsResponse struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Fields  map[string]string `json:"fields"`
	Headers map[string]string `json:"headers,omitempty"`
	Expires int64             `json:"expires,omitempty"` // seconds of validity
	Key     string            `json:"key,omitempty"`
	// Location is where the object will be found once stored, when it is
	// not the upload URL (Ferry extension): the built-in backend gives the
	// file:// URL of the stored file. Clients report it instead of the URL.
	Location string `json:"location,omitempty"`
}

// BatchParamsRequest is the body of POST /s3/params/batch: single PUTs for
// several files at once (each needs its size, which a PUT binds).
type BatchParamsRequest struct {
	Files []BatchFile `json:"files"`
}

// BatchFile is one file of a BatchParamsRequest.
type BatchFile struct {
	Filename string            `json:"filename"`
	Type     string            `json:"type"`
	Size     int64             `json:"size"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// BatchParamsResponse answers POST /s3/params/batch with one result per
// file, in the order asked.
type BatchParamsResponse struct {
	Files []BatchParamsResult `json:"files"`
}

// BatchParamsResult is either Params (Status 200) or Error with the status
// a single /s3/params would have answered.
type BatchParamsResult struct {
	Status int             `json:"status"`
	Params *ParamsResponse `json:"params,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// CreateMultipartRequest is the body of POST /s3/multipart.
type CreateMultipartRequest struct {
	Filename string   `json:"filename"`
	Type     string   `json:"type"`
	Size     int64    `json:"size,omitempty"`
	Metadata Metadata `json:"metadata,omitempty"`
}

// CreateMultipartResponse answers POST /s3/multipart.
type CreateMultipartResponse struct {
	Key      string `json:"key"`
	UploadID string `json:"uploadId"`
	// Token is a Ferry extension: an opaque upload token binding the caller,
	// key, uploadId, declared size and type. A client that has it sends it
	// back as ?token= on sign, list, complete and abort; Companion-compatible
	// clients ignore it and are checked by the key's user prefix alone.
	Token string `json:"token,omitempty"`
}

// SignPartResponse answers GET /s3/multipart/{uploadId}/{partNumber}?key=.
type SignPartResponse struct {
	URL     string            `json:"url"`
	Expires int64             `json:"expires,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
}

// BatchSignResponse answers GET /s3/multipart/{uploadId}/batch?key=&partNumbers=.
type BatchSignResponse struct {
	PresignedURLs map[string]string `json:"presignedUrls"`
	Headers       map[string]string `json:"headers,omitempty"`
}

// Part is one uploaded part, as listed and as sent to complete.
type Part struct {
	PartNumber int    `json:"PartNumber"`
	Size       int64  `json:"Size,omitempty"`
	ETag       string `json:"ETag"`
	// ChecksumSHA256 is the base64 SHA-256 of the part when checksums are on.
	ChecksumSHA256 string `json:"ChecksumSHA256,omitempty"`
}

// CompleteRequest is the body of POST /s3/multipart/{uploadId}/complete?key=.
type CompleteRequest struct {
	Parts []Part `json:"parts"`
}

// CompleteResponse answers complete (and, for symmetry, a finished single PUT
// is reported with the same fields by the client).
type CompleteResponse struct {
	Location string `json:"location"`
	Key      string `json:"key"`
}

// Error is the body of every non-2xx answer.
type Error struct {
	Code    string `json:"error"`
	Message string `json:"message"`
	// Local says the problem is on the person's own computer (the built-in
	// backend's storage folder), so the person, not an administrator, can
	// fix it. Optional; absent means false.
	Local bool `json:"local,omitempty"`
	// Status is the HTTP status the error arrived with (not on the wire).
	Status int `json:"-"`
	// RetryAfter is the parsed Retry-After header, if any (not on the wire).
	RetryAfter time.Duration `json:"-"`
}

func (e *Error) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return e.Code
}

// What an error's HTTP status means, so that callers need not know status
// codes. Status 0 (an error built without one) means none of these.

// NeedsSignIn reports a request the service did not accept the bearer of
// (401): only a new sign-in helps.
func (e *Error) NeedsSignIn() bool { return e.Status == http.StatusUnauthorized }

// Forbidden reports a request refused for the signed-in user (403), an
// expired presigned URL included (see Expired).
func (e *Error) Forbidden() bool { return e.Status == http.StatusForbidden }

// Expired reports a presigned URL that outlived its lifetime: S3 answers
// 403 AccessDenied "Request has expired.", the reference backend 403
// CodeExpired. Signing again helps.
func (e *Error) Expired() bool {
	return e.Status == http.StatusForbidden && (e.Code == CodeExpired || strings.HasPrefix(e.Message, "Request has expired"))
}

// Busy reports a service asking to slow down (429, 503, S3's SlowDown);
// RetryAfter says for how long, if it said.
func (e *Error) Busy() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable || e.Code == "SlowDown"
}

// ServerFault reports a failure on the service's side (5xx).
func (e *Error) ServerFault() bool { return e.Status >= http.StatusInternalServerError }

// StorageFault reports a storage that cannot be written to (no permission,
// a read-only or full disk): it refuses every write until someone acts.
func (e *Error) StorageFault() bool {
	return e.Code == CodeStorageUnwritable || e.Code == CodeStorageFull
}

// Temporary reports whether the same request may succeed later: Busy, a
// request timeout (408) or a ServerFault other than a StorageFault.
func (e *Error) Temporary() bool {
	return !e.StorageFault() && (e.Busy() || e.Status == http.StatusRequestTimeout || e.ServerFault())
}

// Error codes used by the reference backend.
const (
	CodeBadRequest      = "bad_request"
	CodeUnauthorized    = "unauthorized"
	CodeForbidden       = "forbidden"
	CodeNotFound        = "not_found"
	CodeTooLarge        = "too_large"
	CodeTooSmall        = "too_small"
	CodeTypeNotAllowed  = "type_not_allowed"
	CodeTooManyFiles    = "too_many_files"
	CodeRateLimited     = "rate_limited"
	CodeExpired         = "expired"
	CodeSignature       = "signature_mismatch"
	CodeSizeMismatch    = "size_mismatch"
	CodeUnknownProvider = "unknown_provider"
	CodeUpstream        = "upstream_error"
	CodeInternal        = "internal"
	// The storage refuses every write until someone acts: no permission or
	// a read-only disk, and a full disk or quota. Retrying cannot help.
	CodeStorageUnwritable = "storage_unwritable"
	CodeStorageFull       = "storage_full"
	// CodeUnavailable: the service cannot take new files right now (its
	// shared limits store is down); not worth retrying at once.
	CodeUnavailable = "unavailable"
)
