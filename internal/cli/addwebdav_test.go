package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/internal/app"
)

// TestAddWebDAVKeepsTheServerInTheUserFile: a server added by address in
// the window lands in the person's configuration under a name made from
// its host, is offered at once, and adding it again finds the same remote;
// a plain-http address on another computer is refused.
func TestAddWebDAVKeepsTheServerInTheUserFile(t *testing.T) {
	home := isolate(t)
	ctx := context.Background()
	s := app.New(app.Options{})
	defer s.Close()

	name, err := s.AddWebDAV(ctx, "nas.example.org/remote.php/dav/files/bob/")
	require.NoError(t, err)
	assert.Equal(t, "nas-example-org", name)
	data, err := os.ReadFile(filepath.Join(home, ".config", "ferry", "config.toml"))
	require.NoError(t, err)
	assert.Regexp(t, `url = ["']https://nas.example.org/remote.php/dav/files/bob/["']`, string(data))
	remotes, err := s.Remotes(ctx)
	require.NoError(t, err)
	var names []string
	for _, r := range remotes {
		names = append(names, r.Name)
	}
	assert.Contains(t, names, "nas-example-org")

	again, err := s.AddWebDAV(ctx, "https://nas.example.org/remote.php/dav/files/bob")
	require.NoError(t, err)
	assert.Equal(t, "nas-example-org", again, "the same server is not added twice")
	other, err := s.AddWebDAV(ctx, "https://nas.example.org/other/")
	require.NoError(t, err)
	assert.Equal(t, "nas-example-org-2", other)

	_, err = s.AddWebDAV(ctx, "http://nas.example.org/dav/")
	assert.ErrorContains(t, err, "https")
}
