package gdrive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/png"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/gdrive/fakedrive"
	"github.com/ferry-app/ferry/providers/providertest"
)

func fastClient() *providers.Client {
	return &providers.Client{MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}
}

func startFake(t *testing.T, pageSize int) *fakedrive.Server {
	fd := fakedrive.New(fakedrive.Options{PageSize: pageSize})
	t.Cleanup(fd.Close)
	return fd
}

func newProvider(t *testing.T, fd *fakedrive.Server, pageSize int, scopes ...string) *Provider {
	at, _ := fd.IssueToken(scopes...)
	p, err := New(Options{APIBase: fd.URL, Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at}), PageSize: pageSize, Client: fastClient()})
	require.NoError(t, err)
	return p
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// seeder creates path (folders, then a file) below root, reusing folders
// created earlier.
func seeder(fd *fakedrive.Server, root string) func(path []string, data []byte) error {
	var mu sync.Mutex
	folders := map[string]string{}
	return func(path []string, data []byte) error {
		mu.Lock()
		defer mu.Unlock()
		parent, key := root, ""
		for _, n := range path[:len(path)-1] {
			key += "\x00/" + n
			id, ok := folders[key]
			if !ok {
				id = fd.AddFolder(parent, n)
				folders[key] = id
			}
			parent = id
		}
		fd.AddFile(parent, path[len(path)-1], data)
		return nil
	}
}

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{New: func(t *testing.T) *providertest.Fixture {
		fd := startFake(t, 4)
		root := fd.AddFolder("root", "ferry-test")
		return &providertest.Fixture{
			Provider:  newProvider(t, fd, 4),
			RootID:    root,
			PageSize:  4,
			Seed:      seeder(fd, root),
			Rejects:   func(string) bool { return false }, // Drive names are free text
			MissingID: "1NoSuchFileIdAAAAAAAAAAAAAAAAAAAAA",
			SeedOutside: func(name string, data []byte) error {
				fd.AddFile("root", name, data)
				return nil
			},
			Faults: fd.Faults,
		}
	}})
}

func TestSharedDrivesAndShortcuts(t *testing.T) {
	fd := startFake(t, 3)
	p := newProvider(t, fd, 3)
	sd := fd.AddSharedDrive("Team Space")
	sdDoc := fd.AddFile(sd, "team-plan.txt", []byte("team plan"))
	inner := fd.AddFolder(sd, "Designs")
	fd.AddFile(inner, "logo.svg", []byte("<svg/>"))
	target := fd.AddFile("root", "original.txt", []byte("original content"))
	fd.AddShortcut("root", "link to original.txt", target)
	fd.AddShortcut("root", "link to designs", inner)
	gone := fd.AddFile("root", "deleted-later.txt", []byte("x"))
	fd.AddShortcut("root", "dangling", gone)
	fd.Delete(gone)

	roots, err := p.Roots(ctx(t))
	require.NoError(t, err)
	require.Len(t, roots, 3)
	assert.Equal(t, "My Drive", roots[0].Name)
	assert.Equal(t, fd.RootID(), roots[0].ID)
	assert.Equal(t, "Shared with me", roots[1].Name)
	assert.Equal(t, providers.Entry{ID: sd, Name: "Team Space", IsDir: true, Size: -1}, roots[2])

	// A shared drive lists like a folder (supportsAllDrives and
	// includeItemsFromAllDrives are sent; the fake hides its items otherwise).
	all := listAll(t, p, sd)
	assert.ElementsMatch(t, []string{"team-plan.txt", "Designs"}, names(all))
	assert.Equal(t, "team plan", readAll(t, p, sdDoc, 0))

	mine := byName(listAll(t, p, ""))
	f := mine["link to original.txt"]
	assert.Equal(t, target, f.ID, "a file shortcut lists as its target")
	assert.EqualValues(t, len("original content"), f.Size)
	assert.Equal(t, "md5", f.Hash.Algorithm)
	assert.Equal(t, "original content", readAll(t, p, f.ID, 0))
	d := mine["link to designs"]
	require.True(t, d.IsDir)
	assert.Equal(t, inner, d.ID)
	assert.Equal(t, []string{"logo.svg"}, names(listAll(t, p, d.ID)))
	dang := mine["dangling"]
	require.Error(t, dang.Err, "a shortcut to a deleted file is listed with its reason")
	assert.ErrorIs(t, dang.Err, providers.ErrNotFound)
}

func TestGoogleDocsExport(t *testing.T) {
	fd := startFake(t, 10)
	p := newProvider(t, fd, 10)
	fd.AddGoogleFile("root", "Report", fakedrive.DocMIME)
	fd.AddGoogleFile("root", "Budget", fakedrive.SheetMIME)
	fd.AddGoogleFile("root", "Deck", fakedrive.SlidesMIME)
	fd.AddGoogleFile("root", "Sketch", fakedrive.DrawingMIME)
	fd.AddGoogleFile("root", "Survey", fakedrive.FormMIME)
	got := byName(listAll(t, p, ""))
	for name, want := range map[string]string{
		"Report.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"Budget.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"Deck.pptx":   "application/vnd.openxmlformats-officedocument.presentationml.presentation",
		"Sketch.png":  "image/png",
	} {
		e, ok := got[name]
		require.True(t, ok, "%s listed with its export extension; got %v", name, names(listAll(t, p, "")))
		assert.Equal(t, want, e.MIMEType)
		assert.EqualValues(t, -1, e.Size, "export size is unknown")
		assert.True(t, e.Hash.IsZero())
		assert.NoError(t, e.Err)
		content := fakedrive.ExportContent(strings.TrimSuffix(name, e.Name[strings.LastIndexByte(e.Name, '.'):]), want)
		assert.Equal(t, string(content), readAll(t, p, e.ID, 0))
		assert.Equal(t, string(content[5:]), readAll(t, p, e.ID, 5), "an export opened at an offset skips to it")
	}
	form := got["Survey"]
	assert.ErrorIs(t, form.Err, providers.ErrNotSupported, "Forms have no downloadable form")
	_, err := p.Open(ctx(t), form.ID, 0)
	assert.ErrorIs(t, err, providers.ErrNotSupported)
	img, err := p.Open(ctx(t), got["Sketch.png"].ID, 0)
	require.NoError(t, err)
	defer img.Close()
	_, format, err := image.Decode(img)
	require.NoError(t, err)
	assert.Equal(t, "png", format)
}

func TestThumbnail(t *testing.T) {
	fd := startFake(t, 10)
	p := newProvider(t, fd, 10)
	id := fd.AddFile("root", "photo.png", []byte("not really a png"))
	txt := fd.AddFile("root", "notes.txt", []byte("x"))
	e, err := p.Stat(ctx(t), id)
	require.NoError(t, err)
	assert.True(t, e.HasThumbnail)
	rc, ct, err := p.Thumbnail(ctx(t), id, 64)
	require.NoError(t, err, "the thumbnail link is fetched with the bearer token")
	defer rc.Close()
	assert.Equal(t, "image/png", ct)
	cfg, _, err := image.DecodeConfig(rc)
	require.NoError(t, err)
	assert.Equal(t, 64, max(cfg.Width, cfg.Height), "size travels as the =s<N> suffix")

	_, _, err = p.Thumbnail(ctx(t), txt, 64)
	assert.ErrorIs(t, err, providers.ErrNotFound)
}

func TestTokenGoesOnlyToGoogleHosts(t *testing.T) {
	p, err := New(Options{APIBase: "http://127.0.0.1:9", Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"})})
	require.NoError(t, err)
	for raw, want := range map[string]bool{
		"https://lh3.googleusercontent.com/drive-storage/abc=s220": true,
		"https://www.googleapis.com/drive/v3/files":                true,
		"http://127.0.0.1:9/thumb/x":                               true,
		"https://evil.example/googleusercontent.com=s220":          false,
		"https://googleusercontent.com.evil.example/x":             false,
		"http://lh3.googleusercontent.com/x":                       false,
	} {
		u, _ := url.Parse(raw)
		assert.Equal(t, want, p.trustedHost(u), raw)
	}
}

func TestSearch(t *testing.T) {
	fd := startFake(t, 2)
	p := newProvider(t, fd, 2)
	sub := fd.AddFolder("root", "Holiday photos")
	for i := range 5 {
		fd.AddFile(sub, fmt.Sprintf("holiday-%d.jpg", i), []byte("j"))
	}
	fd.AddFile("root", "notes.txt", []byte("n"))
	fd.AddFile("root", "myholiday.txt", []byte("word prefix only"))
	sd := fd.AddSharedDrive("Team")
	fd.AddFile(sd, "holiday plan.txt", []byte("p"))
	var got []string
	token, pages := "", 0
	for {
		page, err := p.Search(ctx(t), "holiday", token)
		require.NoError(t, err)
		pages++
		got = append(got, names(page.Entries)...)
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	assert.Greater(t, pages, 2)
	assert.ElementsMatch(t, []string{"Holiday photos", "holiday-0.jpg", "holiday-1.jpg", "holiday-2.jpg", "holiday-3.jpg", "holiday-4.jpg", "holiday plan.txt"}, got)
	_, err := p.Search(ctx(t), "other", "")
	require.NoError(t, err)
	page, err := p.Search(ctx(t), "holiday", "")
	require.NoError(t, err)
	_, err = p.Search(ctx(t), "other", page.NextPageToken)
	assert.ErrorIs(t, err, providers.ErrPageExpired, "a token from another search")
}

func TestAccountAndQuota(t *testing.T) {
	fd := startFake(t, 10)
	p := newProvider(t, fd, 10)
	fd.SetUser(fakedrive.User{DisplayName: "Bea", EmailAddress: "bea@example.org", PermissionID: "987"})
	fd.AddFile("root", "a.bin", make([]byte, 1000))
	a, err := p.AccountInfo(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, providers.Account{ID: "987", Name: "Bea", Email: "bea@example.org"}, a)
	q, err := p.Quota(ctx(t))
	require.NoError(t, err)
	assert.EqualValues(t, 1000, q.Used)
	assert.EqualValues(t, 16106127360, q.Total)
	assert.EqualValues(t, 16106127360-1000, q.Free)
}

func TestRateLimit403IsRetried(t *testing.T) {
	fd := startFake(t, 10)
	p := newProvider(t, fd, 10)
	fd.AddFile("root", "a.txt", []byte("a"))
	fd.UserRateLimit(2)
	page, err := p.List(ctx(t), "", "")
	require.NoError(t, err, "403 userRateLimitExceeded is retried")
	assert.Len(t, page.Entries, 1)

	fd.UserRateLimit(100)
	_, err = p.List(ctx(t), "", "")
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl, "after the attempts run out the caller gets the typed error")
	assert.True(t, providers.IsTransient(err))
	fd.UserRateLimit(0)
}

// rotatingSource hands out a new token each time it is asked.
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

func TestUnauthorized(t *testing.T) {
	fd := startFake(t, 10)
	fd.AddFile("root", "a.txt", []byte("a"))

	t.Run("refreshed token is retried", func(t *testing.T) {
		good, _ := fd.IssueToken()
		p, err := New(Options{APIBase: fd.URL, Tokens: &rotatingSource{tokens: []string{"ya29.stale", good}}, Client: fastClient()})
		require.NoError(t, err)
		page, err := p.List(ctx(t), "", "")
		require.NoError(t, err)
		assert.Len(t, page.Entries, 1)
	})
	t.Run("revoked grant needs sign-in", func(t *testing.T) {
		at, rt := fd.IssueToken()
		p, err := New(Options{APIBase: fd.URL, Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at}), Client: fastClient()})
		require.NoError(t, err)
		_, err = p.List(ctx(t), "", "")
		require.NoError(t, err)
		revoke(t, fd, rt)
		assert.True(t, fd.Revoked(rt))
		_, err = p.List(ctx(t), "", "")
		assert.ErrorIs(t, err, providers.ErrNeedsSignIn)
		assert.True(t, providers.IsPermanent(err))
	})
	t.Run("token source failure needs sign-in", func(t *testing.T) {
		p, err := New(Options{APIBase: fd.URL, Tokens: failingSource{}, Client: fastClient()})
		require.NoError(t, err)
		_, err = p.Stat(ctx(t), "")
		assert.ErrorIs(t, err, providers.ErrNeedsSignIn)
	})
}

type failingSource struct{}

func (failingSource) Token() (*oauth2.Token, error) {
	return nil, errors.New("oauth2: \"invalid_grant\" \"Token has been expired or revoked.\"")
}

func revoke(t *testing.T, fd *fakedrive.Server, token string) {
	resp, err := http.PostForm(fd.URL+"/revoke", url.Values{"token": {token}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestInsufficientScope(t *testing.T) {
	fd := startFake(t, 10)
	id := fd.AddFile("root", "a.txt", []byte("a"))
	p := newProvider(t, fd, 10, fakedrive.ScopeDriveMetadata)
	_, err := p.Stat(ctx(t), id)
	require.NoError(t, err, "metadata scope may list")
	_, err = p.Open(ctx(t), id, 0)
	assert.ErrorIs(t, err, providers.ErrPermissionDenied, "but not download (403 insufficientPermissions)")
}

// corrupting flips one byte of every alt=media answer.
type corrupting struct{ base http.RoundTripper }

func (c corrupting) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err != nil || r.URL.Query().Get("alt") != "media" {
		return resp, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(b) > 0 {
		b[len(b)/2] ^= 0xff
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func TestChecksumVerifiedOnFullDownload(t *testing.T) {
	fd := startFake(t, 10)
	id := fd.AddFile("root", "a.bin", bytes.Repeat([]byte("abc"), 1000))
	at, _ := fd.IssueToken()
	p, err := New(Options{APIBase: fd.URL, Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at}),
		HTTPClient: &http.Client{Transport: corrupting{http.DefaultTransport}}, Client: fastClient()})
	require.NoError(t, err)
	rc, err := p.Open(ctx(t), id, 0)
	require.NoError(t, err)
	_, err = io.ReadAll(rc)
	rc.Close()
	assert.ErrorIs(t, err, ErrChecksum)
}

func TestTrashedIsNotFound(t *testing.T) {
	fd := startFake(t, 10)
	p := newProvider(t, fd, 10)
	id := fd.AddFile("root", "old.txt", []byte("x"))
	fd.Trash(id)
	_, err := p.Stat(ctx(t), id)
	assert.ErrorIs(t, err, providers.ErrNotFound)
	page, err := p.List(ctx(t), "", "")
	require.NoError(t, err)
	assert.Empty(t, page.Entries)
}

func TestMapError(t *testing.T) {
	body := func(code int, reason, location string) string {
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": "m",
			"errors": []any{map[string]any{"domain": "global", "reason": reason, "message": "m", "location": location}}}})
		return string(b)
	}
	for _, tc := range []struct {
		name       string
		status     int
		body       string
		retryAfter string
		is         error
		rateLimit  bool
		transient  bool
	}{
		{"401 invalid credentials", 401, body(401, "authError", "Authorization"), "", providers.ErrNeedsSignIn, false, false},
		{"403 userRateLimitExceeded", 403, body(403, "userRateLimitExceeded", ""), "", providers.ErrRateLimited, true, true},
		{"403 rateLimitExceeded with Retry-After", 403, body(403, "rateLimitExceeded", ""), "7", providers.ErrRateLimited, true, true},
		{"429", 429, body(429, "rateLimitExceeded", ""), "3", providers.ErrRateLimited, true, true},
		{"429 without body", 429, "", "", providers.ErrRateLimited, true, true},
		{"403 insufficientPermissions", 403, body(403, "insufficientPermissions", ""), "", providers.ErrPermissionDenied, false, false},
		{"403 forbidden", 403, body(403, "forbidden", ""), "", providers.ErrPermissionDenied, false, false},
		{"403 dailyLimitExceeded", 403, body(403, "dailyLimitExceeded", ""), "", nil, false, false},
		{"404", 404, body(404, "notFound", "fileId"), "", providers.ErrNotFound, false, false},
		{"400 pageToken", 400, body(400, "invalid", "pageToken"), "", providers.ErrPageExpired, false, false},
		{"400 invalid fields", 400, body(400, "invalidParameter", "fields"), "", nil, false, false},
		{"500 backendError", 500, body(500, "backendError", ""), "", nil, false, true},
		{"503", 503, "", "", nil, false, true},
		{"416", 416, "", "", errRangeNotSatisfiable, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, "https://www.googleapis.com/drive/v3/files?access_token=SECRET", nil)
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {"application/json"}}, Request: req}
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
			assert.Equal(t, tc.rateLimit, errors.As(err, &rl))
			if tc.rateLimit && tc.retryAfter != "" {
				assert.Equal(t, tc.retryAfter+"s", rl.RetryAfter.String())
			}
			assert.Equal(t, tc.transient, providers.IsTransient(err))
			assert.NotContains(t, err.Error(), "SECRET")
		})
	}
}

func TestSignInDescription(t *testing.T) {
	si := SignIn(providers.Settings{})
	// Google's documented endpoints (developers.google.com/identity/protocols/oauth2/native-app).
	assert.Equal(t, "https://accounts.google.com/o/oauth2/v2/auth", si.AuthURL)
	assert.Equal(t, "https://oauth2.googleapis.com/token", si.TokenURL)
	assert.Equal(t, "https://oauth2.googleapis.com/revoke", si.RevokeURL)
	assert.Equal(t, []string{"https://www.googleapis.com/auth/drive.readonly"}, si.Scopes)
	assert.Equal(t, map[string]string{"access_type": "offline"}, si.AuthParams)
	assert.Equal(t, map[string]string{"prompt": "consent"}, si.AuthParamsNoRefresh)
	si = SignIn(providers.Settings{AuthBase: "http://127.0.0.1:5/", Scopes: []string{fakedrive.ScopeDrive}})
	assert.Equal(t, "http://127.0.0.1:5/o/oauth2/v2/auth", si.AuthURL)
	assert.Equal(t, "http://127.0.0.1:5/token", si.TokenURL)
	assert.Equal(t, "http://127.0.0.1:5/revoke", si.RevokeURL)
	assert.Equal(t, []string{fakedrive.ScopeDrive}, si.Scopes)

	k := Kind
	assert.True(t, k.NeedsClientID)
	assert.Equal(t, "Google Drive", k.Title)
	_, err := k.New(context.Background(), providers.Settings{}, providers.Deps{})
	assert.ErrorIs(t, err, providers.ErrNeedsSignIn, "no token source")
}

func TestInvalidIDsNeverReachTheServer(t *testing.T) {
	fd := startFake(t, 10)
	p := newProvider(t, fd, 10)
	before := len(fd.Requests())
	for _, id := range []string{"../x", "a/b", "a?b", "a b", "%2e%2e"} {
		_, err := p.Stat(ctx(t), id)
		assert.ErrorIs(t, err, providers.ErrNotFound, id)
	}
	assert.Equal(t, before, len(fd.Requests()))
}

// --- helpers ---

func listAll(t *testing.T, p providers.Provider, id string) []providers.Entry {
	t.Helper()
	var all []providers.Entry
	token := ""
	for {
		page, err := p.List(ctx(t), id, token)
		require.NoError(t, err)
		all = append(all, page.Entries...)
		if token = page.NextPageToken; token == "" {
			return all
		}
	}
}

func names(es []providers.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

func byName(es []providers.Entry) map[string]providers.Entry {
	m := map[string]providers.Entry{}
	for _, e := range es {
		m[e.Name] = e
	}
	return m
}

func readAll(t *testing.T, p providers.Provider, id string, off int64) string {
	t.Helper()
	rc, err := p.Open(ctx(t), id, off)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

func TestNoTokenInLogs(t *testing.T) {
	fd := startFake(t, 10)
	fd.AddFile("root", "a.txt", []byte("a"))
	at, _ := fd.IssueToken()
	var logs bytes.Buffer
	c := fastClient()
	c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := New(Options{APIBase: fd.URL, Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at}), Client: c})
	require.NoError(t, err)
	fd.Faults.RateLimit(1, time.Second)
	fd.UserRateLimit(1)
	_, err = p.List(ctx(t), "", "")
	require.NoError(t, err)
	_, err = p.Stat(ctx(t), "1NoSuchFileIdAAAAAAAAAAAAAAAAAAAAA")
	require.Error(t, err)
	assert.Contains(t, logs.String(), "http retry", "the retries were logged")
	assert.NotContains(t, logs.String(), at)
	assert.NotContains(t, err.Error(), at)
}
