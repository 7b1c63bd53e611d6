package backend

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/ferry-app/ferry/backend/api"
)

// MaxBatchFiles is the most files one POST /s3/params/batch may name
// (announced in discovery as upload.params_batch). 100 files keep the
// answer under ~200 KB and one request well under a second of signing.
const MaxBatchFiles = 100

// handleParamsBatch signs single PUTs for several files in one request (a
// Ferry extension; Companion clients use /s3/params per file). Each file is
// checked and counted like a /s3/params of its own: the request rate and the
// file quota count files, not requests. Files the quota no longer covers get
// the quota's refusal; the others their credential.
func (s *Server) handleParamsBatch(w http.ResponseWriter, r *http.Request, user string) {
	var req api.BatchParamsRequest
	if err := decodeJSON(r.Body, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	n := len(req.Files)
	if n == 0 || n > MaxBatchFiles {
		s.fail(w, r, errorf(http.StatusBadRequest, api.CodeBadRequest, "a batch names 1 to %d files", MaxBatchFiles))
		return
	}
	// protected() took one request token; the other files take theirs.
	if n > 1 {
		if ok, retry := s.allowRequests(r.Context(), user, n-1); !ok {
			w.Header().Set("Retry-After", itoaDur(retry))
			writeError(w, http.StatusTooManyRequests, api.CodeRateLimited, "too many requests; slow down")
			return
		}
	}
	out := api.BatchParamsResponse{Files: make([]api.BatchParamsResult, n)}
	types := make([]string, n)
	var ok []int
	for i, f := range req.Files {
		fr, err := batchFile(f)
		if err == nil {
			types[i], err = s.checkFile(fr)
		}
		if err != nil {
			out.Files[i] = batchError(err)
			continue
		}
		ok = append(ok, i)
	}
	if len(ok) > 0 {
		granted, err := s.takeFiles(r.Context(), user, len(ok))
		if errors.Is(err, errLimitsDown) {
			s.fail(w, r, err)
			return
		}
		lt := s.lifetime()
		for k, i := range ok {
			if k >= granted {
				if err == nil {
					err = s.quotaError(time.Duration(s.cfg.Upload.FilesWindow) / time.Duration(max(s.cfg.Upload.MaxFiles, 1)))
				}
				out.Files[i] = batchError(err)
				continue
			}
			f := req.Files[i]
			key, err := objectKey(s.cfg.Upload.KeyTemplate, user, f.Filename, s.now())
			if err != nil {
				s.fail(w, r, err)
				return
			}
			meta, _ := normalizeMetadata(f.Metadata) // checked by batchFile
			u, headers, err := s.drv.PresignPut(r.Context(), key, types[i], f.Size, meta, lt)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			out.Files[i] = api.BatchParamsResult{Status: http.StatusOK, Params: &api.ParamsResponse{
				Method: http.MethodPut, URL: u, Fields: map[string]string{}, Headers: headers,
				Expires: int64(lt / time.Second), Key: key, Location: s.location(key)}}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func batchFile(f api.BatchFile) (*fileRequest, error) {
	if f.Filename == "" {
		return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "filename is required")
	}
	if f.Size < 0 {
		return nil, errorf(http.StatusBadRequest, api.CodeBadRequest, "size must be a non-negative integer")
	}
	fr := &fileRequest{Filename: f.Filename, Type: f.Type, Size: f.Size, Metadata: f.Metadata}
	return fr, checkRequestFields(fr)
}

func batchError(err error) api.BatchParamsResult {
	var he *httpError
	if !errors.As(err, &he) {
		he = errorf(http.StatusInternalServerError, api.CodeInternal, "internal error")
	}
	return api.BatchParamsResult{Status: he.status, Error: &api.Error{Code: he.code, Message: he.msg}}
}

func itoaDur(d time.Duration) string { return strconv.Itoa(int(d.Seconds() + 0.999)) }
