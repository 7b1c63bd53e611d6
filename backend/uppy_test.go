package backend

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/internal/testenv"
)

// uppyResult is what the test page reports after uppy.upload().
type uppyResult struct {
	Error string `json:"error"`
	OK    []struct {
		Name, Key, Location string
	} `json:"ok"`
	Failed []struct {
		Name, Error string
	} `json:"failed"`
}

// uppyPage serves the test page (backend/testdata/uppy/page.html), the Uppy
// bundle and the file to upload on its own loopback origin, and collects
// the page's report.
type uppyPage struct {
	Origin string
	result chan uppyResult
	mu     sync.Mutex
	cfg    []byte // the page's config as JSON; set before run
}

func (p *uppyPage) configure(t *testing.T, cfg map[string]any) {
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	p.mu.Lock()
	p.cfg = b
	p.mu.Unlock()
}

func startUppyPage(t *testing.T, bundle string, data []byte) *uppyPage {
	t.Helper()
	html, err := os.ReadFile("testdata/uppy/page.html")
	require.NoError(t, err)
	js, err := os.ReadFile(bundle)
	require.NoError(t, err)
	p := &uppyPage{result: make(chan uppyResult, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		page := strings.Replace(string(html), "__CONFIG__", string(p.cfg), 1)
		p.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, page)
	})
	mux.HandleFunc("GET /uppy.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write(js)
	})
	mux.HandleFunc("GET /data", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(data)
	})
	mux.HandleFunc("POST /result", func(w http.ResponseWriter, r *http.Request) {
		var res uppyResult
		if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
			res.Error = "bad report: " + err.Error()
		}
		select {
		case p.result <- res:
		default: // only the first report counts
		}
	})
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	srv.Start()
	t.Cleanup(srv.Close)
	p.Origin = srv.URL
	return p
}

// run opens the page in headless Chromium and waits for its report.
func (p *uppyPage) run(t *testing.T) uppyResult {
	t.Helper()
	open := testenv.ChromiumOpener(t)
	require.NoError(t, open(context.Background(), p.Origin+"/"))
	select {
	case res := <-p.result:
		require.Empty(t, res.Error)
		require.Empty(t, res.Failed, "Uppy reported failed uploads")
		require.Len(t, res.OK, 1)
		return res
	case <-time.After(2 * time.Minute):
		t.Fatal("the page never reported: Uppy did not finish")
		return uppyResult{}
	}
}

// allowBrowserUploads gives the bucket the CORS rule a browser uploader
// needs (README-config.md shows the same rule): the page's origin may PUT
// parts and POST forms, and read the ETag of each part.
func allowBrowserUploads(t *testing.T, g *gateway, origin string) {
	t.Helper()
	_, err := g.Client.PutBucketCors(context.Background(), &s3.PutBucketCorsInput{
		Bucket: aws.String(g.Bucket),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{
			AllowedOrigins: []string{origin},
			AllowedMethods: []string{"GET", "PUT", "POST"},
			AllowedHeaders: []string{"*"},
			ExposeHeaders:  []string{"ETag", "Location"},
			MaxAgeSeconds:  aws.Int32(600),
		}}},
	})
	require.NoError(t, err)
}

// TestRealUppyUploadsThroughFerryBackend runs the real Uppy 6
// (@uppy/core + @uppy/aws-s3 from the pinned npm lock file) in headless
// Chromium, in Companion mode against ferry-backend on 127.0.0.1 with its
// s3 driver in front of versitygw. The browser talks to both directly (no
// proxy); each upload must land in the bucket byte for byte.
func TestRealUppyUploadsThroughFerryBackend(t *testing.T) {
	bundle := testenv.UppyBundle(t)
	testenv.Chromium(t)
	for _, tc := range []struct {
		name      string
		size      int
		multipart bool
	}{
		{"single POST upload", 300<<10 + 7, false},
		{"multipart upload", 11<<20 + 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := startGateway(t)
			g.useCredentials(t)
			data := randomBytes(t, tc.size)
			page := startUppyPage(t, bundle, data)
			allowBrowserUploads(t, g, page.Origin)

			bc := g.s3Config(&testIssuer{}, t.TempDir())
			bc.Auth = AuthConfig{Type: "none"}
			bc.CORS.AllowedOrigins = []string{page.Origin}
			logs := &logBuffer{}
			_, base := serve(t, bc, WithLogger(logs.Logger()))
			page.configure(t, map[string]any{"mode": "companion", "backend": base, "multipart": tc.multipart, "name": "Holiday photo.jpg", "type": "image/jpeg"})

			res := page.run(t)
			got, obj := g.object(t, res.OK[0].Key)
			require.Equal(t, data, got, "stored object differs from the file Uppy uploaded")
			assert.True(t, strings.HasPrefix(res.OK[0].Key, LocalUser+"/"), res.OK[0].Key)
			assert.True(t, strings.HasSuffix(res.OK[0].Key, "/Holiday photo.jpg"), res.OK[0].Key)
			assert.Equal(t, "image/jpeg", aws.ToString(obj.ContentType))
			assert.Equal(t, "Beach", obj.Metadata["caption"])
			assert.Equal(t, "5", obj.Metadata["rating"])
			assert.True(t, strings.HasPrefix(res.OK[0].Location, g.Endpoint+"/"), "Uppy uploaded elsewhere than the storage: %s", res.OK[0].Location)
			assert.NotContains(t, logs.String(), "/storage", "bytes went through the backend")
			if tc.multipart {
				assert.Regexp(t, `method=POST path=/s3/multipart/\S+/complete status=200`, logs.String())
			} else {
				assert.Contains(t, logs.String(), "method=GET path=/s3/params status=200")
				assert.NotContains(t, logs.String(), "path=/s3/multipart")
			}
		})
	}
}

// TestRealUppyCustomFunctionModeWithOIDC: against a backend that requires
// an OIDC bearer, a web page cannot use Companion mode (Uppy sends no
// Authorization header there). The supported way is Uppy's custom-function
// mode: the page's signRequest calls GET /s3/params itself with its own
// Authorization header and hands Uppy the POST policy.
func TestRealUppyCustomFunctionModeWithOIDC(t *testing.T) {
	bundle := testenv.UppyBundle(t)
	testenv.Chromium(t)
	g := startGateway(t)
	g.useCredentials(t)
	iss := newTestIssuer(t)
	data := randomBytes(t, 200<<10+1)
	page := startUppyPage(t, bundle, data)
	allowBrowserUploads(t, g, page.Origin)
	bc := g.s3Config(iss, t.TempDir())
	bc.CORS.AllowedOrigins = []string{page.Origin}
	logs := &logBuffer{}
	_, base := serve(t, bc, WithLogger(logs.Logger()))

	// Companion mode cannot authenticate: the backend refuses it.
	e := (&apiClient{t: t, base: base}).apiError(http.StatusUnauthorized, http.MethodGet, "/s3/params", url.Values{"filename": {"a.pdf"}, "type": {"application/pdf"}}, nil)
	assert.Equal(t, "unauthorized", e.Code)

	tok := iss.token(t, "alice@example")
	page.configure(t, map[string]any{"mode": "custom", "backend": base, "token": tok, "multipart": false, "name": "Report.pdf", "type": "application/pdf"})
	res := page.run(t)
	got, obj := g.object(t, res.OK[0].Key)
	require.Equal(t, data, got, "stored object differs from the file Uppy uploaded")
	assert.True(t, strings.HasPrefix(res.OK[0].Key, "alice@example/"), res.OK[0].Key)
	assert.Equal(t, "application/pdf", aws.ToString(obj.ContentType))
	assert.Contains(t, logs.String(), "method=GET path=/s3/params status=200")
	assert.Contains(t, logs.String(), "user=alice@example")
	assert.NotContains(t, logs.String(), tok)
}

// TestRealUppyWithLocalStorage: the same Uppy in Companion mode against the
// local driver, whose /storage handler takes the POST form and the part
// PUTs itself (so its CORS must expose ETag too).
func TestRealUppyWithLocalStorage(t *testing.T) {
	bundle := testenv.UppyBundle(t)
	testenv.Chromium(t)
	for _, tc := range []struct {
		name      string
		size      int
		multipart bool
	}{
		{"single POST upload", 100<<10 + 1, false},
		{"multipart upload", 10<<20 + 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data := randomBytes(t, tc.size)
			page := startUppyPage(t, bundle, data)
			bc := EmbeddedConfig(dir)
			bc.StateDir = ""
			bc.CORS.AllowedOrigins = []string{page.Origin}
			logs := &logBuffer{}
			_, base := serve(t, bc, WithLogger(logs.Logger()))
			page.configure(t, map[string]any{"mode": "companion", "backend": base, "multipart": tc.multipart, "name": "notes.txt", "type": "text/plain"})
			defer func() {
				if t.Failed() {
					t.Log(logs.String())
				}
			}()
			res := page.run(t)
			got, err := os.ReadFile(filepath.Join(dir, "files", filepath.FromSlash(res.OK[0].Key)))
			require.NoError(t, err)
			require.Equal(t, data, got, "stored file differs from the file Uppy uploaded")
			// The built-in backend's storage is the person's own folder: a
			// multipart upload's location is the stored file itself.
			want := base + "/storage/" + escapeKey(res.OK[0].Key)
			if tc.multipart {
				want = (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, "files", filepath.FromSlash(res.OK[0].Key)))}).String()
			}
			assert.Equal(t, want, res.OK[0].Location)
		})
	}
}
