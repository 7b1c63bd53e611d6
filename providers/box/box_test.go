package box_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/box"
	"github.com/ferry-app/ferry/providers/box/fakebox"
	"github.com/ferry-app/ferry/providers/providertest"
)

const pageSize = 5

func newProvider(t *testing.T, fb *fakebox.Server) *box.Provider {
	t.Helper()
	at, _ := fb.IssueTokens()
	p, err := box.New(box.Options{APIBase: fb.URL, PageSize: pageSize, PendingWait: 10 * time.Second,
		Client: &providers.Client{MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond},
		Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at})})
	require.NoError(t, err)
	return p
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{New: func(t *testing.T) *providertest.Fixture {
		fb := fakebox.Start(t, fakebox.Options{})
		folder, err := fb.Mkdir("0", "suite")
		require.NoError(t, err)
		return &providertest.Fixture{
			Provider: newProvider(t, fb),
			RootID:   "d" + folder,
			PageSize: pageSize,
			Seed: func(path []string, data []byte) error {
				_, err := fb.Seed(folder, path, data)
				return err
			},
			Rejects:   fakebox.Rejects,
			MissingID: "d" + fb.MissingFolderID(),
			SeedOutside: func(name string, data []byte) error {
				_, err := fb.Seed("0", []string{name}, data)
				return err
			},
			Faults: fb.Faults,
		}
	}})
}

func TestDownloadRedirectWithoutBearerAndPending(t *testing.T) {
	fb := fakebox.Start(t, fakebox.Options{})
	p := newProvider(t, fb)
	id, err := fb.Seed("0", []string{"a.txt"}, []byte("0123456789"))
	require.NoError(t, err)
	fb.SetDownloadPending(id, 1) // 202 + Retry-After: 1 first
	start := time.Now()
	rc, err := p.Open(ctx(t), "f"+id, 3)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	assert.Equal(t, "3456789", string(b))
	assert.GreaterOrEqual(t, time.Since(start), time.Second, "waited the 202's Retry-After")
	st := fb.Stats()
	assert.Equal(t, 1, st.Downloads)
	assert.Zero(t, st.AuthorizedDownloads, "no bearer token at the download host")
}

func TestEntryShape(t *testing.T) {
	fb := fakebox.Start(t, fakebox.Options{})
	p := newProvider(t, fb)
	id, err := fb.Seed("0", []string{"docs", "report.pdf"}, []byte("%PDF-1.7"))
	require.NoError(t, err)
	e, err := p.Stat(ctx(t), "f"+id)
	require.NoError(t, err)
	assert.Equal(t, "report.pdf", e.Name)
	assert.Equal(t, "sha1", e.Hash.Algorithm)
	sum := sha1.Sum([]byte("%PDF-1.7"))
	assert.Equal(t, hex.EncodeToString(sum[:]), e.Hash.Value)
	assert.EqualValues(t, 8, e.Size)
	assert.NotEmpty(t, e.Revision)
	assert.True(t, e.HasThumbnail, "Box renders PDFs (representations)")
	roots, err := p.Roots(ctx(t))
	require.NoError(t, err)
	require.Len(t, roots, 1)
	assert.Equal(t, box.RootID, roots[0].ID)
	assert.Equal(t, "All Files", roots[0].Name)
	assert.True(t, roots[0].IsDir)

	// A new upload changes the revision.
	_, err = fb.Seed("0", []string{"docs", "report.pdf"}, []byte("%PDF-1.7 v2"))
	require.NoError(t, err)
	e2, err := p.Stat(ctx(t), "f"+id)
	require.NoError(t, err)
	assert.NotEqual(t, e.Revision, e2.Revision)
}

func TestThumbnailWaitsWhileGenerating(t *testing.T) {
	fb := fakebox.Start(t, fakebox.Options{})
	p := newProvider(t, fb)
	img, err := fb.Seed("0", []string{"photo.jpg"}, []byte("jpeg-ish"))
	require.NoError(t, err)
	doc, err := fb.Seed("0", []string{"notes.txt"}, []byte("text"))
	require.NoError(t, err)

	e, err := p.Stat(ctx(t), "f"+img)
	require.NoError(t, err)
	assert.True(t, e.HasThumbnail)
	fb.SetNoRepresentations(img) // the thumbnail.png fallback
	fb.SetThumbnailPending(img, 2)
	start := time.Now()
	rc, ct, err := p.Thumbnail(ctx(t), "f"+img, 200)
	require.NoError(t, err)
	defer rc.Close()
	assert.GreaterOrEqual(t, time.Since(start), 2*time.Second, "two 202s, one second each")
	assert.Equal(t, 2, fb.Stats().ThumbnailPending)
	assert.Equal(t, "image/png", ct)
	m, err := png.Decode(rc)
	require.NoError(t, err)
	assert.Equal(t, 128, m.Bounds().Dx(), "the largest documented PNG size not above 200")

	_, _, err = p.Thumbnail(ctx(t), "f"+doc, 200)
	assert.ErrorIs(t, err, providers.ErrNotFound, "302 to a placeholder: no thumbnail")

	// Still generating after the allowed wait: a transient error, not a hang.
	short, err := box.New(box.Options{APIBase: fb.URL, PendingWait: 500 * time.Millisecond,
		Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: mustToken(fb)})})
	require.NoError(t, err)
	fb.SetThumbnailPending(img, 100)
	_, _, err = short.Thumbnail(ctx(t), "f"+img, 64)
	require.Error(t, err)
	assert.True(t, providers.IsTransient(err))
}

func mustToken(fb *fakebox.Server) string { at, _ := fb.IssueTokens(); return at }

func TestSearch(t *testing.T) {
	fb := fakebox.Start(t, fakebox.Options{})
	p := newProvider(t, fb)
	for i := range 2*pageSize + 1 {
		_, err := fb.Seed("0", []string{"deep", "er", "budget-" + string(rune('a'+i)) + ".xlsx"}, []byte{byte(i)})
		require.NoError(t, err)
	}
	_, err := fb.Mkdir("0", "budget-folder")
	require.NoError(t, err)
	token, got, pages := "", 0, 0
	for {
		page, err := p.Search(ctx(t), "Budget-", token)
		require.NoError(t, err)
		for _, e := range page.Entries {
			assert.False(t, e.IsDir, "type=file")
		}
		got += len(page.Entries)
		pages++
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	assert.Equal(t, 2*pageSize+1, got)
	assert.Equal(t, 3, pages)
	_, err = p.Search(ctx(t), "x", "forged")
	assert.ErrorIs(t, err, providers.ErrPageExpired)
}

func TestThrottlingAndExpiredToken(t *testing.T) {
	fb := fakebox.Start(t, fakebox.Options{})
	p := newProvider(t, fb)
	fb.Throttle(1, http.StatusTooManyRequests, time.Second)
	_, err := p.List(ctx(t), "", "")
	require.NoError(t, err)
	fb.Throttle(1, http.StatusTooManyRequests, time.Hour)
	_, err = p.List(ctx(t), "", "")
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, time.Hour, rl.RetryAfter)

	fb.Throttle(0, 0, 0)
	fb.ExpireAccessTokens()
	_, err = p.List(ctx(t), "", "")
	assert.ErrorIs(t, err, providers.ErrNeedsSignIn)
}

func TestAccountAndQuota(t *testing.T) {
	fb := fakebox.Start(t, fakebox.Options{})
	p := newProvider(t, fb)
	_, err := fb.Seed("0", []string{"a.bin"}, make([]byte, 2048))
	require.NoError(t, err)
	a, err := p.AccountInfo(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, providers.Account{ID: fb.UserID(), Name: "Aaron Levie", Email: "ceo@example.com"}, a)
	q, err := p.Quota(ctx(t))
	require.NoError(t, err)
	assert.EqualValues(t, 2048, q.Used)
	assert.EqualValues(t, 10<<30, q.Total)
}

// The fake is as strict as Box about fields, markers and the bearer token.
func TestFakeRejectsWhatBoxRejects(t *testing.T) {
	fb := fakebox.Start(t, fakebox.Options{})
	at, _ := fb.IssueTokens()
	get := func(path, tok string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodGet, fb.URL+path, nil)
		require.NoError(t, err)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	code, body := get("/2.0/folders/0/items?fields=id,nmae", at)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "error", body["type"])
	assert.Equal(t, "bad_request", body["code"])
	assert.NotEmpty(t, body["request_id"])
	code, body = get("/2.0/folders/0/items?marker=abc", at)
	assert.Equal(t, http.StatusBadRequest, code, "marker without usemarker")
	code, _ = get("/2.0/folders/0/items?usemarker=true&limit=1001", at)
	assert.Equal(t, http.StatusBadRequest, code)
	code, body = get("/2.0/folders/0/items", "")
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Nil(t, body, "Box's 401 has no body")
	code, body = get("/2.0/files/42", at)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "not_found", body["code"])
}

func TestSignInDescription(t *testing.T) {
	si := box.SignIn(providers.Settings{})
	assert.Equal(t, "https://account.box.com/api/oauth2/authorize", si.AuthURL)
	assert.Equal(t, "https://api.box.com/oauth2/token", si.TokenURL)
	assert.Equal(t, "https://api.box.com/oauth2/revoke", si.RevokeURL)
	k := box.Kind
	assert.True(t, k.NeedsClientID)
}
