package dropbox

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/dropbox/fakedropbox"
	"github.com/ferry-app/ferry/providers/providertest"
)

func fastClient() *providers.Client {
	return &providers.Client{MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}
}

func startFake(t *testing.T, pageSize int) *fakedropbox.Server {
	fd := fakedropbox.New(fakedropbox.Options{PageSize: pageSize})
	t.Cleanup(fd.Close)
	return fd
}

func newProvider(t *testing.T, fd *fakedropbox.Server, pageSize int, scopes ...string) *Provider {
	at, _ := fd.IssueToken(scopes...)
	p, err := New(Options{APIBase: fd.URL, ContentBase: fd.URL, Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at}),
		PageSize: pageSize, Client: fastClient()})
	require.NoError(t, err)
	return p
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// must is for seeding the fake, where an error is a broken test.
func must(id string, err error) string {
	if err != nil {
		panic(err)
	}
	return id
}

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{New: func(t *testing.T) *providertest.Fixture {
		fd := startFake(t, 4)
		root := must(fd.AddFolder("", "ferry-test"))
		var mu sync.Mutex
		return &providertest.Fixture{
			Provider: newProvider(t, fd, 4),
			RootID:   root,
			PageSize: 4,
			Seed: func(path []string, data []byte) error {
				mu.Lock()
				defer mu.Unlock()
				parent := root
				for _, n := range path[:len(path)-1] {
					id, err := fd.EnsureFolder(parent, n)
					if err != nil {
						return err
					}
					parent = id
				}
				_, err := fd.AddFile(parent, path[len(path)-1], data)
				return err
			},
			Rejects:   fakedropbox.Rejects,
			MissingID: "id:AAAAAAAAAAAAAAAAAAAAAA",
			SeedOutside: func(name string, data []byte) error {
				_, err := fd.AddFile("", name, data)
				return err
			},
			Faults: fd.Faults,
		}
	}})
}

// Dropbox's published test vector is milky-way-nasa.jpg (9 711 423 bytes,
// content_hash 485291fa…35e0); its three block hashes are published with
// it. The combining step must give the file's hash from them.
func TestContentHashPublishedVector(t *testing.T) {
	blocks := "2a846fa617c3361fc117e1c5c1e1838c336b6a5cef982c1a2d9bdf68f2f1992a" +
		"c68469027410ea393eba6551b9fa1e26db775f00eae70a0c3c129a0011a39cf9" +
		"7376192de020925ce6c5ef5a8a0405e931b0a9a8c75517aacd9ca24a8a56818b"
	b, err := hex.DecodeString(blocks)
	require.NoError(t, err)
	// The image itself is not in the repository: feed the published block
	// digests to the outer hash and finish it the way Sum does.
	h := NewContentHash().(*contentHash)
	h.overall.Write(b)
	assert.Equal(t, "485291fa0ee50c016982abbfa943957bcd231aae0492ccbaa22c58e3997b35e0", hex.EncodeToString(h.Sum(nil)))
}

// Vectors computed outside Go from the documented algorithm
// (split -b 4194304 | sha256sum each | concatenate | sha256sum) over the
// byte pattern i*7 mod 251.
func TestContentHashVectors(t *testing.T) {
	pattern := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 7 % 251)
		}
		return b
	}
	for _, tc := range []struct {
		size int
		want string
	}{
		{0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{1, vec1},
		{4 << 20, vec4M},
		{4<<20 + 1, vec4Mplus1},
		{9<<20 + 12345, vec9M},
	} {
		data := pattern(tc.size)
		h := NewContentHash()
		// Odd write sizes cross block boundaries mid-write.
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1<<20+3)
			h.Write(rest[:n])
			rest = rest[n:]
		}
		assert.Equal(t, tc.want, hex.EncodeToString(h.Sum(nil)), "size %d", tc.size)
		assert.Equal(t, tc.want, fakedropbox.ContentHash(data), "the fake's own implementation, size %d", tc.size)
		// Sum does not disturb the state.
		h.Write([]byte("x"))
		h.Reset()
		h.Write(data)
		assert.Equal(t, tc.want, hex.EncodeToString(h.Sum(nil)))
	}
}

func TestEncodeAPIArg(t *testing.T) {
	s, err := EncodeAPIArg(map[string]any{"path": "/Fotos/café 🚢\x7f<&>.jpg"})
	require.NoError(t, err)
	assert.Equal(t, `{"path":"/Fotos/caf\u00e9 \ud83d\udea2\u007f\u003c\u0026\u003e.jpg"}`, s)
	for _, r := range s {
		assert.True(t, r >= 0x20 && r < 0x7f, "only printable ASCII in the header: %q", r)
	}
	var back map[string]string
	require.NoError(t, json.Unmarshal([]byte(s), &back))
	assert.Equal(t, "/Fotos/café 🚢\x7f<&>.jpg", back["path"])
}

// The fake refuses what Dropbox refuses: a header with raw UTF-8, a
// malformed argument, the wrong Content-Type; it takes the escaped form.
func TestFakeChecksDropboxAPIArg(t *testing.T) {
	fd := startFake(t, 10)
	dir := must(fd.AddFolder("", "Fotos"))
	must(fd.AddFile(dir, "café 🚢.jpg", []byte("jpeg bytes")))
	at, _ := fd.IssueToken()
	download := func(arg, contentType string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, fd.URL+"/2/files/download", nil)
		req.Header.Set("Authorization", "Bearer "+at)
		req.Header.Set("Dropbox-API-Arg", arg)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := download(`{"path":"/Fotos/café 🚢.jpg"}`, "")
	assert.Equal(t, 400, resp.StatusCode)
	assert.Equal(t, `Error in call to API function "files/download": HTTP header "Dropbox-API-Arg": could not decode input as JSON`, body)
	resp, _ = download(`{"path":`, "")
	assert.Equal(t, 400, resp.StatusCode)
	resp, body = download(`{"path":"/Fotos/x.jpg","bogus":1}`, "")
	assert.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, body, "unknown field")
	arg, _ := EncodeAPIArg(map[string]any{"path": "/fotos/café 🚢.jpg"})
	resp, body = download(arg, "application/json")
	assert.Equal(t, 400, resp.StatusCode, "content endpoints refuse a JSON Content-Type")
	assert.Contains(t, body, `Bad HTTP "Content-Type" header`)
	arg, _ = EncodeAPIArg(map[string]any{"path": "/fotos/café 🚢.jpg"})
	resp, body = download(arg, "")
	require.Equal(t, 200, resp.StatusCode, body)
	assert.Equal(t, "jpeg bytes", body)
	var m Metadata
	for _, r := range resp.Header.Get("Dropbox-API-Result") {
		require.True(t, r < 0x7f, "Dropbox-API-Result is ASCII")
	}
	require.NoError(t, json.Unmarshal([]byte(resp.Header.Get("Dropbox-API-Result")), &m))
	assert.Equal(t, "café 🚢.jpg", m.Name)
}

func TestChecksumVerifiedOnFullDownload(t *testing.T) {
	fd := startFake(t, 10)
	data := make([]byte, 5<<20) // two blocks
	r := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	id := must(fd.AddFile("", "big.bin", data))
	p := newProvider(t, fd, 10)
	e, err := p.Stat(ctx(t), id)
	require.NoError(t, err)
	assert.Equal(t, providers.Hash{Algorithm: "dropbox", Value: fakedropbox.ContentHash(data)}, e.Hash)
	rc, err := p.Open(ctx(t), id, 0)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	rc.Close()
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))

	at, _ := fd.IssueToken()
	bad, err := New(Options{APIBase: fd.URL, ContentBase: fd.URL, Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at}),
		HTTPClient: &http.Client{Transport: corrupting{http.DefaultTransport}}, Client: fastClient()})
	require.NoError(t, err)
	rc, err = bad.Open(ctx(t), id, 0)
	require.NoError(t, err)
	_, err = io.ReadAll(rc)
	rc.Close()
	assert.ErrorIs(t, err, ErrChecksum, "a mismatch is an error at EOF")
}

// corrupting flips one byte of every download body.
type corrupting struct{ base http.RoundTripper }

func (c corrupting) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "/files/download") || resp.StatusCode != 200 {
		return resp, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b[len(b)/3] ^= 1
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func TestSearchThumbnailAccountQuota(t *testing.T) {
	fd := startFake(t, 2)
	p := newProvider(t, fd, 2)
	dir := must(fd.AddFolder("", "Holiday"))
	for i := range 5 {
		must(fd.AddFile(dir, fmt.Sprintf("holiday-%d.jpg", i), []byte("j")))
	}
	must(fd.AddFile("", "notes.txt", []byte("n")))
	var got []string
	token, pages := "", 0
	for {
		page, err := p.Search(ctx(t), "HOLIDAY", token)
		require.NoError(t, err)
		pages++
		for _, e := range page.Entries {
			got = append(got, e.Name)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	assert.Equal(t, 3, pages)
	assert.ElementsMatch(t, []string{"Holiday", "holiday-0.jpg", "holiday-1.jpg", "holiday-2.jpg", "holiday-3.jpg", "holiday-4.jpg"}, got)

	all, err := p.List(ctx(t), dir, "")
	require.NoError(t, err)
	img := all.Entries[0]
	assert.True(t, img.HasThumbnail)
	assert.Equal(t, "/Holiday/holiday-0.jpg", img.Path)
	rc, ct, err := p.Thumbnail(ctx(t), img.ID, 300)
	require.NoError(t, err)
	defer rc.Close()
	assert.Equal(t, "image/jpeg", ct)
	cfg, format, err := image.DecodeConfig(rc)
	require.NoError(t, err)
	assert.Equal(t, "jpeg", format)
	assert.Equal(t, 256, max(cfg.Width, cfg.Height), "300 px asks for w256h256")
	notes := must(fd.AddFile("", "more-notes.txt", []byte("n")))
	_, _, err = p.Thumbnail(ctx(t), notes, 64)
	assert.ErrorIs(t, err, providers.ErrNotFound, "409 unsupported_extension: no thumbnail")

	a, err := p.AccountInfo(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, providers.Account{ID: "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", Name: "Franz Ferdinand", Email: "franz@example.com"}, a)
	q, err := p.Quota(ctx(t))
	require.NoError(t, err)
	assert.EqualValues(t, 7, q.Used)
	assert.EqualValues(t, 2147483648, q.Total)
}

func TestThumbnailSize(t *testing.T) {
	for size, want := range map[int]string{0: "w32h32", 32: "w32h32", 100: "w64h64", 256: "w256h256", 500: "w480h320", 4000: "w2048h1536"} {
		assert.Equal(t, want, ThumbnailSize(size), "%d", size)
	}
}

func TestScopesAndTokens(t *testing.T) {
	fd := startFake(t, 10)
	id := must(fd.AddFile("", "a.txt", []byte("a")))

	p := newProvider(t, fd, 10, fakedropbox.ScopeMetadataRead)
	_, err := p.Stat(ctx(t), id)
	require.NoError(t, err)
	_, err = p.Open(ctx(t), id, 0)
	assert.ErrorIs(t, err, providers.ErrNeedsSignIn, "401 missing_scope: sign in again granting files.content.read")

	p = newProvider(t, fd, 10)
	fd.ExpireAccessTokens()
	_, err = p.Stat(ctx(t), id)
	assert.ErrorIs(t, err, providers.ErrNeedsSignIn, "401 expired_access_token and no newer token")

	good, _ := fd.IssueToken()
	p, err = New(Options{APIBase: fd.URL, ContentBase: fd.URL, Tokens: &rotatingSource{tokens: []string{"sl.stale", good}}, Client: fastClient()})
	require.NoError(t, err)
	_, err = p.Stat(ctx(t), id)
	require.NoError(t, err, "after a 401 a refreshed token is used")
}

type rotatingSource struct {
	mu     sync.Mutex
	tokens []string
	calls  int
}

func (r *rotatingSource) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	tok := r.tokens[min(r.calls, len(r.tokens)-1)]
	r.calls++
	return &oauth2.Token{AccessToken: tok}, nil
}

func TestRevoke(t *testing.T) {
	fd := startFake(t, 10)
	at, rt := fd.IssueToken()
	p := newProvider(t, fd, 10)
	_, err := p.List(ctx(t), "", "")
	require.NoError(t, err)
	require.NoError(t, Revoke(ctx(t), fd.URL, nil, &oauth2.Token{AccessToken: at}))
	assert.True(t, fd.Revoked(rt), "revoking the access token disables its refresh token")
	err = Revoke(ctx(t), fd.URL, nil, &oauth2.Token{AccessToken: at})
	assert.ErrorIs(t, err, providers.ErrNeedsSignIn, "a revoked token cannot call again")
}

func TestMapError(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		body       string
		retryAfter string
		is         error
		wait       time.Duration
		transient  bool
	}{
		{"expired token", 401, `{"error_summary": "expired_access_token/..", "error": {".tag": "expired_access_token"}}`, "", providers.ErrNeedsSignIn, 0, false},
		{"missing scope", 401, `{"error_summary": "missing_scope/..", "error": {".tag": "missing_scope", "required_scope": "files.content.read"}}`, "", providers.ErrNeedsSignIn, 0, false},
		{"not found", 409, `{"error_summary": "path/not_found/..", "error": {".tag": "path", "path": {".tag": "not_found"}}}`, "", providers.ErrNotFound, 0, false},
		{"malformed path", 409, `{"error_summary": "path/malformed_path/", "error": {".tag": "path", "path": {".tag": "malformed_path"}}}`, "", providers.ErrNotFound, 0, false},
		{"not folder", 409, `{"error_summary": "path/not_folder/..", "error": {".tag": "path", "path": {".tag": "not_folder"}}}`, "", providers.ErrNotFolder, 0, false},
		{"not file", 409, `{"error_summary": "path/not_file/..", "error": {".tag": "path", "path": {".tag": "not_file"}}}`, "", providers.ErrIsFolder, 0, false},
		{"cursor reset", 409, `{"error_summary": "reset/..", "error": {".tag": "reset"}}`, "", providers.ErrPageExpired, 0, false},
		{"restricted", 409, `{"error_summary": "path/restricted_content/.", "error": {".tag": "path", "path": {".tag": "restricted_content"}}}`, "", providers.ErrPermissionDenied, 0, false},
		{"thumbnail unsupported", 409, `{"error_summary": "unsupported_extension/..", "error": {".tag": "unsupported_extension"}}`, "", providers.ErrNotFound, 0, false},
		{"summary only", 409, `{"error_summary": "path/not_found/...", "error": "weird"}`, "", providers.ErrNotFound, 0, false},
		{"429 with header", 429, `{"error_summary": "too_many_requests/..", "error": {"reason": {".tag": "too_many_requests"}, "retry_after": 300}}`, "5", providers.ErrRateLimited, 5 * time.Second, true},
		{"429 body only", 429, `{"error_summary": "too_many_requests/..", "error": {"reason": {".tag": "too_many_requests"}, "retry_after": 300}}`, "", providers.ErrRateLimited, 300 * time.Second, true},
		{"400 plain text", 400, `Error in call to API function "files/list_folder": request body: path: 'x' did not match pattern`, "", nil, 0, false},
		{"500", 500, ``, "", nil, 0, true},
		{"503 retry-after", 503, ``, "2", providers.ErrRateLimited, 2 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, "https://api.dropboxapi.com/2/files/list_folder", nil)
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}, Request: req}
			if tc.retryAfter != "" {
				resp.Header.Set("Retry-After", tc.retryAfter)
			}
			err := MapError(resp, []byte(tc.body))
			if err == nil {
				err = providers.DefaultErrorMapper(resp, []byte(tc.body))
			}
			require.Error(t, err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			var rl *providers.RateLimitError
			if errors.As(err, &rl) {
				assert.Equal(t, tc.wait, rl.RetryAfter)
			}
			assert.Equal(t, tc.transient, providers.IsTransient(err))
		})
	}
}

func TestForgedCursorIsPageExpired(t *testing.T) {
	fd := startFake(t, 1)
	p := newProvider(t, fd, 1)
	must(fd.AddFile("", "a", []byte("a")))
	must(fd.AddFile("", "b", []byte("b")))
	page, err := p.List(ctx(t), "", "")
	require.NoError(t, err)
	require.NotEmpty(t, page.NextPageToken)
	forged := encodePage(listPage{From: "", Cursor: "AAforged.cursor"})
	_, err = p.List(ctx(t), "", forged)
	assert.ErrorIs(t, err, providers.ErrPageExpired, "Dropbox's 400 for an unreadable cursor")
}

func TestSignInDescription(t *testing.T) {
	si := SignIn(providers.Settings{})
	assert.Equal(t, "https://www.dropbox.com/oauth2/authorize", si.AuthURL)
	assert.Equal(t, "https://api.dropboxapi.com/oauth2/token", si.TokenURL)
	assert.Empty(t, si.RevokeURL, "not RFC 7009: sign-out uses Revoke")
	assert.Equal(t, []string{"files.metadata.read", "files.content.read", "account_info.read"}, si.Scopes)
	assert.Equal(t, map[string]string{"token_access_type": "offline"}, si.AuthParams)
	si = SignIn(providers.Settings{AuthBase: "http://127.0.0.1:7", APIBase: "http://127.0.0.1:8/"})
	assert.Equal(t, "http://127.0.0.1:7/oauth2/authorize", si.AuthURL)
	assert.Equal(t, "http://127.0.0.1:8/oauth2/token", si.TokenURL)
	k := Kind
	assert.True(t, k.NeedsClientID)
}

const (
	vec1       = "1406e05881e299367766d313e26c05564ec91bf721d31726bd6e46e60689539a"
	vec4M      = "fa03b9654affc7723a5e28412eb760da1104a195e3c64e566e333da692a5872e"
	vec4Mplus1 = "4cbe6c3801a7708e3067f989a7fee908c87623876241605499202eb794a83c29"
	vec9M      = "2e2a2b1b39e7eaab3abcafabc5964d5a62bdf6e80e73298f662cbff8e2c18c85"
)

func TestNoTokenInLogs(t *testing.T) {
	fd := startFake(t, 10)
	id := must(fd.AddFile("", "a.txt", []byte("a")))
	at, _ := fd.IssueToken()
	var logs bytes.Buffer
	c := fastClient()
	c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := New(Options{APIBase: fd.URL, ContentBase: fd.URL, Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at}), Client: c})
	require.NoError(t, err)
	fd.Faults.RateLimit(1, time.Second)
	rc, err := p.Open(ctx(t), id, 0)
	require.NoError(t, err)
	rc.Close()
	_, err = p.Stat(ctx(t), "id:AAAAAAAAAAAAAAAAAAAAAA")
	require.Error(t, err)
	assert.Contains(t, logs.String(), "http retry")
	assert.NotContains(t, logs.String(), at)
	assert.NotContains(t, err.Error(), at)
}
