package backend

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

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
	// The built-in backend reports the stored file itself (issue 20 item 4).
	assert.Equal(t, "file://"+filepath.ToSlash(filepath.Join(dir, "files", filepath.FromSlash(cr.Key))), cres.Location)
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

	// The declared size: a longer part is refused by the storage, a shorter
	// one by Complete.
	cr, kq = create(10)
	resp, data := put(t, sign(cr, kq, "1").URL, nil, []byte("eleven byte"))
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, string(data))
	p1 = uploadPart(t, sign(cr, kq, "1").URL, nil, []byte("nine byte"))
	ae = c.apiError(http.StatusBadRequest, http.MethodPost, partPath(cr.UploadID, "/complete"), kq,
		api.CompleteRequest{Parts: []api.Part{{PartNumber: 1, ETag: p1}}})
	assert.Equal(t, api.CodeSizeMismatch, ae.Code)

	// Abort removes the parts; the URLs stop working.
	sp := sign(cr, kq, "1")
	var empty map[string]any
	c.json(http.MethodDelete, partPath(cr.UploadID, ""), kq, nil, &empty)
	_, err := os.Stat(filepath.Join(dir, "files", localMultipartDir, cr.UploadID))
	assert.True(t, os.IsNotExist(err))
	resp, data = put(t, sp.URL, nil, []byte("late"))
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

// An upload declared as 10 bytes cannot be used to store 16 MiB: part
// numbers beyond the declared size are not signed, and the storage refuses
// a part longer than what is left of the declared size.
func TestMultipartPartURLsBindTheDeclaredSize(t *testing.T) {
	e, dir, _ := startEmbedded(t)
	c := &apiClient{t: t, base: e.URL, token: e.Token}
	var cr api.CreateMultipartResponse
	c.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "tiny.bin", Type: "application/octet-stream", Size: 10}, &cr)
	// The declared size travels in the upload token the create answer
	// carries (Ferry's client sends it back; without it the bound is
	// max_file_size, see TestMultipartPartURLsBindMaxFileSizeWhenUndeclared).
	require.NotEmpty(t, cr.Token)
	kq := url.Values{"key": {cr.Key}, "token": {cr.Token}}

	ae := c.apiError(http.StatusBadRequest, http.MethodGet, partPath(cr.UploadID, "/2"), kq, nil)
	assert.Equal(t, api.CodeTooLarge, ae.Code)
	assert.Contains(t, ae.Message, "10 bytes")
	ae = c.apiError(http.StatusBadRequest, http.MethodGet, partPath(cr.UploadID, "/batch"), url.Values{"key": {cr.Key}, "token": {cr.Token}, "partNumbers": {"1,2,3"}}, nil)
	assert.Equal(t, api.CodeTooLarge, ae.Code)

	var sp api.SignPartResponse
	c.json(http.MethodGet, partPath(cr.UploadID, "/1"), kq, nil, &sp)
	resp, data := put(t, sp.URL, sp.Headers, randomBytes(t, 16<<20))
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, string(data))
	assert.Equal(t, api.CodeTooLarge, decodeAPIError(t, resp, data).Code)
	// Raising the bound in the URL breaks its signature.
	resp, data = put(t, withQuery(t, sp.URL, func(q url.Values) { q.Set("max", "99999999") }), sp.Headers, randomBytes(t, 16<<20))
	require.Equal(t, http.StatusForbidden, resp.StatusCode, string(data))

	var listed []api.Part
	c.json(http.MethodGet, partPath(cr.UploadID, ""), kq, nil, &listed)
	assert.Empty(t, listed)
	stored, err := os.ReadDir(filepath.Join(dir, "files", localMultipartDir, cr.UploadID))
	require.NoError(t, err)
	assert.Len(t, stored, 1, "only upload.json, no part data")

	body := randomBytes(t, 10)
	etag := uploadPart(t, sp.URL, sp.Headers, body)
	var done api.CompleteResponse
	c.json(http.MethodPost, partPath(cr.UploadID, "/complete"), kq, api.CompleteRequest{Parts: []api.Part{{PartNumber: 1, ETag: etag}}}, &done)
	got, err := os.ReadFile(filepath.Join(dir, "files", filepath.FromSlash(cr.Key)))
	require.NoError(t, err)
	assert.Equal(t, body, got)
}

// Without a declared size (what Uppy sends) the bound is max_file_size.
func TestMultipartPartURLsBindMaxFileSizeWhenUndeclared(t *testing.T) {
	iss := newTestIssuer(t)
	cfg := oidcConfig(iss, t.TempDir())
	cfg.Upload.MaxFileSize = 6 << 20
	_, base := serve(t, cfg)
	c := &apiClient{t: t, base: base, token: iss.token(t, "alice")}
	var cr api.CreateMultipartResponse
	c.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "a.bin", Type: "application/octet-stream"}, &cr)
	kq := url.Values{"key": {cr.Key}}
	var sp api.SignPartResponse
	c.json(http.MethodGet, partPath(cr.UploadID, "/2"), kq, nil, &sp)
	resp, data := put(t, sp.URL, sp.Headers, randomBytes(t, 1<<20+1))
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, string(data))
	c.apiError(http.StatusBadRequest, http.MethodGet, partPath(cr.UploadID, "/3"), kq, nil)
}

// A part still streaming when its upload is aborted must not bring the
// upload's folder back: the late part is refused and nothing is left.
func TestLocalPartArrivingAfterAbortIsRefused(t *testing.T) {
	e, dir, _ := startEmbedded(t)
	c := &apiClient{t: t, base: e.URL, token: e.Token}
	var cr api.CreateMultipartResponse
	c.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "slow.bin", Type: "application/octet-stream"}, &cr)
	kq := url.Values{"key": {cr.Key}}
	var sp api.SignPartResponse
	c.json(http.MethodGet, partPath(cr.UploadID, "/1"), kq, nil, &sp)

	body := randomBytes(t, 1<<20)
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPut, sp.URL, pr)
	require.NoError(t, err)
	req.ContentLength = int64(len(body))
	type answer struct {
		status int
		body   []byte
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- answer{status: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- answer{resp.StatusCode, b}
	}()
	_, err = pw.Write(body[:len(body)/2])
	require.NoError(t, err)
	tmpDir := filepath.Join(dir, "files", localTmpDir)
	require.Eventually(t, func() bool {
		ents, _ := os.ReadDir(tmpDir)
		return len(ents) > 0
	}, 10*time.Second, 5*time.Millisecond, "the part never started arriving")

	var empty map[string]any
	c.json(http.MethodDelete, partPath(cr.UploadID, ""), kq, nil, &empty)
	_, err = pw.Write(body[len(body)/2:])
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	a := <-done
	require.Equal(t, http.StatusNotFound, a.status, string(a.body))
	_, err = os.Stat(filepath.Join(dir, "files", localMultipartDir, cr.UploadID))
	assert.True(t, os.IsNotExist(err), "the aborted upload's folder came back")
	ents, err := os.ReadDir(tmpDir)
	require.NoError(t, err)
	assert.Empty(t, ents)
}

// Multipart uploads nobody finishes are removed after the TTL, parts and all.
func TestLocalSweepsAbandonedMultipartUploads(t *testing.T) {
	clock := newFakeClock()
	e, dir, _ := startEmbedded(t, WithClock(clock.Now))
	c := &apiClient{t: t, base: e.URL, token: e.Token}
	create := func() (api.CreateMultipartResponse, url.Values) {
		var cr api.CreateMultipartResponse
		c.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "x.bin", Type: "application/octet-stream"}, &cr)
		return cr, url.Values{"key": {cr.Key}}
	}
	old, oq := create()
	var sp api.SignPartResponse
	c.json(http.MethodGet, partPath(old.UploadID, "/1"), oq, nil, &sp)
	uploadPart(t, sp.URL, nil, randomBytes(t, 4096))

	clock.Advance(DefaultMultipartTTL - time.Minute)
	fresh, fq := create()
	require.DirExists(t, filepath.Join(dir, "files", localMultipartDir, old.UploadID), "swept before its TTL")

	clock.Advance(2 * time.Hour)
	create()
	assert.NoDirExists(t, filepath.Join(dir, "files", localMultipartDir, old.UploadID))
	c.apiError(http.StatusNotFound, http.MethodGet, partPath(old.UploadID, ""), oq, nil)
	var parts []api.Part
	c.json(http.MethodGet, partPath(fresh.UploadID, ""), fq, nil, &parts)
}
