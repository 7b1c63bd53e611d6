package onedrive_test

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/onedrive/fakegraph"
)

// A work account reaches its followed SharePoint sites' document libraries
// as roots, and opens files there (which needs Sites.Read.All/Files.Read.All).
func TestFollowedSharePointSitesAreRoots(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{DriveType: "business"})
	p := newProvider(t, fg)
	_, mktRoot := fg.AddSite("Marketing", true)
	_, err := fg.Seed(mktRoot, []string{"Campaigns", "brief.txt"}, []byte("launch brief"))
	require.NoError(t, err)
	fg.AddSite("Not followed", false)

	roots, err := p.Roots(ctx(t))
	require.NoError(t, err)
	var names []string
	var site providers.Entry
	for _, r := range roots {
		names = append(names, r.Name)
		if r.Name == "Marketing – Documents" {
			site = r
		}
	}
	assert.Equal(t, []string{"My files", "Shared with me", "Marketing – Documents"}, names)
	require.True(t, site.IsDir)

	top, err := p.List(ctx(t), site.ID, "")
	require.NoError(t, err)
	require.Len(t, top.Entries, 1)
	inside, err := p.List(ctx(t), top.Entries[0].ID, "")
	require.NoError(t, err)
	require.Len(t, inside.Entries, 1)
	rc, err := p.Open(ctx(t), inside.Entries[0].ID, 0)
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "launch brief", string(b))
}

// Graph may answer with an @odata.nextLink whose path is spelled
// differently from the request's (/drives/{id}/items/{id}/children for
// /me/drive/root/children): it is followed, and every child is listed once.
func TestNextLinkWithAnotherPathOnGraphIsFollowed(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	fg.CanonicalNextLinks.Store(true)
	p := newProvider(t, fg)
	for i := range 2*pageSize + 2 {
		_, err := fg.Seed(fg.RootID(), []string{"f" + string(rune('a'+i)) + ".txt"}, []byte("x"))
		require.NoError(t, err)
	}
	seen := map[string]bool{}
	token := ""
	for {
		page, err := p.List(ctx(t), "", token)
		require.NoError(t, err)
		for _, e := range page.Entries {
			assert.False(t, seen[e.Name], "listed twice: %s", e.Name)
			seen[e.Name] = true
		}
		if token = page.NextPageToken; token == "" {
			break
		}
		assert.Contains(t, token, "/drives/", "the fake rewrote the path")
	}
	assert.Len(t, seen, 2*pageSize+2)

	_, err := p.List(ctx(t), "", "https://graph.attacker.example/v1.0/drives/x/items/y/children?$skiptoken=a")
	assert.ErrorIs(t, err, providers.ErrPageExpired, "a nextLink on another host is refused before any request")
	_, err = p.List(ctx(t), "", "http://"+fg.URL[len("http://"):]+"/../../x/children")
	assert.ErrorIs(t, err, providers.ErrPageExpired, "a nextLink outside the API root is refused")
}

// A pre-authenticated download URL that expired before it was fetched
// (the download host answers 401) is replaced by a fresh one from Graph; it
// never sends the person to sign in again.
func TestExpiredDownloadLinkIsFetchedAgain(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{})
	p := newProvider(t, fg)
	id, err := fg.Seed(fg.RootID(), []string{"report.pdf"}, []byte("%PDF-1.7 report"))
	require.NoError(t, err)

	fg.ExpireNextDownloadLinks(1)
	rc, err := p.Open(ctx(t), id, 0)
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "%PDF-1.7 report", string(b))

	fg.ExpireNextDownloadLinks(10)
	_, err = p.Open(ctx(t), id, 0)
	require.Error(t, err)
	assert.NotErrorIs(t, err, providers.ErrNeedsSignIn, "an expired link is not an expired sign-in")
	fg.ExpireNextDownloadLinks(0)
}

// PDFs and Office files get thumbnails, as OneDrive renders them.
func TestDocumentThumbnails(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{DriveType: "business"})
	p := newProvider(t, fg)
	for _, name := range []string{"report.pdf", "plan.docx", "budget.xlsx"} {
		id, err := fg.Seed(fg.RootID(), []string{name}, []byte("content of "+name))
		require.NoError(t, err)
		e, err := p.Stat(ctx(t), id)
		require.NoError(t, err)
		assert.True(t, e.HasThumbnail, name)
		rc, ct, err := p.Thumbnail(ctx(t), id, 256)
		require.NoError(t, err, name)
		rc.Close()
		assert.Equal(t, "image/png", ct)
	}
}

// A SharePoint site the person does not follow is found by name: its
// library comes up in search and opens.
func TestSearchFindsSiteLibraries(t *testing.T) {
	fg := fakegraph.Start(t, fakegraph.Options{DriveType: "business"})
	p := newProvider(t, fg)
	_, root := fg.AddSite("Engineering", false)
	_, err := fg.Seed(root, []string{"design.txt"}, []byte("v2"))
	require.NoError(t, err)

	page, err := p.Search(ctx(t), "engin", "")
	require.NoError(t, err)
	require.NotEmpty(t, page.Entries)
	lib := page.Entries[0]
	assert.Equal(t, "Engineering – Documents", lib.Name)
	assert.True(t, lib.IsDir)
	inside, err := p.List(ctx(t), lib.ID, "")
	require.NoError(t, err)
	require.Len(t, inside.Entries, 1)
	assert.Equal(t, "design.txt", inside.Entries[0].Name)
}
