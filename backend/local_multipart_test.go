package backend

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

func TestLocalMultipartAssemblesOnComplete(t *testing.T) {
	e, dir, _ := startEmbedded(t)
	c := &apiClient{t: t, base: e.URL, token: e.Token}
	parts := [][]byte{randomBytes(t, 5<<20), randomBytes(t, 5<<20), randomBytes(t, 4242)}
	var whole []byte
	for _, p := range parts {
		whole = append(whole, p...)
	}
	var cr api.CreateMultipartResponse
	c.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "movie.mkv", Type: "video/x-matroska", Size: int64(len(whole))}, &cr)
	kq := url.Values{"key": {cr.Key}}

	var sp api.SignPartResponse
	c.json(http.MethodGet, partPath(cr.UploadID, "/1"), kq, nil, &sp)
	etag1 := uploadPart(t, sp.URL, sp.Headers, parts[0])
	sum := md5.Sum(parts[0])
	assert.Equal(t, `"`+hex.EncodeToString(sum[:])+`"`, etag1)

	// Re-uploading a part replaces it (a retried PUT is idempotent).
	uploadPart(t, sp.URL, sp.Headers, parts[0])

	var listed []api.Part
	c.json(http.MethodGet, partPath(cr.UploadID, ""), kq, nil, &listed)
	require.Equal(t, []api.Part{{PartNumber: 1, Size: 5 << 20, ETag: etag1, ChecksumSHA256: listed[0].ChecksumSHA256}}, listed)

	var batch api.BatchSignResponse
	c.json(http.MethodGet, partPath(cr.UploadID, "/batch"), url.Values{"key": {cr.Key}, "partNumbers": {"2,3"}}, nil, &batch)
	uploadPart(t, batch.PresignedURLs["2"], nil, parts[1])
	uploadPart(t, batch.PresignedURLs["3"], nil, parts[2])

	// A part URL is bound to its part number and upload.
	resp, data := put(t, withQuery(t, batch.PresignedURLs["2"], func(q url.Values) { q.Set("partNumber", "4") }), nil, parts[1])
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, api.CodeSignature, decodeAPIError(t, resp, data).Code)

	c.json(http.MethodGet, partPath(cr.UploadID, ""), kq, nil, &listed)
	require.Len(t, listed, 3)
	var done []api.Part
	for _, p := range listed {
		done = append(done, api.Part{PartNumber: p.PartNumber, ETag: p.ETag})
	}
	// Parts out of order are refused before anything is assembled.
	ae := c.apiError(http.StatusBadRequest, http.MethodPost, partPath(cr.UploadID, "/complete"), kq, api.CompleteRequest{Parts: []api.Part{done[1], done[0], done[2]}})
	assert.Equal(t, api.CodeBadRequest, ae.Code)

	var cres api.CompleteResponse
	c.json(http.MethodPost, partPath(cr.UploadID, "/complete"), kq, api.CompleteRequest{Parts: done}, &cres)
	assert.Equal(t, cr.Key, cres.Key)
	assert.Equal(t, e.URL+"/storage/"+escapeKey(cr.Key), cres.Location)
	got, err := os.ReadFile(filepath.Join(dir, "files", filepath.FromSlash(cr.Key)))
	require.NoError(t, err)
	require.Equal(t, whole, got, "assembled file differs")

	// Nothing is left behind: no parts, no temp files.
	for _, sub := range []string{localMultipartDir, localTmpDir} {
		ents, err := os.ReadDir(filepath.Join(dir, "files", sub))
		require.NoError(t, err)
		assert.Empty(t, ents, sub)
	}
	c.apiError(http.StatusNotFound, http.MethodGet, partPath(cr.UploadID, ""), kq, nil)
}

func TestLocalMultipartRulesMatchS3(t *testing.T) {
	e, dir, _ := startEmbedded(t)
	c := &apiClient{t: t, base: e.URL, token: e.Token}
	create := func(size int64) (api.CreateMultipartResponse, url.Values) {
		var cr api.CreateMultipartResponse
		c.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "f.bin", Type: "application/octet-stream", Size: size}, &cr)
		return cr, url.Values{"key": {cr.Key}, "token": {cr.Token}}
	}
	sign := func(cr api.CreateMultipartResponse, kq url.Values, n string) api.SignPartResponse {
		var sp api.SignPartResponse
		c.json(http.MethodGet, partPath(cr.UploadID, "/"+n), kq, nil, &sp)
		return sp
	}

	// A part other than the last under 5 MiB.
	cr, kq := create(0)
	p1 := uploadPart(t, sign(cr, kq, "1").URL, nil, []byte("small"))
	p2 := uploadPart(t, sign(cr, kq, "2").URL, nil, []byte("last"))
	ae := c.apiError(http.StatusBadRequest, http.MethodPost, partPath(cr.UploadID, "/complete"), kq,
		api.CompleteRequest{Parts: []api.Part{{PartNumber: 1, ETag: p1}, {PartNumber: 2, ETag: p2}}})
	assert.Equal(t, api.CodeTooSmall, ae.Code)

	// A wrong ETag.
	ae = c.apiError(http.StatusBadRequest, http.MethodPost, partPath(cr.UploadID, "/complete"), kq,
		api.CompleteRequest{Parts: []api.Part{{PartNumber: 2, ETag: p1}}})
	assert.Equal(t, api.CodeBadRequest, ae.Code)

	// The declared size.
	cr, kq = create(10)
	p1 = uploadPart(t, sign(cr, kq, "1").URL, nil, []byte("eleven byte"))
	ae = c.apiError(http.StatusBadRequest, http.MethodPost, partPath(cr.UploadID, "/complete"), kq,
		api.CompleteRequest{Parts: []api.Part{{PartNumber: 1, ETag: p1}}})
	assert.Equal(t, api.CodeSizeMismatch, ae.Code)

	// Abort removes the parts; the URLs stop working.
	sp := sign(cr, kq, "2")
	var empty map[string]any
	c.json(http.MethodDelete, partPath(cr.UploadID, ""), kq, nil, &empty)
	_, err := os.Stat(filepath.Join(dir, "files", localMultipartDir, cr.UploadID))
	assert.True(t, os.IsNotExist(err))
	resp, data := put(t, sp.URL, nil, []byte("late"))
	require.Equal(t, http.StatusNotFound, resp.StatusCode, string(data))
	assert.Equal(t, api.CodeNotFound, decodeAPIError(t, resp, data).Code)

	// Part numbers outside 1..10000.
	cr, kq = create(0)
	for _, n := range []string{"0", "10001", "-1", "x"} {
		c.apiError(http.StatusBadRequest, http.MethodGet, partPath(cr.UploadID, "/"+n), kq, nil)
	}
}

func TestLocalPartChecksum(t *testing.T) {
	dir := t.TempDir()
	cfg := EmbeddedConfig(dir)
	cfg.Upload.Checksum = "sha256"
	_, base := serve(t, cfg)
	c := &apiClient{t: t, base: base}
	data := randomBytes(t, 1000)
	sum := sha256.Sum256(data)
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	var cr api.CreateMultipartResponse
	c.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "f.bin", Type: "application/octet-stream"}, &cr)
	var sp api.SignPartResponse
	c.json(http.MethodGet, partPath(cr.UploadID, "/1"), url.Values{"key": {cr.Key}, "checksum": {b64}}, nil, &sp)
	require.Equal(t, b64, sp.Headers["x-amz-checksum-sha256"])

	bad := append([]byte(nil), data...)
	bad[10] ^= 1
	resp, body := put(t, sp.URL, sp.Headers, bad)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
	resp, body = put(t, sp.URL, nil, data)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, string(body))
	resp, body = put(t, sp.URL, sp.Headers, data)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, b64, resp.Header.Get("x-amz-checksum-sha256"))
}
