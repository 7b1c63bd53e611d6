package onedrive_test

import (
	"context"
	"encoding/json"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/onedrive"
	"github.com/ferry-app/ferry/providers/onedrive/fakegraph"
	"github.com/ferry-app/ferry/providers/providertest"
)

const pageSize = 5

func fastClient() *providers.Client {
	return &providers.Client{MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond}
}

func newProvider(t *testing.T, fg *fakegraph.Server) *onedrive.Provider {
	t.Helper()
	at, _ := fg.IssueTokens()
	p, err := onedrive.New(onedrive.Options{APIBase: fg.URL, PageSize: pageSize, Client: fastClient(),
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
	for _, typ := range []string{"personal", "business"} {
		t.Run(typ, func(t *testing.T) {
			providertest.Run(t, providertest.Harness{New: func(t *testing.T) *providertest.Fixture {
				fg := fakegraph.Start(t, fakegraph.Options{DriveType: typ})
				folder, err := fg.Mkdir(fg.RootID(), "suite")
				require.NoError(t, err)
				return &providertest.Fixture{
					Provider: newProvider(t, fg),
					RootID:   folder,
					PageSize: pageSize,
					Seed: func(path []string, data []byte) error {
						_, err := fg.Seed(folder, path, data)
						return err
					},
					Rejects:   fakegraph.Rejects,
					MissingID: fg.MissingID(),
					SeedOutside: func(name string, data []byte) error {
						_, err := fg.Seed(fg.RootID(), []string{name}, data)
						return err
					},
					Faults: fg.Faults,
				}
			}})
		})
	}
}

func TestDownloadFollowsRedirectWithoutBearer(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	p := newProvider(t, fg)
	id, err := fg.Seed(fg.RootID(), []string{"a.txt"}, []byte("0123456789"))
	require.NoError(t, err)
	rc, err := p.Open(ctx(t), id, 4)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, "456789", string(b))
	st := fg.Stats()
	assert.Equal(t, 1, st.Downloads, "the pre-authenticated URL was fetched")
	assert.Zero(t, st.AuthorizedDownloads, "no bearer token at the download host")

	// Offset at the end: empty, via the download host's 416.
	rc, err = p.Open(ctx(t), id, 10)
	require.NoError(t, err)
	b, _ = io.ReadAll(rc)
	rc.Close()
	assert.Empty(t, b)
}

func TestEntriesHashesAndMIME(t *testing.T) {
	data := []byte("hello, quickXor")
	for _, tc := range []struct{ typ, alg string }{{"personal", "sha256"}, {"business", "quickxor"}} {
		fg := fakegraph.Start(t, fakegraph.Options{DriveType: tc.typ})
		p := newProvider(t, fg)
		id, err := fg.Seed(fg.RootID(), []string{"h.txt"}, data)
		require.NoError(t, err)
		e, err := p.Stat(ctx(t), id)
		require.NoError(t, err)
		assert.Equal(t, tc.alg, e.Hash.Algorithm, tc.typ)
		if tc.alg == "quickxor" {
			assert.Equal(t, onedrive.QuickXorBase64(data), e.Hash.Value)
		}
		assert.Equal(t, "text/plain", e.MIMEType)
		assert.EqualValues(t, len(data), e.Size)
		assert.NotEmpty(t, e.Revision)
		assert.False(t, e.ModTime.IsZero())
	}
}

func TestRootsSharedWithMeAndOtherDrives(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	p := newProvider(t, fg)
	_, archiveRoot := fg.AddDrive("Archive", "business")
	_, err := fg.Seed(archiveRoot, []string{"old.txt"}, []byte("old"))
	require.NoError(t, err)
	_, friendRoot := fg.AddOtherPersonsDrive("Alex Wilber")
	team, err := fg.Mkdir(friendRoot, "Team")
	require.NoError(t, err)
	_, err = fg.Seed(team, []string{"plan.txt"}, []byte("the plan"))
	require.NoError(t, err)
	secret, err := fg.Seed(friendRoot, []string{"private.txt"}, []byte("not shared"))
	require.NoError(t, err)
	fg.ShareWithMe(team)

	roots, err := p.Roots(ctx(t))
	require.NoError(t, err)
	var names []string
	for _, r := range roots {
		names = append(names, r.Name)
		assert.True(t, r.IsDir)
	}
	assert.Equal(t, []string{"My files", "Shared with me", "Archive"}, names)

	shared, err := p.List(ctx(t), onedrive.SharedID, "")
	require.NoError(t, err)
	require.Len(t, shared.Entries, 1)
	tm := shared.Entries[0]
	assert.Equal(t, "Team", tm.Name)
	assert.True(t, tm.IsDir, "the remoteItem's folder facet counts")
	assert.Contains(t, tm.ID, ":", "a remote item's ID names its drive")

	inside, err := p.List(ctx(t), tm.ID, "")
	require.NoError(t, err)
	require.Len(t, inside.Entries, 1)
	plan := inside.Entries[0]
	rc, err := p.Open(ctx(t), plan.ID, 0)
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "the plan", string(b))

	// The rest of that person's drive stays closed.
	driveID, _, _ := strings.Cut(tm.ID, ":")
	_, err = p.Stat(ctx(t), driveID+":"+secret)
	assert.ErrorIs(t, err, providers.ErrPermissionDenied)

	archive, err := p.List(ctx(t), roots[2].ID, "")
	require.NoError(t, err)
	require.Len(t, archive.Entries, 1)
	assert.Equal(t, "old.txt", archive.Entries[0].Name)
}

func TestSearchEscapesQuotesAndPages(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	p := newProvider(t, fg)
	for _, n := range []string{"it's mine.txt", "its other.txt", "report (final) #1.txt"} {
		_, err := fg.Seed(fg.RootID(), []string{"docs", n}, []byte(n))
		require.NoError(t, err)
	}
	page, err := p.Search(ctx(t), "it's", "")
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	assert.Equal(t, "it's mine.txt", page.Entries[0].Name)

	page, err = p.Search(ctx(t), "(final) #1", "")
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)

	for i := range 2*pageSize + 1 {
		_, err := fg.Seed(fg.RootID(), []string{"many", "match-" + string(rune('a'+i)) + ".txt"}, nil)
		require.NoError(t, err)
	}
	var got int
	token, pages := "", 0
	for {
		page, err := p.Search(ctx(t), "match-", token)
		require.NoError(t, err)
		got += len(page.Entries)
		pages++
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	assert.Equal(t, 2*pageSize+1, got)
	assert.Equal(t, 3, pages)

	_, err = p.Search(ctx(t), "match-", fg.URL+"/me/drive/root/children?$skiptoken=x")
	assert.ErrorIs(t, err, providers.ErrPageExpired, "a token for another collection")
	_, err = p.Search(ctx(t), "match-", "http://attacker.example/v1.0/me/drive/root/search(q='x')")
	assert.ErrorIs(t, err, providers.ErrPageExpired, "a token for another host is refused before any request")
}

func TestThumbnail(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	p := newProvider(t, fg)
	img, err := fg.Seed(fg.RootID(), []string{"photo.png"}, []byte("not really a png"))
	require.NoError(t, err)
	doc, err := fg.Seed(fg.RootID(), []string{"doc.txt"}, []byte("text"))
	require.NoError(t, err)
	e, err := p.Stat(ctx(t), img)
	require.NoError(t, err)
	assert.True(t, e.HasThumbnail)

	rc, ct, err := p.Thumbnail(ctx(t), img, 200)
	require.NoError(t, err)
	defer rc.Close()
	assert.Equal(t, "image/png", ct)
	m, err := png.Decode(rc)
	require.NoError(t, err)
	assert.LessOrEqual(t, max(m.Bounds().Dx(), m.Bounds().Dy()), 200)
	assert.Zero(t, fg.Stats().AuthorizedDownloads)

	_, _, err = p.Thumbnail(ctx(t), doc, 200)
	assert.ErrorIs(t, err, providers.ErrNotFound)
}

func TestThrottlingHonoursRetryAfter(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	p := newProvider(t, fg)
	_, err := fg.Seed(fg.RootID(), []string{"a.txt"}, []byte("a"))
	require.NoError(t, err)
	for _, st := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		fg.Throttle(2, st, time.Second)
		start := time.Now()
		page, err := p.List(ctx(t), "", "")
		require.NoError(t, err, "status %d", st)
		assert.Len(t, page.Entries, 1)
		assert.GreaterOrEqual(t, time.Since(start), 2*time.Second, "waited Retry-After twice")
	}
	fg.Throttle(1, http.StatusServiceUnavailable, time.Hour)
	_, err = p.List(ctx(t), "", "")
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, time.Hour, rl.RetryAfter)
}

func TestExpiredTokenNeedsSignIn(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	p := newProvider(t, fg)
	fg.ExpireAccessTokens()
	_, err := p.List(ctx(t), "", "")
	assert.ErrorIs(t, err, providers.ErrNeedsSignIn)
	assert.NotContains(t, err.Error(), "Bearer")
}

func TestAccountAndQuota(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	p := newProvider(t, fg)
	_, err := fg.Seed(fg.RootID(), []string{"a.bin"}, make([]byte, 1000))
	require.NoError(t, err)
	a, err := p.AccountInfo(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, fg.UserID(), a.ID)
	assert.Equal(t, "Megan Bowen", a.Name)
	assert.Equal(t, "MeganB@contoso.example", a.Email)
	q, err := p.Quota(ctx(t))
	require.NoError(t, err)
	assert.EqualValues(t, 1000, q.Used)
	assert.Equal(t, q.Total-q.Used, q.Free)
}

// The fake is as strict as Graph about $select and the bearer token.
func TestFakeRejectsWhatGraphRejects(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	at, _ := fg.IssueTokens()
	get := func(path, tok string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodGet, fg.URL+path, nil)
		require.NoError(t, err)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return resp.StatusCode, body
	}
	code, body := get("/me/drive/root/children?$select=id,nmae", at)
	assert.Equal(t, http.StatusBadRequest, code)
	e := body["error"].(map[string]any)
	assert.Equal(t, "BadRequest", e["code"])
	assert.Contains(t, e["message"], "Could not find a property named 'nmae' on type 'microsoft.graph.driveItem'")
	assert.Contains(t, e, "innerError")

	code, body = get("/me/drive/root/children", "")
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, "InvalidAuthenticationToken", body["error"].(map[string]any)["code"])
	code, _ = get("/me/drive/root/children", "made-up")
	assert.Equal(t, http.StatusUnauthorized, code)

	code, body = get("/me/drive/items/"+fg.MissingID(), at)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "itemNotFound", body["error"].(map[string]any)["code"])
}

func TestSignInDescription(t *testing.T) {
	si := onedrive.SignIn(providers.Settings{})
	assert.Equal(t, "https://login.microsoftonline.com/common/oauth2/v2.0/authorize", si.AuthURL)
	assert.Equal(t, "https://login.microsoftonline.com/common/oauth2/v2.0/token", si.TokenURL)
	assert.Equal(t, onedrive.Scopes, si.Scopes)
	si = onedrive.SignIn(providers.Settings{Tenant: "contoso.onmicrosoft.com", AuthBase: "http://127.0.0.1:9/"})
	assert.Equal(t, "http://127.0.0.1:9/contoso.onmicrosoft.com/oauth2/v2.0/token", si.TokenURL)
	k := onedrive.Kind
	assert.True(t, k.NeedsClientID)
	assert.Equal(t, "OneDrive", k.Title)

	_, err := onedrive.New(onedrive.Options{APIBase: "http://graph.example/v1.0", Tokens: oauth2.StaticTokenSource(&oauth2.Token{})})
	assert.Error(t, err, "plain http off loopback")
}

// Debug logs of retries and downloads carry no token and no
// pre-authenticated query string.
func TestNoSecretsInLogs(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	at, _ := fg.IssueTokens()
	var logs strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(b)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := onedrive.New(onedrive.Options{APIBase: fg.URL, Logger: log, Client: fastClient(),
		Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: at})})
	require.NoError(t, err)
	id, err := fg.Seed(fg.RootID(), []string{"a.txt"}, []byte("abc"))
	require.NoError(t, err)
	fg.Faults.RateLimit(2, time.Second) // the /content call and the download each meet a 429
	rc, err := p.Open(ctx(t), id, 1)
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "bc", string(b))
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, logs.String(), "http retry", "the retries were logged")
	assert.NotContains(t, logs.String(), at)
	assert.NotContains(t, logs.String(), "tempauth")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
