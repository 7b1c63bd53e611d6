// Package upload is Ferry's upload engine: a client for the backend contract
// (backend/api), upload sources (local files, any providers.Provider file),
// and a queue that moves bytes with short-lived presigned URLs. It never holds
// a storage secret and imports no UI package; progress is reported through
// plain callbacks.
//
// Files below discovery's multipart_threshold go up in one presigned PUT;
// larger ones in S3 multipart with parts signed just in time, sent in
// parallel and journaled so that a crash resumes with only the missing parts
// (multipart.go, journal.go); with protocol "tus" the tus 1.0 client takes
// over (tus.go). Every call retries through one pacer (retry.go). The whole
// file's SHA-256 is computed while it is read, once.
package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/origin"
	"github.com/ferry-app/ferry/internal/retry"
)

// TokenFunc returns the bearer token for the backend. It is called before
// every request so that a refreshed token is picked up.
type TokenFunc func(ctx context.Context) (string, error)

// Client talks to one Ferry backend. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	token   TokenFunc
	http    *http.Client // backend calls: small JSON, bounded by a timeout
	storage *http.Client // presigned PUTs and tus PATCHes: no overall timeout
}

// maxAnswer caps any JSON answer from the backend; a contract answer is tiny.
const maxAnswer = 4 << 20

// NewClient returns a client for the backend at baseURL. token may be nil for
// a backend that needs no authentication. hc may be nil.
func NewClient(baseURL string, token TokenFunc, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("backend URL %q is not an absolute URL", baseURL)
	}
	storage := &http.Client{Transport: newStorageTransport()}
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	} else if hc.Transport != nil {
		storage = &http.Client{Transport: hc.Transport}
	}
	// Storage answers are never followed as redirects: a presigned URL is
	// exact, and a redirect would carry the body somewhere unsigned.
	storage.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	// The bearer is set on each backend request, but Go would keep it on a
	// redirect to the same host over http or another port: backend calls
	// follow redirects within the backend's origin only.
	return &Client{base: u, token: token, http: origin.Guard(hc), storage: storage}, nil
}

// newStorageTransport is tuned for large bodies: bigger write buffers than
// the default 4 KiB, enough idle connections for parallel parts, and a
// bounded wait for the storage's answer once a body is sent.
func newStorageTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	t.WriteBufferSize = 256 << 10
	t.ReadBufferSize = 64 << 10
	t.ResponseHeaderTimeout = 2 * time.Minute
	// Parts and files are sent with "Expect: 100-continue": a storage that
	// refuses the request (an expired signature) says so before the body
	// goes out, instead of resetting the connection half way.
	t.ExpectContinueTimeout = time.Second
	return t
}

// BaseURL returns the backend URL the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// Discover fetches the backend's discovery document.
func (c *Client) Discover(ctx context.Context) (*api.Discovery, error) {
	var d api.Discovery
	if err := c.call(ctx, http.MethodGet, api.WellKnownPath, nil, nil, &d, false); err != nil {
		return nil, fmt.Errorf("backend discovery: %w", err)
	}
	if d.Version != api.Version {
		return nil, fmt.Errorf("backend speaks contract version %d; this Ferry speaks %d", d.Version, api.Version)
	}
	return &d, nil
}

// Params asks for a single presigned PUT for a file.
func (c *Client) Params(ctx context.Context, name, contentType string, size int64, metadata map[string]string) (*api.ParamsResponse, error) {
	q := url.Values{}
	q.Set("filename", name)
	q.Set("type", contentType)
	q.Set("size", strconv.FormatInt(size, 10))
	for k, v := range metadata {
		q.Set("metadata["+k+"]", v)
	}
	var p api.ParamsResponse
	if err := c.call(ctx, http.MethodGet, api.RouteParams, q, nil, &p, true); err != nil {
		return nil, err
	}
	if err := checkStorageURL(p.URL); err != nil {
		return nil, err
	}
	if p.URL == "" {
		return nil, errors.New("backend returned no upload URL")
	}
	if p.Method == "" {
		p.Method = http.MethodPut
	}
	return &p, nil
}

// CreateMultipart starts an S3 multipart upload; the backend picks the key.
func (c *Client) CreateMultipart(ctx context.Context, req api.CreateMultipartRequest) (*api.CreateMultipartResponse, error) {
	var out api.CreateMultipartResponse
	if err := c.call(ctx, http.MethodPost, api.RouteMultipart, nil, req, &out, true); err != nil {
		return nil, err
	}
	if out.UploadID == "" || out.Key == "" {
		return nil, errors.New("backend returned no upload id or key")
	}
	return &out, nil
}

// MultipartRef names one multipart upload on the backend: the key and
// uploadId every Companion-compatible backend needs, and the upload token a
// Ferry backend hands out on create ("" from other backends).
type MultipartRef struct {
	Key, UploadID, Token string
}

// query is the ?key= (and ?token=) of every follow-up multipart call.
func (r MultipartRef) query() url.Values {
	q := url.Values{"key": {r.Key}}
	if r.Token != "" {
		q.Set("token", r.Token)
	}
	return q
}

func multipartPath(uploadID string, rest ...string) string {
	p := api.RouteMultipart + "/" + url.PathEscape(uploadID)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

// SignPart presigns one part. checksum is the part's base64 SHA-256, required
// when discovery says checksum = "sha256" and refused otherwise.
func (c *Client) SignPart(ctx context.Context, ref MultipartRef, n int, checksum string) (*api.SignPartResponse, error) {
	q := ref.query()
	if checksum != "" {
		q.Set("checksum", checksum)
	}
	var out api.SignPartResponse
	if err := c.call(ctx, http.MethodGet, multipartPath(ref.UploadID, strconv.Itoa(n)), q, nil, &out, true); err != nil {
		return nil, err
	}
	return &out, checkStorageURL(out.URL)
}

// SignParts presigns several parts at once (no checksums).
func (c *Client) SignParts(ctx context.Context, ref MultipartRef, nums []int) (*api.BatchSignResponse, error) {
	s := make([]string, len(nums))
	for i, n := range nums {
		s[i] = strconv.Itoa(n)
	}
	q := ref.query()
	q.Set("partNumbers", strings.Join(s, ","))
	var out api.BatchSignResponse
	if err := c.call(ctx, http.MethodGet, multipartPath(ref.UploadID, "batch"), q, nil, &out, true); err != nil {
		return nil, err
	}
	for _, u := range out.PresignedURLs {
		if err := checkStorageURL(u); err != nil {
			return nil, err
		}
	}
	return &out, nil
}

// ListParts returns the parts the storage holds for an upload, ascending.
func (c *Client) ListParts(ctx context.Context, ref MultipartRef) ([]api.Part, error) {
	var out []api.Part
	if err := c.call(ctx, http.MethodGet, multipartPath(ref.UploadID), ref.query(), nil, &out, true); err != nil {
		return nil, err
	}
	return out, nil
}

// Complete assembles the parts (ascending) into the object.
func (c *Client) Complete(ctx context.Context, ref MultipartRef, parts []api.Part) (*api.CompleteResponse, error) {
	var out api.CompleteResponse
	if err := c.call(ctx, http.MethodPost, multipartPath(ref.UploadID, "complete"), ref.query(), api.CompleteRequest{Parts: parts}, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

// Abort discards a multipart upload and its parts.
func (c *Client) Abort(ctx context.Context, ref MultipartRef) error {
	return c.call(ctx, http.MethodDelete, multipartPath(ref.UploadID), ref.query(), nil, nil, true)
}

// checkStorageURL refuses anything but an absolute https URL from the
// backend (plain http only to a loopback address: the body and the
// signature would cross the network in clear text), without ever echoing
// the URL (it carries a signature).
func checkStorageURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return errors.New("backend returned an unusable upload URL")
	}
	if !origin.Private(u) {
		return errors.New("backend returned a plain http upload URL for a host on the network; upload URLs must use https")
	}
	return nil
}

// call performs one JSON request against the backend. Non-2xx answers become
// *api.Error carrying the status and any Retry-After.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, in, out any, auth bool) error {
	u, err := url.Parse(strings.TrimRight(c.base.String(), "/") + path)
	if err != nil {
		return err
	}
	if q != nil {
		u.RawQuery = q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth && c.token != nil {
		tok, err := c.token(ctx)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return redactURLError(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return fmt.Errorf("reading backend answer: %w", err)
	}
	if len(data) > maxAnswer {
		return errors.New("backend answer too large")
	}
	if resp.StatusCode/100 != 2 {
		return decodeError(resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("backend answered malformed JSON: %w", err)
	}
	return nil
}

// decodeError turns a non-2xx answer into *api.Error. Bodies that are not the
// contract's error shape still yield a code derived from the status.
func decodeError(resp *http.Response, data []byte) *api.Error {
	e := &api.Error{Status: resp.StatusCode, RetryAfter: retry.ParseAfter(resp.Header.Get("Retry-After"), time.Now())}
	if json.Unmarshal(data, e) != nil || e.Code == "" {
		e.Code = statusCode(resp.StatusCode)
		e.Message = http.StatusText(resp.StatusCode)
		// S3 answers XML: keep its <Code>/<Message> (never the URL).
		if code, msg := s3XMLError(data); code != "" {
			e.Code, e.Message = code, msg
		}
	}
	return e
}

func statusCode(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return api.CodeUnauthorized
	case status == http.StatusForbidden:
		return api.CodeForbidden
	case status == http.StatusNotFound:
		return api.CodeNotFound
	case status == http.StatusTooManyRequests:
		return api.CodeRateLimited
	case status == http.StatusRequestEntityTooLarge:
		return api.CodeTooLarge
	case status >= 500:
		return api.CodeUpstream
	default:
		return api.CodeBadRequest
	}
}

// redactURLError strips the query string (a presigned signature) from
// *url.Error so it can never reach a log or the screen.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: ue.Err}
	}
	return err
}

// RedactURL removes the query string and user info from a URL for display.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.RawQuery, u.ForceQuery, u.User, u.Fragment = "", false, nil, ""
	return u.String()
}
