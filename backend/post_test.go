package backend

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

// postUpload sends a browser-style POST upload: the fields (sorted, for a
// stable form) and then the file, as FormData does.
func postUpload(t *testing.T, rawURL string, fields map[string]string, body []byte) (*http.Response, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		require.NoError(t, mw.WriteField(k, fields[k]))
	}
	fw, err := mw.CreateFormFile("file", "blob")
	require.NoError(t, err)
	_, err = fw.Write(body)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, rawURL, &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}

// postParams asks for a POST policy the way Uppy does: no size.
func postParams(t *testing.T, c *apiClient, name, typ string, meta map[string]string) api.ParamsResponse {
	t.Helper()
	q := url.Values{"filename": {name}, "type": {typ}}
	for k, v := range meta {
		q.Set("metadata["+k+"]", v)
	}
	var p api.ParamsResponse
	c.json(http.MethodGet, api.RouteParams, q, nil, &p)
	require.Equal(t, http.MethodPost, p.Method)
	require.Equal(t, p.Key, p.Fields["key"], "the key is fixed by the backend")
	require.NotEmpty(t, p.Fields["policy"])
	return p
}

func with(fields map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for a, b := range fields {
		out[a] = b
	}
	if v == "" {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// postPolicyRules runs the same POST-policy checks against either driver;
// stored returns an object's bytes or false.
func postPolicyRules(t *testing.T, c *apiClient, clock *fakeClock, maxSize int, stored func(key string) ([]byte, bool), refused func(t *testing.T, resp *http.Response, body []byte)) {
	body := randomBytes(t, maxSize)
	p := postParams(t, c, "Report 2026.pdf", "application/pdf", map[string]string{"caption": "Q1"})
	assert.Equal(t, "application/pdf", p.Fields["Content-Type"])
	assert.Equal(t, "Q1", p.Fields["x-amz-meta-caption"])
	assert.True(t, strings.HasPrefix(p.Key, "alice/"), p.Key)
	assert.Empty(t, p.Headers)

	cases := map[string]struct {
		fields map[string]string
		body   []byte
	}{
		"one byte too many": {p.Fields, append(append([]byte(nil), body...), 'x')},
		"empty file":        {p.Fields, nil},
		"other key":         {with(p.Fields, "key", "alice/elsewhere.pdf"), body},
		"other type":        {with(p.Fields, "Content-Type", "text/html"), body},
		"no type":           {with(p.Fields, "Content-Type", ""), body},
		"other metadata":    {with(p.Fields, "x-amz-meta-caption", "Q2"), body},
		"extra metadata":    {with(p.Fields, "x-amz-meta-owner", "mallory"), body},
		"forged policy":     {with(p.Fields, "policy", p.Fields["policy"][:len(p.Fields["policy"])-4]+"AAAA"), body},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, data := postUpload(t, p.URL, tc.fields, tc.body)
			refused(t, resp, data)
			_, ok := stored(p.Key)
			assert.False(t, ok, "stored despite the refusal")
		})
	}
	resp, data := postUpload(t, p.URL, p.Fields, body)
	require.Less(t, resp.StatusCode, 300, string(data))
	got, ok := stored(p.Key)
	require.True(t, ok)
	require.Equal(t, body, got, "stored object differs")

	// A policy signed 16 minutes ago has expired (the storage checks it on
	// its own clock).
	clock.Advance(-16 * time.Minute)
	late := postParams(t, c, "late.pdf", "application/pdf", nil)
	clock.Advance(16 * time.Minute)
	resp, data = postUpload(t, late.URL, late.Fields, body)
	refused(t, resp, data)
}

func TestLocalPostPolicy(t *testing.T) {
	iss := newTestIssuer(t)
	dir := t.TempDir()
	cfg := oidcConfig(iss, dir)
	cfg.Upload.MaxFileSize = 64 << 10
	clock := newFakeClock()
	_, base := serve(t, cfg, WithClock(clock.Now))
	c := &apiClient{t: t, base: base, token: iss.token(t, "alice")}
	stored := func(key string) ([]byte, bool) {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
		return b, err == nil
	}
	refused := func(t *testing.T, resp *http.Response, body []byte) {
		require.GreaterOrEqual(t, resp.StatusCode, 400, string(body))
		require.Less(t, resp.StatusCode, 500, string(body))
		decodeAPIError(t, resp, body)
	}
	p := postParams(t, c, "x.pdf", "application/pdf", nil)
	assert.Equal(t, base+"/storage", p.URL)
	postPolicyRules(t, c, clock, 64<<10, stored, refused)
	ents, err := os.ReadDir(filepath.Join(dir, localTmpDir))
	require.NoError(t, err)
	assert.Empty(t, ents, "refused uploads left temp files")
}

func TestS3PostPolicy(t *testing.T) {
	e := newS3Env(t, func(c *Config) { c.Upload.MaxFileSize = 64 << 10 })
	stored := func(key string) ([]byte, bool) {
		if !e.g.exists(t, key) {
			return nil, false
		}
		b, _ := e.g.object(t, key)
		return b, true
	}
	refused := func(t *testing.T, resp *http.Response, body []byte) {
		require.GreaterOrEqual(t, resp.StatusCode, 400, string(body))
		require.Less(t, resp.StatusCode, 500, string(body))
		var se s3ErrorBody
		require.NoError(t, xml.Unmarshal(body, &se), "not an S3 error: %s", body)
		t.Logf("versitygw: %d %s", resp.StatusCode, se.Code)
	}
	postPolicyRules(t, e.alice, e.clock, 64<<10, stored, refused)
	p := postParams(t, e.alice, "meta.pdf", "application/pdf", map[string]string{"relativePath": "Trips/ä.pdf"})
	resp, data := postUpload(t, p.URL, p.Fields, []byte("%PDF-1.7"))
	require.Less(t, resp.StatusCode, 300, string(data))
	_, obj := e.g.object(t, p.Key)
	assert.Equal(t, "application/pdf", *obj.ContentType)
	assert.Equal(t, "Trips/%C3%A4.pdf", obj.Metadata["relativepath"])
}

// Uppy sends a file's whole meta with numbers, booleans, nulls and keys
// people typed; Companion stores them, and so does Ferry, encoded for S3.
func TestMetadataAsCompanionAcceptsIt(t *testing.T) {
	e := newS3Env(t, nil)
	body := json.RawMessage(`{"filename":"a.jpg","type":"image/jpeg","metadata":{
		"name":"a.jpg","type":"image/jpeg","relativePath":null,"size":1234,"fav":true,"rating":4.5,
		"My Caption":"Strand ä","ünï":"x"}}`)
	var cr api.CreateMultipartResponse
	e.alice.json(http.MethodPost, api.RouteMultipart, nil, body, &cr)
	kq := url.Values{"key": {cr.Key}}
	var sp api.SignPartResponse
	e.alice.json(http.MethodGet, partPath(cr.UploadID, "/1"), kq, nil, &sp)
	etag := uploadPart(t, sp.URL, sp.Headers, []byte("jpeg"))
	e.alice.json(http.MethodPost, partPath(cr.UploadID, "/complete"), kq, api.CompleteRequest{Parts: []api.Part{{PartNumber: 1, ETag: etag}}}, nil)
	_, obj := e.g.object(t, cr.Key)
	assert.Equal(t, map[string]string{
		"name": "a.jpg", "type": "image/jpeg", "size": "1234", "fav": "true", "rating": "4.5",
		"my%20caption": "Strand %C3%A4", "%c3%bcn%c3%af": "x",
	}, obj.Metadata)

	for _, bad := range []string{
		`{"filename":"a.jpg","type":"image/jpeg","metadata":{"tags":["a","b"]}}`,
		`{"filename":"a.jpg","type":"image/jpeg","metadata":{"geo":{"lat":1}}}`,
		`{"filename":"a.jpg","type":"image/jpeg","metadata":{"big":"` + strings.Repeat("x", 3000) + `"}}`,
	} {
		ae := e.alice.apiError(http.StatusBadRequest, http.MethodPost, api.RouteMultipart, nil, json.RawMessage(bad))
		assert.Equal(t, api.CodeBadRequest, ae.Code)
	}
}
