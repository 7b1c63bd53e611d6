package backend

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

// s3Error is the XML error body of an S3 server.
type s3ErrorBody struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// requireS3Refusal asserts that the storage server itself refused a PUT
// with an S3 XML error, and returns it.
func requireS3Refusal(t *testing.T, resp *http.Response, body []byte) s3ErrorBody {
	t.Helper()
	require.GreaterOrEqual(t, resp.StatusCode, 400, string(body))
	require.Less(t, resp.StatusCode, 500, string(body))
	var e s3ErrorBody
	require.NoError(t, xml.Unmarshal(body, &e), "not an S3 error: %s", body)
	require.NotEmpty(t, e.Code, string(body))
	return e
}

type s3Env struct {
	g     *gateway
	iss   *testIssuer
	srv   *Server
	base  string
	alice *apiClient
	bob   *apiClient
	clock *fakeClock
	logs  *logBuffer
}

func newS3Env(t *testing.T, edit func(c *Config)) *s3Env {
	t.Helper()
	e := &s3Env{g: startGateway(t), iss: newTestIssuer(t), clock: newFakeClock(), logs: &logBuffer{}}
	e.g.useCredentials(t)
	cfg := e.g.s3Config(e.iss, t.TempDir())
	if edit != nil {
		edit(cfg)
	}
	e.srv, e.base = serve(t, cfg, WithClock(e.clock.Now), WithLogger(e.logs.Logger()))
	e.alice = &apiClient{t: t, base: e.base, token: e.iss.token(t, "alice")}
	e.bob = &apiClient{t: t, base: e.base, token: e.iss.token(t, "bob")}
	return e
}

func TestS3SinglePutStoresTheObject(t *testing.T) {
	e := newS3Env(t, nil)
	body := randomBytes(t, 1<<20+3)
	var p api.ParamsResponse
	e.alice.json(http.MethodGet, api.RouteParams, url.Values{
		"filename": {"Holiday photo.jpg"}, "type": {"image/jpeg"}, "size": {itoa(int64(len(body)))},
		"metadata[caption]": {"Beach"}, "metadata[relativePath]": {"Trips/2026/ä.jpg"},
	}, nil, &p)
	require.True(t, strings.HasPrefix(p.URL, e.g.Endpoint+"/uploads/alice/"), p.URL)
	require.True(t, strings.HasPrefix(p.Key, "alice/"), p.Key)
	assert.Contains(t, p.URL, "X-Amz-Signature=")
	assert.Equal(t, "image/jpeg", p.Headers["Content-Type"])
	assert.Equal(t, int64(600), p.Expires)

	resp, data := put(t, p.URL, p.Headers, body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
	got, obj := e.g.object(t, p.Key)
	require.Equal(t, body, got, "stored object differs")
	assert.Equal(t, "image/jpeg", aws.ToString(obj.ContentType))
	assert.Equal(t, "Beach", obj.Metadata["caption"])
	assert.Equal(t, "Trips/2026/%C3%A4.jpg", obj.Metadata["relativepath"])
	assert.Equal(t, "Holiday photo.jpg", path.Base(p.Key))
	// The presigned query never reaches the backend's logs.
	assert.NotContains(t, e.logs.String(), mustQuery(t, p.URL).Get("X-Amz-Signature"))
}

func TestS3EmptyFileURLTakesNoBody(t *testing.T) {
	e := newS3Env(t, nil)
	p := e.alice.params("empty.txt", "text/plain", 0)
	assert.NotContains(t, mustQuery(t, p.URL).Get("X-Amz-SignedHeaders"), "content-length")
	resp, data := put(t, p.URL, p.Headers, []byte("smuggled bytes"))
	s3e := requireS3Refusal(t, resp, data)
	t.Logf("versitygw: %d %s", resp.StatusCode, s3e.Code)
	assert.False(t, e.g.exists(t, p.Key))
	resp, data = put(t, p.URL, p.Headers, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
	got, _ := e.g.object(t, p.Key)
	assert.Empty(t, got)
}

func TestS3RefusalsComeFromTheStorageServer(t *testing.T) {
	e := newS3Env(t, nil)
	body := randomBytes(t, 64<<10)
	params := func() api.ParamsResponse {
		var p api.ParamsResponse
		e.alice.json(http.MethodGet, api.RouteParams, url.Values{"filename": {"r.pdf"}, "type": {"application/pdf"}, "size": {itoa(int64(len(body)))}}, nil, &p)
		return p
	}
	tests := []struct {
		name   string
		do     func(p api.ParamsResponse) (*http.Response, []byte)
		before func()
		after  func()
	}{
		{name: "longer body", do: func(p api.ParamsResponse) (*http.Response, []byte) {
			return put(t, p.URL, p.Headers, append(append([]byte(nil), body...), 'x'))
		}},
		{name: "shorter body", do: func(p api.ParamsResponse) (*http.Response, []byte) {
			return put(t, p.URL, p.Headers, body[:len(body)-1])
		}},
		{name: "other content type", do: func(p api.ParamsResponse) (*http.Response, []byte) {
			return put(t, p.URL, map[string]string{"Content-Type": "text/html"}, body)
		}},
		{name: "tampered signature", do: func(p api.ParamsResponse) (*http.Response, []byte) {
			return put(t, withQuery(t, p.URL, func(q url.Values) {
				s := []byte(q.Get("X-Amz-Signature"))
				if s[0] == 'a' {
					s[0] = 'b'
				} else {
					s[0] = 'a'
				}
				q.Set("X-Amz-Signature", string(s))
			}), p.Headers, body)
		}},
		{name: "tampered key", do: func(p api.ParamsResponse) (*http.Response, []byte) {
			return put(t, strings.Replace(p.URL, "/uploads/alice/", "/uploads/bob/", 1), p.Headers, body)
		}},
		{name: "longer lifetime", do: func(p api.ParamsResponse) (*http.Response, []byte) {
			return put(t, withQuery(t, p.URL, func(q url.Values) { q.Set("X-Amz-Expires", "3600") }), p.Headers, body)
		}},
		{name: "expired", before: func() { e.clock.Advance(-16 * time.Minute) }, after: func() { e.clock.Advance(16 * time.Minute) },
			do: func(p api.ParamsResponse) (*http.Response, []byte) { return put(t, p.URL, p.Headers, body) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			p := params()
			if tt.after != nil {
				tt.after()
			}
			resp, data := tt.do(p)
			s3e := requireS3Refusal(t, resp, data)
			t.Logf("versitygw: %d %s %q", resp.StatusCode, s3e.Code, s3e.Message)
			if tt.name != "expired" {
				assert.Equal(t, http.StatusForbidden, resp.StatusCode)
				assert.Equal(t, "SignatureDoesNotMatch", s3e.Code)
			} else {
				assert.Equal(t, http.StatusForbidden, resp.StatusCode)
				// versitygw ends the message with a period; AWS does not.
				assert.Equal(t, "Request has expired", strings.TrimSuffix(s3e.Message, "."))
			}
			assert.False(t, e.g.exists(t, p.Key), "a refused PUT stored an object")
		})
	}
	t.Run("the untampered URL still works", func(t *testing.T) {
		p := params()
		resp, data := put(t, p.URL, p.Headers, body)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
	})
}

// uploadPart PUTs data to a signed part URL and returns the ETag.
func uploadPart(t *testing.T, u string, headers map[string]string, data []byte) string {
	t.Helper()
	resp, body := put(t, u, headers, data)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)
	return etag
}

func partPath(id string, rest string) string {
	return api.RouteMultipart + "/" + url.PathEscape(id) + rest
}

func TestS3MultipartWithListPartsResume(t *testing.T) {
	e := newS3Env(t, nil)
	parts := [][]byte{randomBytes(t, 5<<20), randomBytes(t, 5<<20), randomBytes(t, 777)}
	var whole []byte
	for _, p := range parts {
		whole = append(whole, p...)
	}
	var cr api.CreateMultipartResponse
	e.alice.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{
		Filename: "../big video.mp4", Type: "video/mp4", Size: int64(len(whole)), Metadata: map[string]string{"name": "big video.mp4"},
	}, &cr)
	require.NotEmpty(t, cr.UploadID)
	require.Regexp(t, `^alice/\d{4}/\d{2}/[0-9a-f-]{36}/big video\.mp4$`, cr.Key)
	kq := url.Values{"key": {cr.Key}}

	var sp api.SignPartResponse
	e.alice.json(http.MethodGet, partPath(cr.UploadID, "/1"), kq, nil, &sp)
	assert.Equal(t, int64(600), sp.Expires)
	etag1 := uploadPart(t, sp.URL, sp.Headers, parts[0])

	// The app restarts here: it only knows uploadId and key, and asks what
	// is already stored.
	var listed []api.Part
	e.alice.json(http.MethodGet, partPath(cr.UploadID, ""), kq, nil, &listed)
	require.Len(t, listed, 1)
	assert.Equal(t, 1, listed[0].PartNumber)
	assert.Equal(t, int64(5<<20), listed[0].Size)
	assert.Equal(t, normETag(etag1), normETag(listed[0].ETag))

	var batch api.BatchSignResponse
	q := url.Values{"key": {cr.Key}, "partNumbers": {"2,3"}}
	e.alice.json(http.MethodGet, partPath(cr.UploadID, "/batch"), q, nil, &batch)
	require.Len(t, batch.PresignedURLs, 2)
	uploadPart(t, batch.PresignedURLs["2"], nil, parts[1])
	uploadPart(t, batch.PresignedURLs["3"], nil, parts[2])

	e.alice.json(http.MethodGet, partPath(cr.UploadID, ""), kq, nil, &listed)
	require.Len(t, listed, 3)
	var done []api.Part
	for _, p := range listed {
		done = append(done, api.Part{PartNumber: p.PartNumber, ETag: p.ETag})
	}
	var cres api.CompleteResponse
	e.alice.json(http.MethodPost, partPath(cr.UploadID, "/complete"), kq, api.CompleteRequest{Parts: done}, &cres)
	assert.Equal(t, cr.Key, cres.Key)
	assert.NotEmpty(t, cres.Location)
	got, _ := e.g.object(t, cr.Key)
	require.Equal(t, whole, got, "assembled object differs")

	// The record is gone: the uploadId cannot be used again.
	e.alice.apiError(http.StatusNotFound, http.MethodGet, partPath(cr.UploadID, ""), kq, nil)
}

func TestS3AnotherUsersUploadIsRefused(t *testing.T) {
	e := newS3Env(t, nil)
	var cr api.CreateMultipartResponse
	e.alice.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "a.bin", Type: "application/octet-stream"}, &cr)
	kq := url.Values{"key": {cr.Key}}
	routes := []struct {
		method, path string
		q            url.Values
		body         any
	}{
		{http.MethodGet, partPath(cr.UploadID, "/1"), kq, nil},
		{http.MethodGet, partPath(cr.UploadID, "/batch"), url.Values{"key": {cr.Key}, "partNumbers": {"1"}}, nil},
		{http.MethodGet, partPath(cr.UploadID, ""), kq, nil},
		{http.MethodPost, partPath(cr.UploadID, "/complete"), kq, api.CompleteRequest{Parts: []api.Part{{PartNumber: 1, ETag: `"x"`}}}},
		{http.MethodDelete, partPath(cr.UploadID, ""), kq, nil},
	}
	for _, r := range routes {
		e := e.bob.apiError(http.StatusForbidden, r.method, r.path, r.q, r.body)
		assert.Equal(t, api.CodeForbidden, e.Code, "%s %s", r.method, r.path)
	}
	// Alice herself cannot point her uploadId at another key.
	other := url.Values{"key": {"bob/2026/01/x/a.bin"}}
	assert.Equal(t, api.CodeForbidden, e.alice.apiError(http.StatusForbidden, http.MethodGet, partPath(cr.UploadID, "/1"), other, nil).Code)
	// Her upload token names this upload only.
	tq := url.Values{"key": {cr.Key}, "token": {cr.Token}}
	assert.Equal(t, api.CodeForbidden, e.alice.apiError(http.StatusForbidden, http.MethodGet, partPath("another-upload", "/1"), tq, nil).Code)
	// Nothing is stored per upload, so signing an uploadId that does not
	// exist under her key gives a URL the storage refuses.
	var sp api.SignPartResponse
	e.alice.json(http.MethodGet, partPath("no-such-upload", "/1"), kq, nil, &sp)
	resp, body := put(t, sp.URL, sp.Headers, []byte("x"))
	assert.Equal(t, "NoSuchUpload", requireS3Refusal(t, resp, body).Code)

	var abort map[string]any
	e.alice.json(http.MethodDelete, partPath(cr.UploadID, ""), kq, nil, &abort)
	assert.Empty(t, abort)
	e.alice.apiError(http.StatusNotFound, http.MethodGet, partPath(cr.UploadID, ""), kq, nil)
}

func TestS3CompleteChecksDeclaredSize(t *testing.T) {
	e := newS3Env(t, nil)
	data := randomBytes(t, 1000)
	var cr api.CreateMultipartResponse
	e.alice.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "a.bin", Type: "application/octet-stream", Size: 999}, &cr)
	// The declared size travels in the upload token, as Ferry's client sends it.
	kq := url.Values{"key": {cr.Key}, "token": {cr.Token}}
	var sp api.SignPartResponse
	e.alice.json(http.MethodGet, partPath(cr.UploadID, "/1"), kq, nil, &sp)
	etag := uploadPart(t, sp.URL, sp.Headers, data)
	ae := e.alice.apiError(http.StatusBadRequest, http.MethodPost, partPath(cr.UploadID, "/complete"), kq,
		api.CompleteRequest{Parts: []api.Part{{PartNumber: 1, ETag: etag}}})
	assert.Equal(t, api.CodeSizeMismatch, ae.Code)
	assert.False(t, e.g.exists(t, cr.Key))
	// A part list naming a part that was never uploaded is refused too.
	ae = e.alice.apiError(http.StatusBadRequest, http.MethodPost, partPath(cr.UploadID, "/complete"), kq,
		api.CompleteRequest{Parts: []api.Part{{PartNumber: 1, ETag: etag}, {PartNumber: 2, ETag: etag}}})
	assert.Equal(t, api.CodeBadRequest, ae.Code)
}

func TestS3PartChecksums(t *testing.T) {
	e := newS3Env(t, func(c *Config) { c.Upload.Checksum = "sha256" })
	data := randomBytes(t, 4096)
	sum := sha256.Sum256(data)
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	var cr api.CreateMultipartResponse
	e.alice.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "c.bin", Type: "application/octet-stream", Size: 4096}, &cr)
	kq := url.Values{"key": {cr.Key}}

	// Without a checksum, or in a batch, the backend refuses to sign.
	e.alice.apiError(http.StatusBadRequest, http.MethodGet, partPath(cr.UploadID, "/1"), kq, nil)
	e.alice.apiError(http.StatusBadRequest, http.MethodGet, partPath(cr.UploadID, "/batch"), url.Values{"key": {cr.Key}, "partNumbers": {"1"}}, nil)

	var sp api.SignPartResponse
	e.alice.json(http.MethodGet, partPath(cr.UploadID, "/1"), url.Values{"key": {cr.Key}, "checksum": {b64}}, nil, &sp)
	assert.Equal(t, b64, sp.Headers["X-Amz-Checksum-Sha256"])
	// Other bytes of the same length under the signed checksum: the storage refuses.
	other := append([]byte(nil), data...)
	other[0] ^= 0xff
	resp, body := put(t, sp.URL, sp.Headers, other)
	s3e := requireS3Refusal(t, resp, body)
	t.Logf("versitygw: %d %s", resp.StatusCode, s3e.Code)
	// Dropping the checksum header breaks the signature.
	resp, body = put(t, sp.URL, nil, data)
	requireS3Refusal(t, resp, body)

	etag := uploadPart(t, sp.URL, sp.Headers, data)
	var listed []api.Part
	e.alice.json(http.MethodGet, partPath(cr.UploadID, ""), kq, nil, &listed)
	require.Len(t, listed, 1)
	assert.Equal(t, b64, listed[0].ChecksumSHA256)
	e.alice.json(http.MethodPost, partPath(cr.UploadID, "/complete"), kq, api.CompleteRequest{Parts: []api.Part{{PartNumber: 1, ETag: etag}}}, nil)
	got, _ := e.g.object(t, cr.Key)
	require.Equal(t, data, got)
}

func TestS3LimitsEnforced(t *testing.T) {
	e := newS3Env(t, func(c *Config) {
		c.Upload.MaxFileSize = 6 << 20
		c.Upload.MinFileSize = 1
		c.Upload.AllowedTypes = []string{"image/*", ".pdf"}
		c.Upload.MaxFiles = 3
		c.Limits.MaxBody = 4 << 10
	})
	pq := func(name, typ string, size int64) url.Values {
		return url.Values{"filename": {name}, "type": {typ}, "size": {itoa(size)}}
	}
	// size
	{
		assert.Equal(t, api.CodeTooLarge, e.alice.apiError(http.StatusRequestEntityTooLarge, http.MethodGet, api.RouteParams, pq("a.png", "image/png", 6<<20+1), nil).Code)
		assert.Equal(t, api.CodeTooSmall, e.alice.apiError(http.StatusBadRequest, http.MethodGet, api.RouteParams, pq("a.png", "image/png", 0), nil).Code)
		assert.Equal(t, api.CodeTooLarge, e.alice.apiError(http.StatusRequestEntityTooLarge, http.MethodPost, api.RouteMultipart, nil,
			api.CreateMultipartRequest{Filename: "a.png", Type: "image/png", Size: 7 << 20}).Code)
	}
	// type
	{
		assert.Equal(t, api.CodeTypeNotAllowed, e.alice.apiError(http.StatusUnsupportedMediaType, http.MethodGet, api.RouteParams, pq("a.txt", "text/plain", 5), nil).Code)
		assert.Equal(t, api.CodeTypeNotAllowed, e.alice.apiError(http.StatusUnsupportedMediaType, http.MethodPost, api.RouteMultipart, nil,
			api.CreateMultipartRequest{Filename: "a.exe", Type: "application/x-msdownload"}).Code)
		assert.Equal(t, api.CodeBadRequest, e.alice.apiError(http.StatusBadRequest, http.MethodGet, api.RouteParams, pq("a.png", "image/png; x=\x01", 5), nil).Code)
	}
	// assembled size over the limit when none was declared
	{
		var cr api.CreateMultipartResponse
		e.alice.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "big.png", Type: "image/png"}, &cr)
		kq := url.Values{"key": {cr.Key}}
		var parts []api.Part
		for i, n := range []int{5 << 20, 2 << 20} {
			var sp api.SignPartResponse
			e.alice.json(http.MethodGet, partPath(cr.UploadID, "/"+itoa(int64(i+1))), kq, nil, &sp)
			parts = append(parts, api.Part{PartNumber: i + 1, ETag: uploadPart(t, sp.URL, sp.Headers, randomBytes(t, n))})
		}
		ae := e.alice.apiError(http.StatusRequestEntityTooLarge, http.MethodPost, partPath(cr.UploadID, "/complete"), kq, api.CompleteRequest{Parts: parts})
		assert.Equal(t, api.CodeTooLarge, ae.Code)
		assert.False(t, e.g.exists(t, cr.Key))
	}
	// body size
	{
		ae := e.alice.apiError(http.StatusRequestEntityTooLarge, http.MethodPost, api.RouteMultipart, nil,
			api.CreateMultipartRequest{Filename: strings.Repeat("x", 5<<10) + ".png", Type: "image/png"})
		assert.Equal(t, api.CodeTooLarge, ae.Code)
	}
	// file count per user
	{
		// Alice has used 1 of her 3 files above (the one successful create;
		// refused requests do not count).
		e.alice.json(http.MethodGet, api.RouteParams, pq("b.pdf", "application/pdf", 5), nil, nil)
		e.alice.json(http.MethodGet, api.RouteParams, pq("c.png", "image/png", 5), nil, nil)
		assert.Equal(t, api.CodeTooManyFiles, e.alice.apiError(http.StatusTooManyRequests, http.MethodGet, api.RouteParams, pq("d.png", "image/png", 5), nil).Code)
		// Bob's count is his own.
		e.bob.json(http.MethodGet, api.RouteParams, pq("d.png", "image/png", 5), nil, nil)
		// The quota refills evenly: one file every day/3.
		e.clock.Advance(8 * time.Hour)
		later := e.iss.claims("alice")
		later["exp"] = e.clock.Now().Add(5 * time.Minute).Unix()
		e.alice.token = e.iss.sign(t, later, nil)
		e.alice.json(http.MethodGet, api.RouteParams, pq("d.png", "image/png", 5), nil, nil)
	}
}

func TestRateLimitPerUser(t *testing.T) {
	iss := newTestIssuer(t)
	clock := newFakeClock()
	cfg := oidcConfig(iss, t.TempDir())
	cfg.Limits.RequestsPerSecond = 1
	cfg.Limits.Burst = 3
	_, base := serve(t, cfg, WithClock(clock.Now))
	alice := &apiClient{t: t, base: base, token: iss.token(t, "alice")}
	bob := &apiClient{t: t, base: base, token: iss.token(t, "bob")}
	q := url.Values{"filename": {"a.txt"}, "type": {"text/plain"}, "size": {"1"}}
	for range 3 {
		alice.json(http.MethodGet, api.RouteParams, q, nil, nil)
	}
	resp, data := alice.do(http.MethodGet, api.RouteParams, q, nil)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, api.CodeRateLimited, decodeAPIError(t, resp, data).Code)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	bob.json(http.MethodGet, api.RouteParams, q, nil, nil)
	clock.Advance(time.Second)
	alice.json(http.MethodGet, api.RouteParams, q, nil, nil)
}

func TestS3OwnershipSurvivesRestart(t *testing.T) {
	g := startGateway(t)
	g.useCredentials(t)
	iss := newTestIssuer(t)
	state := t.TempDir()
	srv1, base1 := serve(t, g.s3Config(iss, state))
	alice1 := &apiClient{t: t, base: base1, token: iss.token(t, "alice")}
	var cr api.CreateMultipartResponse
	alice1.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "a.bin", Type: "application/octet-stream"}, &cr)
	require.NoError(t, srv1.Shutdown(t.Context()))

	_, base2 := serve(t, g.s3Config(iss, state))
	kq := url.Values{"key": {cr.Key}}
	var listed []api.Part
	(&apiClient{t: t, base: base2, token: iss.token(t, "alice")}).json(http.MethodGet, partPath(cr.UploadID, ""), kq, nil, &listed)
	assert.Empty(t, listed)
	bob := &apiClient{t: t, base: base2, token: iss.token(t, "bob")}
	assert.Equal(t, api.CodeForbidden, bob.apiError(http.StatusForbidden, http.MethodGet, partPath(cr.UploadID, ""), kq, nil).Code)
}

// TestUppyShapes pins the JSON field names and casing @uppy/aws-s3 reads
// (and Companion writes) on every S3 route.
func TestUppyShapes(t *testing.T) {
	e := newS3Env(t, nil)
	keysOf := func(raw []byte) []string {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw, &m), string(raw))
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		return ks
	}
	get := func(method, path string, q url.Values, body any) []byte {
		resp, data := e.alice.do(method, path, q, body)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
		return data
	}
	// getUploadParameters: {method, url, fields, headers} (+ expires; key is Ferry's addition).
	raw := get(http.MethodGet, api.RouteParams, url.Values{"filename": {"a.png"}, "type": {"image/png"}, "size": {"3"}, "metadata[name]": {"a.png"}}, nil)
	assert.ElementsMatch(t, []string{"method", "url", "fields", "headers", "expires", "key"}, keysOf(raw))
	var params struct {
		Method string            `json:"method"`
		Fields map[string]string `json:"fields"`
	}
	require.NoError(t, json.Unmarshal(raw, &params))
	assert.Equal(t, "PUT", params.Method)
	assert.NotNil(t, params.Fields, "fields must be an object for a PUT")
	assert.Empty(t, params.Fields)

	// createMultipartUpload: Uppy posts {filename, type, metadata} and reads {key, uploadId}.
	raw = get(http.MethodPost, api.RouteMultipart, nil, map[string]any{"filename": "b.png", "type": "image/png", "metadata": map[string]string{"name": "b.png", "relativePath": "x/b.png"}})
	// token is Ferry's extension (ownership.go); Uppy ignores it.
	assert.ElementsMatch(t, []string{"key", "uploadId", "token"}, keysOf(raw))
	var cr api.CreateMultipartResponse
	require.NoError(t, json.Unmarshal(raw, &cr))
	kq := url.Values{"key": {cr.Key}}

	// signPart: {url, expires} (+ headers when there are any to send).
	raw = get(http.MethodGet, partPath(cr.UploadID, "/1"), kq, nil)
	assert.Subset(t, []string{"url", "expires", "headers"}, keysOf(raw))
	assert.Contains(t, keysOf(raw), "url")
	var sp api.SignPartResponse
	require.NoError(t, json.Unmarshal(raw, &sp))
	part := randomBytes(t, 10)
	etag := uploadPart(t, sp.URL, sp.Headers, part)

	// prepareUploadParts (batch): {presignedUrls: {"1": url}}.
	raw = get(http.MethodGet, partPath(cr.UploadID, "/batch"), url.Values{"key": {cr.Key}, "partNumbers": {"1,2"}}, nil)
	assert.Contains(t, keysOf(raw), "presignedUrls")
	assert.Subset(t, []string{"presignedUrls", "headers"}, keysOf(raw))

	// listParts: an array of {PartNumber, Size, ETag}, capitalised like S3.
	raw = get(http.MethodGet, partPath(cr.UploadID, ""), kq, nil)
	var list []map[string]any
	require.NoError(t, json.Unmarshal(raw, &list), string(raw))
	require.Len(t, list, 1)
	assert.ElementsMatch(t, []string{"PartNumber", "Size", "ETag"}, mapKeys(list[0]))
	assert.EqualValues(t, 1, list[0]["PartNumber"])
	assert.EqualValues(t, 10, list[0]["Size"])

	// completeMultipartUpload: Uppy posts {parts: [{ETag, PartNumber}]} and reads {location}.
	raw = get(http.MethodPost, partPath(cr.UploadID, "/complete"), kq, map[string]any{"parts": []map[string]any{{"ETag": etag, "PartNumber": 1}}})
	assert.ElementsMatch(t, []string{"location", "key"}, keysOf(raw))

	// abortMultipartUpload: any JSON object without "error".
	var cr2 api.CreateMultipartResponse
	e.alice.json(http.MethodPost, api.RouteMultipart, nil, map[string]any{"filename": "c.png", "type": "image/png"}, &cr2)
	raw = get(http.MethodDelete, partPath(cr2.UploadID, ""), url.Values{"key": {cr2.Key}}, nil)
	assert.JSONEq(t, `{}`, string(raw))

	// Errors: Uppy's assertServerError looks for "error" and shows "message".
	resp, data := e.alice.do(http.MethodGet, partPath(cr2.UploadID, ""), url.Values{"key": {cr2.Key}}, nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.ElementsMatch(t, []string{"error", "message"}, keysOf(data))
}

func mapKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
