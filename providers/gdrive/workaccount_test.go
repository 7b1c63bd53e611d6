package gdrive

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/gdrive/fakedrive"
)

func readBody(t *testing.T, rc io.ReadCloser, err error) string {
	t.Helper()
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

// Files other people shared with the person are under a "Shared with me"
// root, and open from there.
func TestSharedWithMeRoot(t *testing.T) {
	fd := startFake(t, 3)
	p := newProvider(t, fd, 3)
	team := fd.AddFolder(fd.OthersRootID(), "Team plans")
	fd.AddFile(team, "q3.txt", []byte("third quarter"))
	fd.ShareWithMe(team)
	fd.AddFile(fd.OthersRootID(), "private.txt", []byte("not shared"))

	roots, err := p.Roots(ctx(t))
	require.NoError(t, err)
	var shared providers.Entry
	for _, r := range roots {
		if r.Name == "Shared with me" {
			shared = r
		}
	}
	require.True(t, shared.IsDir, "a Shared with me root: %v", roots)
	st, err := p.Stat(ctx(t), shared.ID)
	require.NoError(t, err)
	assert.Equal(t, "Shared with me", st.Name)

	page, err := p.List(ctx(t), shared.ID, "")
	require.NoError(t, err)
	require.Len(t, page.Entries, 1, "only what was shared")
	assert.Equal(t, "Team plans", page.Entries[0].Name)
	inside, err := p.List(ctx(t), page.Entries[0].ID, "")
	require.NoError(t, err)
	require.Len(t, inside.Entries, 1)
	rc, err := p.Open(ctx(t), inside.Entries[0].ID, 0)
	assert.Equal(t, "third quarter", readBody(t, rc, err))
}

// A folder shared by link reached through a shortcut: Ferry sends the
// resource keys Drive handed out, so it lists and downloads.
func TestLinkSharedFolderUsesResourceKeys(t *testing.T) {
	fd := startFake(t, 10)
	p := newProvider(t, fd, 10)
	folder := fd.AddFolder(fd.OthersRootID(), "Handbook")
	doc := fd.AddFile(folder, "rules.txt", []byte("be kind"))
	fd.LinkShare(folder)
	fd.LinkShare(doc)
	fd.AddShortcut("root", "Handbook", folder)

	top, err := p.List(ctx(t), "", "")
	require.NoError(t, err)
	require.Len(t, top.Entries, 1)
	sc := top.Entries[0]
	require.NoError(t, sc.Err)
	require.True(t, sc.IsDir)
	inside, err := p.List(ctx(t), sc.ID, "")
	require.NoError(t, err)
	require.Len(t, inside.Entries, 1)
	rc, err := p.Open(ctx(t), inside.Entries[0].ID, 0)
	assert.Equal(t, "be kind", readBody(t, rc, err))
}

// A Google Doc that exports to more than files.export's 10 MB downloads
// through its exportLinks instead of failing.
func TestBigDocDownloadsThroughExportLinks(t *testing.T) {
	fd := startFake(t, 10)
	p := newProvider(t, fd, 10)
	id := fd.AddGoogleFile("root", "Annual report", fakedrive.DocMIME)
	fd.SetExportSize(id, fakedrive.ExportLimit+1)
	rc, err := p.Open(ctx(t), id, 0)
	ex := Exports[fakedrive.DocMIME]
	assert.Equal(t, string(fakedrive.ExportContent("Annual report", ex.MIMEType)), readBody(t, rc, err))
}

// The export cap is never reported as "permission denied".
func TestExportLimitIsNotPermissionDenied(t *testing.T) {
	fd := startFake(t, 10)
	p := newProvider(t, fd, 10)
	id := fd.AddGoogleFile("root", "Huge sheet", fakedrive.SheetMIME)
	fd.SetExportSize(id, fakedrive.ExportLimit+1)
	f, err := p.statFile(ctx(t), id)
	require.NoError(t, err)
	f.ExportLinks = nil // as if Drive had sent none
	_, err = p.export(ctx(t), f, 0)
	require.Error(t, err)
	assert.NotErrorIs(t, err, providers.ErrPermissionDenied)
	assert.ErrorIs(t, err, ErrExportTooLarge)
}

// A file Google flags as malware or spam downloads only once the person
// has confirmed, and they are shown Google's warning first.
func TestAbusiveFileNeedsConfirmation(t *testing.T) {
	fd := startFake(t, 10)
	p := newProvider(t, fd, 10)
	id := fd.AddFile("root", "tool.exe", []byte("MZ"))
	fd.MarkAbusive(id)

	_, err := p.Open(ctx(t), id, 0)
	var ce *providers.ConfirmError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, ce.Warning, "malware or spam")
	assert.NotErrorIs(t, err, providers.ErrPermissionDenied)

	rc, err := p.Open(providers.WithConfirmed(ctx(t)), id, 0)
	assert.Equal(t, "MZ", readBody(t, rc, err))
}

// A shared file whose owner turned downloading off is listed with the
// reason it cannot be opened.
func TestFileWithDownloadsOffSaysWhy(t *testing.T) {
	fd := startFake(t, 10)
	p := newProvider(t, fd, 10)
	id := fd.AddFile("root", "salaries.xlsx", []byte("secret"))
	fd.DisableDownload(id)
	page, err := p.List(ctx(t), "", "")
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	e := page.Entries[0]
	require.Error(t, e.Err)
	assert.ErrorIs(t, e.Err, providers.ErrPermissionDenied)
	assert.Contains(t, e.Err.Error(), "does not allow downloading")
	_, err = p.Open(ctx(t), id, 0)
	assert.ErrorIs(t, err, providers.ErrPermissionDenied)
}
