package backend

import (
	"context"
	"time"

	"github.com/ferry-app/ferry/backend/api"
)

// driver is a storage back end. The server has already authenticated the
// user, chosen the key and checked ownership and limits; a driver only
// signs and stores. Errors that are the client's fault are *httpError.
type driver interface {
	// PresignPut returns a URL (and the headers the client must send) for one
	// PUT of exactly size bytes of contentType to key, valid for lifetime.
	PresignPut(ctx context.Context, key, contentType string, size int64, metadata map[string]string, lifetime time.Duration) (string, map[string]string, error)
	// PresignPost returns a URL and the form fields of a browser POST upload
	// (an S3 POST policy) to key: the key and contentType fixed, the file's
	// length between minSize and maxSize, metadata stored with it, valid for
	// lifetime. The storage enforces every condition.
	PresignPost(ctx context.Context, key, contentType string, minSize, maxSize int64, metadata map[string]string, lifetime time.Duration) (string, map[string]string, error)
	// CreateMultipart starts a multipart upload and returns its uploadId.
	CreateMultipart(ctx context.Context, key, contentType string, metadata map[string]string, checksums bool) (string, error)
	// PresignPart returns a URL for PUTting part n of at most maxLen bytes.
	// checksum, when not empty, is the base64 SHA-256 the part must have.
	// A driver whose storage can bind the length (local) refuses longer
	// bodies; S3 presigned PUTs cannot bind a maximum, so there the server's
	// part-number bound and Complete's total check are what hold.
	PresignPart(ctx context.Context, key, uploadID string, n int, checksum string, maxLen int64, lifetime time.Duration) (string, map[string]string, error)
	// ListParts returns the parts stored so far, ascending, with sizes and ETags.
	ListParts(ctx context.Context, key, uploadID string) ([]api.Part, error)
	// Complete assembles parts (already checked against ListParts) into the
	// object and returns its location.
	Complete(ctx context.Context, key, uploadID string, parts []api.Part) (string, error)
	// Abort discards the upload and its parts.
	Abort(ctx context.Context, key, uploadID string) error
}
