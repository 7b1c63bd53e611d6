package backend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/ferry-app/ferry/backend/api"
)

// s3Driver hands out SigV4 presigned URLs for any S3-compatible service. The
// storage itself verifies signature, expiry, content length and type; the
// backend only calls it for create, list, complete and abort.
type s3Driver struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
	base    string // endpoint URL for locations when the service returns none
	now     func() time.Time
}

// S3ClientOptions builds the s3.Options the driver uses for c: the endpoint,
// path-style addressing, and checksums only when required (presigned
// requests must not carry SDK-computed checksums the client cannot send).
func S3ClientOptions(c StorageConfig) func(*s3.Options) {
	return func(o *s3.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
		o.UsePathStyle = c.PathStyle
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
}

// newS3Driver loads credentials from the AWS SDK's default chain
// (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, shared config, web identity,
// instance roles).
func newS3Driver(ctx context.Context, c StorageConfig, hc *http.Client, now func() time.Time) (*s3Driver, error) {
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	if hc != nil {
		opts = append(opts, awsconfig.WithHTTPClient(hc))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3 storage: %w", err)
	}
	client := s3.NewFromConfig(cfg, S3ClientOptions(c))
	base := c.Endpoint
	if base == "" {
		base = fmt.Sprintf("https://s3.%s.amazonaws.com", region)
	}
	presign := s3.NewPresignClient(client, func(o *s3.PresignOptions) {
		// As the SDK's own S3 presigner: S3 paths are escaped once, not twice.
		signer := v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true })
		o.Presigner = clockPresigner{inner: signer, now: now}
	})
	return &s3Driver{client: client, presign: presign, bucket: c.Bucket, base: strings.TrimRight(base, "/"), now: now}, nil
}

// clockPresigner signs with the server's clock (time.Now unless a test
// injects one), so expiry is testable against a real S3 server.
type clockPresigner struct {
	inner *v4.Signer
	now   func() time.Time
}

func (p clockPresigner) PresignHTTP(ctx context.Context, cred aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.inner.PresignHTTP(ctx, cred, r, payloadHash, service, region, p.now().UTC(), optFns...)
}

// emptyMD5 is the base64 MD5 of zero bytes.
const emptyMD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="

// clientHeaders turns the signed headers into the ones the client must send;
// Host and Content-Length are set by every HTTP stack from the URL and body.
func clientHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, vs := range h {
		switch strings.ToLower(k) {
		case "host", "content-length":
			continue
		}
		out[http.CanonicalHeaderKey(k)] = strings.Join(vs, ",")
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (d *s3Driver) PresignPut(ctx context.Context, key, contentType string, size int64, metadata map[string]string, lifetime time.Duration) (string, map[string]string, error) {
	in := &s3.PutObjectInput{
		Bucket:        aws.String(d.bucket),
		Key:           aws.String(key),
		ContentType:   aws.String(contentType),
		ContentLength: aws.Int64(size),
		Metadata:      metadata,
	}
	if size == 0 {
		// SigV4 signs Content-Length only when it is above zero, so an empty
		// file's URL would take a body of any size. Binding the MD5 of the
		// empty body (a signed header the storage checks) closes that.
		in.ContentMD5 = aws.String(emptyMD5)
	}
	req, err := d.presign.PresignPutObject(ctx, in, s3.WithPresignExpires(lifetime))
	if err != nil {
		return "", nil, s3Error(err)
	}
	return req.URL, clientHeaders(req.SignedHeader), nil
}

// PresignPost signs an S3 POST policy with the SDK's presigner. The SDK puts
// only key, bucket and the signing fields in the policy; content type,
// length range and metadata are added here as conditions and as the form
// fields that satisfy them.
func (d *s3Driver) PresignPost(ctx context.Context, key, contentType string, minSize, maxSize int64, metadata map[string]string, lifetime time.Duration) (string, map[string]string, error) {
	fields := map[string]string{"Content-Type": contentType}
	conds := []any{
		[]any{"content-length-range", minSize, maxSize},
		map[string]string{"Content-Type": contentType},
	}
	for k, v := range metadata {
		name := "x-amz-meta-" + k
		fields[name] = v
		conds = append(conds, map[string]string{name: v})
	}
	req, err := d.presign.PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(key)},
		func(o *s3.PresignPostOptions) {
			o.Expires = lifetime
			o.Conditions = conds
			o.PostPresigner = clockPostPresigner{inner: o.PostPresigner, now: d.now, lifetime: lifetime}
		})
	if err != nil {
		return "", nil, s3Error(err)
	}
	for k, v := range req.Values {
		fields[k] = v
	}
	return req.URL, fields, nil
}

// clockPostPresigner signs POST policies with the server's clock, like
// clockPresigner does for URLs.
type clockPostPresigner struct {
	inner    s3.PresignPost
	now      func() time.Time
	lifetime time.Duration
}

func (p clockPostPresigner) PresignPost(cred aws.Credentials, bucket, key, region, service string, _ time.Time, conditions []any, _ time.Time, optFns ...func(*v4.SignerOptions)) (map[string]string, error) {
	now := p.now().UTC()
	return p.inner.PresignPost(cred, bucket, key, region, service, now, conditions, now.Add(p.lifetime), optFns...)
}

func (d *s3Driver) CreateMultipart(ctx context.Context, key, contentType string, metadata map[string]string, checksums bool) (string, error) {
	in := &s3.CreateMultipartUploadInput{
		Bucket:      aws.String(d.bucket),
		Key:         aws.String(key),
		ContentType: aws.String(contentType),
		Metadata:    metadata,
	}
	if checksums {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256
	}
	out, err := d.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return "", s3Error(err)
	}
	if out.UploadId == nil || *out.UploadId == "" {
		return "", errors.New("s3: CreateMultipartUpload returned no upload id")
	}
	return *out.UploadId, nil
}

func (d *s3Driver) PresignPart(ctx context.Context, key, uploadID string, n int, checksum string, _ int64, lifetime time.Duration) (string, map[string]string, error) {
	in := &s3.UploadPartInput{
		Bucket:     aws.String(d.bucket),
		Key:        aws.String(key),
		UploadId:   aws.String(uploadID),
		PartNumber: aws.Int32(int32(n)),
	}
	if checksum != "" {
		in.ChecksumSHA256 = aws.String(checksum)
	}
	req, err := d.presign.PresignUploadPart(ctx, in, s3.WithPresignExpires(lifetime))
	if err != nil {
		return "", nil, s3Error(err)
	}
	return req.URL, clientHeaders(req.SignedHeader), nil
}

func (d *s3Driver) ListParts(ctx context.Context, key, uploadID string) ([]api.Part, error) {
	parts := []api.Part{}
	in := &s3.ListPartsInput{Bucket: aws.String(d.bucket), Key: aws.String(key), UploadId: aws.String(uploadID)}
	for page := 0; page < 20; page++ { // 20 pages of 1000 > 10000 parts
		out, err := d.client.ListParts(ctx, in)
		if err != nil {
			return nil, s3Error(err)
		}
		for _, p := range out.Parts {
			parts = append(parts, api.Part{
				PartNumber:     int(aws.ToInt32(p.PartNumber)),
				Size:           aws.ToInt64(p.Size),
				ETag:           aws.ToString(p.ETag),
				ChecksumSHA256: aws.ToString(p.ChecksumSHA256),
			})
		}
		if !aws.ToBool(out.IsTruncated) || out.NextPartNumberMarker == nil {
			break
		}
		in.PartNumberMarker = out.NextPartNumberMarker
	}
	sortParts(parts)
	return parts, nil
}

func (d *s3Driver) Complete(ctx context.Context, key, uploadID string, parts []api.Part) (string, error) {
	cp := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		cp[i] = types.CompletedPart{PartNumber: aws.Int32(int32(p.PartNumber)), ETag: aws.String(p.ETag)}
		if p.ChecksumSHA256 != "" {
			cp[i].ChecksumSHA256 = aws.String(p.ChecksumSHA256)
		}
	}
	out, err := d.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(d.bucket),
		Key:             aws.String(key),
		UploadId:        aws.String(uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: cp},
	})
	if err != nil {
		return "", s3Error(err)
	}
	if loc := aws.ToString(out.Location); loc != "" {
		return loc, nil
	}
	return d.base + "/" + url.PathEscape(d.bucket) + "/" + escapeKey(key), nil
}

func (d *s3Driver) Abort(ctx context.Context, key, uploadID string) error {
	_, err := d.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(d.bucket), Key: aws.String(key), UploadId: aws.String(uploadID),
	})
	return s3Error(err)
}

// s3Error maps the storage's refusals that are the client's doing to
// contract errors; anything else stays an internal error (logged, not shown).
func s3Error(err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchUpload":
			return errorf(http.StatusNotFound, api.CodeNotFound, "no such upload (finished or aborted)")
		case "EntityTooSmall":
			return errorf(http.StatusBadRequest, api.CodeTooSmall, "a part other than the last is smaller than 5 MiB")
		case "InvalidPart", "InvalidPartOrder":
			return errorf(http.StatusBadRequest, api.CodeBadRequest, "a part was not uploaded or its ETag differs")
		case "BadDigest", "InvalidRequest":
			return errorf(http.StatusBadRequest, api.CodeBadRequest, "storage refused the request: %s", ae.ErrorCode())
		case "SlowDown", "ServiceUnavailable":
			return errorf(http.StatusServiceUnavailable, api.CodeUpstream, "storage is busy; retry later")
		}
	}
	return fmt.Errorf("s3: %w", err)
}
