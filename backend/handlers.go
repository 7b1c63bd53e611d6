package backend

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-app/ferry/backend/api"
)

// Metadata limits: S3 allows 2 KiB of user metadata in total.
const (
	maxMetadataEntries = 32
	maxMetadataBytes   = 2048
	maxFilenameInput   = 4096
	maxBatchParts      = 1000
	// minPartSize is S3's minimum size of every part but the last.
	minPartSize = 5 << 20
	// maxPartSize is S3's maximum part size.
	maxPartSize = 5 << 30
)

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	c := s.cfg
	d := api.Discovery{
		Version: api.Version,
		Name:    c.Name,
		Auth:    api.AuthInfo{Type: c.Auth.Type},
		Upload: api.UploadInfo{
			Protocol:           api.ProtocolS3,
			MultipartThreshold: int64(c.Upload.MultipartThreshold),
			MaxFileSize:        int64(c.Upload.MaxFileSize),
			MinFileSize:        int64(c.Upload.MinFileSize),
			MaxFiles:           c.Upload.MaxFiles,
			Checksum:           c.Upload.Checksum,
			ParamsBatch:        MaxBatchFiles,
		},
	}
	if !(len(c.Upload.AllowedTypes) == 1 && c.Upload.AllowedTypes[0] == "*/*") {
		d.Upload.AllowedTypes = c.Upload.AllowedTypes
	}
	if c.Auth.Type == api.AuthOIDC {
		d.Auth.Issuer, d.Auth.ClientID, d.Auth.Scopes = c.Auth.Issuer, c.Auth.ClientID, c.Auth.Scopes
	}
	if len(c.Providers) > 0 {
		d.Providers = map[string]api.ProviderInfo{}
		for name, p := range c.Providers {
			d.Providers[name] = api.ProviderInfo{ClientID: p.ClientID, Exchange: p.exchange(), Tenant: p.Tenant,
				Ports: p.Ports, ClientSecret: p.PublicClientSecret}
		}
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// fileRequest is what a client declares about a file before uploading it.
type fileRequest struct {
	Filename string
	Type     string
	Size     int64 // -1 when not declared
	Metadata map[string]string
}

// parseParamsQuery decodes GET /s3/params?filename=&type=&size=&metadata[k]=v.
func parseParamsQuery(q url.Values) (*fileRequest, error) {
	fr := &fileRequest{Size: -1}
	fr.Filename = q.Get("filename")
	fr.Type = q.Get("type")
	if fr.Filename == "" {
		return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "filename is required")
	}
	// Without size (Uppy) the answer is a POST policy bounding the length;
	// with it (Ferry), a PUT binding it exactly.
	if sz := q.Get("size"); sz != "" {
		n, err := strconv.ParseInt(sz, 10, 64)
		if err != nil || n < 0 {
			return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "size must be a non-negative integer")
		}
		fr.Size = n
	}
	for k, vs := range q {
		if !strings.HasPrefix(k, "metadata[") {
			continue
		}
		if !strings.HasSuffix(k, "]") || len(vs) != 1 {
			return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "malformed metadata parameter")
		}
		if fr.Metadata == nil {
			fr.Metadata = map[string]string{}
		}
		fr.Metadata[k[len("metadata["):len(k)-1]] = vs[0]
	}
	return fr, checkRequestFields(fr)
}

func checkRequestFields(fr *fileRequest) error {
	if len(fr.Filename) > maxFilenameInput {
		return errorf(http.StatusBadRequest, api.CodeBadRequest, "filename too long")
	}
	m, err := normalizeMetadata(fr.Metadata)
	fr.Metadata = m
	return err
}

// normalizeMetadata makes metadata what S3 stores verbatim as x-amz-meta-*,
// accepting any key as Companion does: keys lower-cased (S3 does so anyway;
// Uppy sends "relativePath"), bytes other than a-z, 0-9, '-', '_' and '.'
// percent-encoded so every key is a valid header name; values outside
// printable ASCII percent-encoded; 2 KiB in all.
func normalizeMetadata(in map[string]string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > maxMetadataEntries {
		return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "too many metadata entries (at most %d)", maxMetadataEntries)
	}
	out := make(map[string]string, len(in))
	total := 0
	for k, v := range in {
		k = escapeMetadataKey(strings.ToLower(k))
		if k == "" || len(k) > 128 {
			return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "metadata keys are 1 to 128 characters (encoded)")
		}
		if _, dup := out[k]; dup {
			return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "metadata key %q given twice", k)
		}
		v = escapeMetadataValue(v)
		out[k] = v
		total += len(k) + len(v)
	}
	if total > maxMetadataBytes {
		return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "metadata larger than 2 KiB")
	}
	return out, nil
}

// escapeMetadataKey percent-encodes every byte of a (lower-cased) key but
// a-z, 0-9, '-', '_' and '.', so that it is an HTTP header name every S3
// implementation takes and decoding is unambiguous.
func escapeMetadataKey(k string) string {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02x", c) // lower-case: S3 lower-cases header names
	}
	return b.String()
}

// escapeMetadataValue percent-encodes the bytes an HTTP header value cannot
// carry verbatim (and '%' itself, so decoding is unambiguous).
func escapeMetadataValue(v string) string {
	if !strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 || c > 0x7e || c == '%' }) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c > 0x7e || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// admit applies the upload limits to a declared file and picks its key.
func (s *Server) admit(ctx context.Context, user string, fr *fileRequest) (key, contentType string, err error) {
	if contentType, err = s.checkFile(fr); err != nil {
		return "", "", err
	}
	if _, err := s.takeFiles(ctx, user, 1); err != nil {
		return "", "", err
	}
	key, err = objectKey(s.cfg.Upload.KeyTemplate, user, fr.Filename, s.now())
	return key, contentType, err
}

// checkFile applies the size and type rules to a declared file.
func (s *Server) checkFile(fr *fileRequest) (contentType string, err error) {
	up := s.cfg.Upload
	contentType, err = normalizeContentType(fr.Type)
	if err != nil {
		return "", errorf(http.StatusBadRequest, api.CodeBadRequest, "%v", err)
	}
	if fr.Size >= 0 {
		if up.MaxFileSize > 0 && fr.Size > int64(up.MaxFileSize) {
			return "", errorf(http.StatusRequestEntityTooLarge, api.CodeTooLarge, "file is larger than the %d-byte limit", int64(up.MaxFileSize))
		}
		if fr.Size < int64(up.MinFileSize) {
			return "", errorf(http.StatusBadRequest, api.CodeTooSmall, "file is smaller than the %d-byte minimum", int64(up.MinFileSize))
		}
	}
	if !api.TypeAllowed(up.AllowedTypes, SanitizeFilename(fr.Filename), contentType) {
		return "", errorf(http.StatusUnsupportedMediaType, api.CodeTypeNotAllowed, "files of type %q are not accepted here", contentType)
	}
	return contentType, nil
}

func (s *Server) lifetime() time.Duration {
	lt := time.Duration(s.cfg.Upload.URLLifetime)
	if lt <= 0 || lt > MaxURLLifetime {
		lt = MaxURLLifetime
	}
	return lt
}

// maxPostSize is the content-length-range maximum of a POST policy:
// max_file_size, at most S3's 5 GiB limit for a single POST.
func (s *Server) maxPostSize() int64 {
	if m := int64(s.cfg.Upload.MaxFileSize); m > 0 && m < maxPartSize {
		return m
	}
	return maxPartSize
}

func (s *Server) handleParams(w http.ResponseWriter, r *http.Request, user string) {
	fr, err := parseParamsQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	key, ct, err := s.admit(r.Context(), user, fr)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lt := s.lifetime()
	if fr.Size < 0 {
		u, fields, err := s.drv.PresignPost(r.Context(), key, ct, max(1, int64(s.cfg.Upload.MinFileSize)), s.maxPostSize(), fr.Metadata, lt)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, api.ParamsResponse{Method: http.MethodPost, URL: u, Fields: fields, Expires: int64(lt / time.Second), Key: key})
		return
	}
	u, headers, err := s.drv.PresignPut(r.Context(), key, ct, fr.Size, fr.Metadata, lt)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.ParamsResponse{
		Method:   http.MethodPut,
		URL:      u,
		Fields:   map[string]string{},
		Headers:  headers,
		Expires:  int64(lt / time.Second),
		Key:      key,
		Location: s.location(key),
	})
}

// location is where a driver reports an object other than at its upload
// URL ("" for most).
func (s *Server) location(key string) string {
	if l, ok := s.drv.(interface{ location(string) string }); ok {
		return l.location(key)
	}
	return ""
}

func (s *Server) handleCreateMultipart(w http.ResponseWriter, r *http.Request, user string) {
	var req api.CreateMultipartRequest
	if err := decodeJSON(r.Body, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	fr, err := createRequest(&req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	key, ct, err := s.admit(r.Context(), user, fr)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.drv.CreateMultipart(r.Context(), key, ct, fr.Metadata, s.cfg.Upload.Checksum == "sha256")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tok, err := s.tokens.issue(ownerRecord{User: user, Key: key, Size: fr.Size, Type: ct}, id, s.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.CreateMultipartResponse{Key: key, UploadID: id, Token: tok})
}

// createRequest validates a decoded POST /s3/multipart body. A size of 0 means
// "not declared" (Uppy does not send one); the assembled size is then checked
// against max_file_size only.
func createRequest(req *api.CreateMultipartRequest) (*fileRequest, error) {
	if req.Filename == "" {
		return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "filename is required")
	}
	if req.Size < 0 {
		return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "size must not be negative")
	}
	fr := &fileRequest{Filename: req.Filename, Type: req.Type, Size: req.Size, Metadata: req.Metadata}
	if fr.Size == 0 {
		fr.Size = -1
	}
	return fr, checkRequestFields(fr)
}

func (s *Server) parsePartNumber(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > s.cfg.Limits.MaxParts {
		return 0, errorf(http.StatusBadRequest, api.CodeBadRequest, "part numbers run from 1 to %d", s.cfg.Limits.MaxParts)
	}
	return n, nil
}

// parseChecksum accepts an optional base64 SHA-256 (44 characters).
func parseChecksum(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != 32 {
		return "", errorf(http.StatusBadRequest, api.CodeBadRequest, "checksum must be a base64 SHA-256")
	}
	return v, nil
}

// maxUploadSize is the most an upload may assemble to: its declared size,
// else max_file_size, else S3's object limit.
func (s *Server) maxUploadSize(rec ownerRecord) int64 {
	switch {
	case rec.Size >= 0:
		return rec.Size
	case s.cfg.Upload.MaxFileSize > 0:
		return int64(s.cfg.Upload.MaxFileSize)
	default:
		return 5 << 40
	}
}

// partLimit is the longest part n of rec can be. Every part before it is at
// least minPartSize (Complete refuses smaller ones), so part n holds at most
// what is left of the upload's size after n-1 such parts; a part number
// beyond the size is refused outright. This is what keeps an upload declared
// as 10 bytes from storing gigabytes of parts.
func (s *Server) partLimit(rec ownerRecord, n int) (int64, error) {
	total := s.maxUploadSize(rec)
	left := total - int64(n-1)*minPartSize
	if n > 1 && left <= 0 {
		return 0, errorf(http.StatusBadRequest, api.CodeTooLarge,
			"part %d is beyond the upload's %d bytes (every part but the last is at least 5 MiB)", n, total)
	}
	return min(left, maxPartSize), nil
}

func (s *Server) handleSignPart(w http.ResponseWriter, r *http.Request, user string) {
	id, rec, err := s.ownedUpload(r, user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.parsePartNumber(r.PathValue("partNumber"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	maxLen, err := s.partLimit(rec, n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sum, err := parseChecksum(r.URL.Query().Get("checksum"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if want := s.cfg.Upload.Checksum == "sha256"; want != (sum != "") {
		if want {
			s.fail(w, r, errorf(http.StatusBadRequest, api.CodeBadRequest, "this backend needs checksum=<base64 SHA-256> for every part"))
		} else {
			s.fail(w, r, errorf(http.StatusBadRequest, api.CodeBadRequest, "this backend does not take part checksums"))
		}
		return
	}
	lt := s.lifetime()
	u, headers, err := s.drv.PresignPart(r.Context(), rec.Key, id, n, sum, maxLen, lt)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.SignPartResponse{URL: u, Expires: int64(lt / time.Second), Headers: headers})
}

// parsePartNumbers decodes partNumbers=1,2,3 (deduplicated, at most 1000).
func (s *Server) parsePartNumbers(v string) ([]int, error) {
	if v == "" {
		return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "partNumbers is required")
	}
	fields := strings.Split(v, ",")
	if len(fields) > maxBatchParts {
		return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "at most %d parts per batch", maxBatchParts)
	}
	seen := map[int]bool{}
	var out []int
	for _, f := range fields {
		n, err := s.parsePartNumber(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

func (s *Server) handleSignBatch(w http.ResponseWriter, r *http.Request, user string) {
	id, rec, err := s.ownedUpload(r, user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.cfg.Upload.Checksum == "sha256" {
		s.fail(w, r, errorf(http.StatusBadRequest, api.CodeBadRequest, "this backend needs a checksum per part; sign parts one at a time"))
		return
	}
	nums, err := s.parsePartNumbers(r.URL.Query().Get("partNumbers"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := api.BatchSignResponse{PresignedURLs: map[string]string{}}
	for _, n := range nums {
		maxLen, err := s.partLimit(rec, n)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		u, headers, err := s.drv.PresignPart(r.Context(), rec.Key, id, n, "", maxLen, s.lifetime())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out.PresignedURLs[strconv.Itoa(n)] = u
		out.Headers = headers
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleListParts(w http.ResponseWriter, r *http.Request, user string) {
	id, rec, err := s.ownedUpload(r, user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	parts, err := s.drv.ListParts(r.Context(), rec.Key, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if parts == nil {
		parts = []api.Part{}
	}
	writeJSON(w, http.StatusOK, parts)
}

// checkCompleteParts validates the client's part list shape.
func (s *Server) checkCompleteParts(parts []api.Part) error {
	if len(parts) == 0 {
		return errorf(http.StatusBadRequest, api.CodeBadRequest, "parts is required")
	}
	if len(parts) > s.cfg.Limits.MaxParts {
		return errorf(http.StatusBadRequest, api.CodeBadRequest, "too many parts")
	}
	for i, p := range parts {
		if p.PartNumber < 1 || p.PartNumber > s.cfg.Limits.MaxParts || p.ETag == "" {
			return errorf(http.StatusBadRequest, api.CodeBadRequest, "each part needs a PartNumber and an ETag")
		}
		if i > 0 && p.PartNumber <= parts[i-1].PartNumber {
			return errorf(http.StatusBadRequest, api.CodeBadRequest, "parts must be in ascending PartNumber order without repeats")
		}
	}
	return nil
}

func normETag(e string) string { return strings.Trim(strings.TrimSpace(e), `"`) }

func (s *Server) handleComplete(w http.ResponseWriter, r *http.Request, user string) {
	id, rec, err := s.ownedUpload(r, user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req api.CompleteRequest
	if err := decodeJSON(r.Body, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkCompleteParts(req.Parts); err != nil {
		s.fail(w, r, err)
		return
	}
	stored, err := s.drv.ListParts(r.Context(), rec.Key, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	byNum := map[int]api.Part{}
	for _, p := range stored {
		byNum[p.PartNumber] = p
	}
	var total int64
	parts := make([]api.Part, len(req.Parts))
	for i, p := range req.Parts {
		sp, ok := byNum[p.PartNumber]
		if !ok || normETag(sp.ETag) != normETag(p.ETag) {
			s.fail(w, r, errorf(http.StatusBadRequest, api.CodeBadRequest, "part %d was not uploaded or its ETag differs", p.PartNumber))
			return
		}
		total += sp.Size
		parts[i] = sp
	}
	for i, p := range parts[:len(parts)-1] {
		if p.Size < minPartSize {
			s.fail(w, r, errorf(http.StatusBadRequest, api.CodeTooSmall, "part %d is smaller than 5 MiB and is not the last", parts[i].PartNumber))
			return
		}
	}
	if rec.Size >= 0 && total != rec.Size {
		s.fail(w, r, errorf(http.StatusBadRequest, api.CodeSizeMismatch, "assembled size %d differs from the declared %d", total, rec.Size))
		return
	}
	if max := int64(s.cfg.Upload.MaxFileSize); max > 0 && total > max {
		s.fail(w, r, errorf(http.StatusRequestEntityTooLarge, api.CodeTooLarge, "file is larger than the %d-byte limit", max))
		return
	}
	if total < int64(s.cfg.Upload.MinFileSize) {
		s.fail(w, r, errorf(http.StatusBadRequest, api.CodeTooSmall, "file is smaller than the %d-byte minimum", int64(s.cfg.Upload.MinFileSize)))
		return
	}
	loc, err := s.drv.Complete(r.Context(), rec.Key, id, parts)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.CompleteResponse{Location: loc, Key: rec.Key})
}

func (s *Server) handleAbort(w http.ResponseWriter, r *http.Request, user string) {
	id, rec, err := s.ownedUpload(r, user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.drv.Abort(r.Context(), rec.Key, id); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func sortParts(p []api.Part) {
	sort.Slice(p, func(i, j int) bool { return p[i].PartNumber < p[j].PartNumber })
}
