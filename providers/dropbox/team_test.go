package dropbox

import (
	"io"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Dropbox Business member with a team space sees the team root — their
// own folder beside the team folders — and opens files in a team folder.
func TestTeamSpaceRootShowsTeamFolders(t *testing.T) {
	fd := startFake(t, 10)
	_, err := fd.AddFile("", "mine.txt", []byte("my own"))
	require.NoError(t, err)
	team, err := fd.EnableTeamSpace("Acme Team")
	require.NoError(t, err)
	_, err = fd.AddFile(team, "handbook.txt", []byte("welcome aboard"))
	require.NoError(t, err)
	p := newProvider(t, fd, 10)

	page, err := p.List(ctx(t), "", "")
	require.NoError(t, err)
	byName := map[string]string{}
	var names []string
	for _, e := range page.Entries {
		names = append(names, e.Name)
		byName[e.Name] = e.ID
	}
	sort.Strings(names)
	assert.Equal(t, []string{"Acme Team", "Franz Ferdinand"}, names)

	inTeam, err := p.List(ctx(t), byName["Acme Team"], "")
	require.NoError(t, err)
	require.Len(t, inTeam.Entries, 1)
	rc, err := p.Open(ctx(t), inTeam.Entries[0].ID, 0)
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "welcome aboard", string(b))

	mine, err := p.List(ctx(t), byName["Franz Ferdinand"], "")
	require.NoError(t, err)
	require.Len(t, mine.Entries, 1)
	assert.Equal(t, "mine.txt", mine.Entries[0].Name)
}

// A Paper doc lists under its markdown name and downloads through
// files/export instead of failing.
func TestPaperDocExportsAsMarkdown(t *testing.T) {
	fd := startFake(t, 10)
	id, err := fd.AddPaperDoc("", "Meeting notes.paper", "# Meeting\n\n- ship it\n")
	require.NoError(t, err)
	p := newProvider(t, fd, 10)

	page, err := p.List(ctx(t), "", "")
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	e := page.Entries[0]
	require.NoError(t, e.Err)
	assert.Equal(t, "Meeting notes.md", e.Name)
	assert.Equal(t, id, e.ID)
	rc, err := p.Open(ctx(t), id, 0)
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "# Meeting\n\n- ship it\n", string(b))
}

// When the team space moves to a new root namespace, the next call is
// answered 422 invalid_root; Ferry asks for the root again and carries on.
func TestTeamRootThatMovedIsFoundAgain(t *testing.T) {
	fd := startFake(t, 10)
	team, err := fd.EnableTeamSpace("Acme Team")
	require.NoError(t, err)
	p := newProvider(t, fd, 10)
	page, err := p.List(ctx(t), "", "")
	require.NoError(t, err)
	require.Len(t, page.Entries, 2)

	fd.MoveTeamRoot("8812345678")
	page, err = p.List(ctx(t), "", "")
	require.NoError(t, err)
	assert.Len(t, page.Entries, 2)
	_, err = p.List(ctx(t), team, "")
	require.NoError(t, err)
}
