package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/providertest"
)

// posixRejects is what a POSIX file system (ext4, tmpfs) cannot store.
func posixRejects(name string) bool {
	return name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || len(name) > 255
}

// seedFS writes data at root/path..., the way a person would create it.
func seedFS(root string, path []string, data []byte) error {
	for _, n := range path {
		if posixRejects(n) {
			return fmt.Errorf("name %q cannot be stored on this file system", n)
		}
	}
	dir := filepath.Join(append([]string{root}, path[:len(path)-1]...)...)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, path[len(path)-1]), data, 0o644)
}

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{New: func(t *testing.T) *providertest.Fixture {
		base := t.TempDir()
		root := filepath.Join(base, "root")
		require.NoError(t, os.Mkdir(root, 0o755))
		p, err := New(Options{Places: []Place{{Name: "Test", Path: root}}, PageSize: 7, ShowHidden: true})
		require.NoError(t, err)
		t.Cleanup(func() { p.Close() })
		return &providertest.Fixture{
			Provider:  p,
			RootID:    root,
			PageSize:  7,
			Seed:      func(path []string, data []byte) error { return seedFS(root, path, data) },
			Rejects:   posixRejects,
			MissingID: filepath.Join(root, "no-such-file"),
			SeedOutside: func(name string, data []byte) error {
				return os.WriteFile(filepath.Join(base, name), data, 0o644)
			},
		}
	}})
}

func listNames(t *testing.T, p *Provider, id string) map[string]providers.Entry {
	t.Helper()
	out := map[string]providers.Entry{}
	tok := ""
	for {
		page, err := p.List(context.Background(), id, tok)
		require.NoError(t, err)
		for _, e := range page.Entries {
			out[e.Name] = e
		}
		if tok = page.NextPageToken; tok == "" {
			return out
		}
	}
}

func TestSymlinksNeverLeaveThePlace(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "place")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "docs"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "docs", "a.txt"), []byte("inside"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(base, "secret.txt"), []byte("outside"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(base, "outdir"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(base, "outdir", "x"), []byte("outside"), 0o644))

	links := map[string]string{
		"rel-in":      "docs/a.txt",
		"abs-in":      filepath.Join(root, "docs", "a.txt"),
		"dir-in":      "docs",
		"rel-out":     "../secret.txt",
		"abs-out":     filepath.Join(base, "secret.txt"),
		"dir-out":     "../outdir",
		"sneaky":      "docs/../../secret.txt",
		"dangling":    "nothing-here",
		"loop":        "loop",
		"etc":         "/etc",
		"chain-out":   "rel-out",
		"chain-in":    "rel-in",
		"inside-back": "dir-in/../docs/a.txt",
	}
	for name, target := range links {
		require.NoError(t, os.Symlink(target, filepath.Join(root, name)))
	}
	p, err := New(Options{Places: []Place{{Name: "Place", Path: root}}})
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()
	got := listNames(t, p, root)

	for _, name := range []string{"rel-in", "abs-in", "chain-in", "inside-back"} {
		e := got[name]
		require.NoError(t, e.Err, name)
		assert.EqualValues(t, 6, e.Size, name)
		rc, err := p.Open(ctx, e.ID, 0)
		require.NoError(t, err, name)
		b, _ := io.ReadAll(rc)
		rc.Close()
		assert.Equal(t, "inside", string(b), name)
	}
	require.True(t, got["dir-in"].IsDir)
	assert.Contains(t, listNames(t, p, got["dir-in"].ID), "a.txt")

	for _, name := range []string{"rel-out", "abs-out", "dir-out", "sneaky", "etc", "chain-out"} {
		e := got[name]
		require.ErrorIs(t, e.Err, providers.ErrOutsideRoot, name)
		_, err := p.Open(ctx, e.ID, 0)
		require.ErrorIs(t, err, providers.ErrOutsideRoot, name)
		_, err = p.List(ctx, e.ID, "")
		require.ErrorIs(t, err, providers.ErrOutsideRoot, name)
		_, err = p.Stat(ctx, e.ID)
		require.ErrorIs(t, err, providers.ErrOutsideRoot, name)
		_, err = p.Open(ctx, e.ID+"/x", 0)
		require.Error(t, err, name)
	}
	require.Error(t, got["dangling"].Err)
	require.ErrorIs(t, got["dangling"].Err, providers.ErrNotFound)
	require.Error(t, got["loop"].Err)

	// IDs outside every place are refused however they are spelled.
	for _, id := range []string{base, filepath.Join(base, "secret.txt"), filepath.Join(root, "..", "secret.txt"), "relative.txt"} {
		_, err := p.Stat(ctx, id)
		require.Error(t, err, id)
		_, err = p.Open(ctx, id, 0)
		require.Error(t, err, id)
	}
}

func TestPagingLargeFolderAndEvictedCursor(t *testing.T) {
	root := t.TempDir()
	const n = 2500
	for i := range n {
		require.NoError(t, os.WriteFile(filepath.Join(root, fmt.Sprintf("f%05d", i)), nil, 0o644))
	}
	p, err := New(Options{Places: []Place{{Path: root}}, PageSize: 100})
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()
	seen := map[string]bool{}
	tok := ""
	for pages := 0; ; pages++ {
		page, err := p.List(ctx, root, tok)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Entries), 100)
		for _, e := range page.Entries {
			require.False(t, seen[e.Name], "duplicate %s", e.Name)
			seen[e.Name] = true
		}
		if page.NextPageToken == "" {
			break
		}
		tok = page.NextPageToken
		if pages == 3 {
			// Simulate eviction: the next page must come from a fresh handle.
			p.mu.Lock()
			for k, c := range p.cursors {
				c.f.Close()
				delete(p.cursors, k)
			}
			p.mu.Unlock()
		}
	}
	assert.Len(t, seen, n)
	p.mu.Lock()
	assert.Empty(t, p.cursors, "finished listings release their handles")
	p.mu.Unlock()

	// Many abandoned listings do not pile up open handles.
	for range 3 * maxCursors {
		_, err := p.List(ctx, root, "")
		require.NoError(t, err)
	}
	p.mu.Lock()
	assert.LessOrEqual(t, len(p.cursors), maxCursors)
	p.mu.Unlock()
}

func TestStatSniffsMIMEWhenExtensionSaysNothing(t *testing.T) {
	root := t.TempDir()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	require.NoError(t, os.WriteFile(filepath.Join(root, "picture"), png, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "notes.txt"), []byte("hi"), 0o644))
	p, err := New(Options{Places: []Place{{Name: "R", Path: root}}})
	require.NoError(t, err)
	defer p.Close()
	got := listNames(t, p, root)
	assert.Empty(t, got["picture"].MIMEType, "listing never opens files")
	e, err := p.Stat(context.Background(), got["picture"].ID)
	require.NoError(t, err)
	assert.Equal(t, "image/png", e.MIMEType)
	assert.True(t, strings.HasPrefix(got["notes.txt"].MIMEType, "text/plain"))

	e, err = p.ResolvePath(context.Background(), "notes.txt")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(root, "notes.txt"), e.ID)
	e, err = p.ResolvePath(context.Background(), "")
	require.NoError(t, err)
	assert.Equal(t, "R", e.Name)
	assert.NotNil(t, providers.FeaturesOf(p).PathResolver)
}

func TestParseMountInfo(t *testing.T) {
	f, err := os.Open("testdata/mountinfo")
	require.NoError(t, err)
	defer f.Close()
	got := parseMountInfo(f)
	assert.Equal(t, []Place{
		{Name: "USB STICK", Path: "/run/media/ana/USB STICK", Kind: KindVolume},
		{Name: "data", Path: "/mnt/data", Kind: KindVolume},
		{Name: "nas", Path: "/media/nas", Kind: KindVolume},
		{Name: `back\slash`, Path: `/media/back\slash`, Kind: KindVolume},
	}, got)
}

func TestParseUserDirs(t *testing.T) {
	in := `# written by xdg-user-dirs-update
XDG_DESKTOP_DIR="$HOME/Schreibtisch"
XDG_DOWNLOAD_DIR="$HOME/"
XDG_DOCUMENTS_DIR="/srv/docs"
XDG_MUSIC_DIR=relative
`
	got := parseUserDirs(strings.NewReader(in), "/home/ana")
	assert.Equal(t, "/home/ana/Schreibtisch", got["DESKTOP"])
	assert.Equal(t, "/home/ana", got["DOWNLOAD"], "$HOME means disabled")
	assert.Equal(t, "/srv/docs", got["DOCUMENTS"])
	assert.NotContains(t, got, "MUSIC")
}

func TestDefaultPlaces(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, "cfg")
	require.NoError(t, os.MkdirAll(cfg, 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(home, "Schreibtisch"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(home, "Downloads"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(cfg, "user-dirs.dirs"), []byte(`XDG_DESKTOP_DIR="$HOME/Schreibtisch"`+"\n"), 0o644))
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", cfg)
	places := DefaultPlaces()
	require.GreaterOrEqual(t, len(places), 3)
	assert.Equal(t, Place{Name: "Home", Path: home, Kind: KindHome}, places[0])
	if runtime.GOOS == "linux" {
		assert.Equal(t, Place{Name: "Desktop", Path: filepath.Join(home, "Schreibtisch"), Kind: KindDesktop}, places[1])
	}
	assert.Equal(t, Place{Name: "Downloads", Path: filepath.Join(home, "Downloads"), Kind: KindDownloads}, places[2])
	for _, pl := range places[3:] {
		assert.Equal(t, KindVolume, pl.Kind)
	}
	p, err := New(Options{})
	require.NoError(t, err)
	defer p.Close()
	roots, err := p.Roots(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "Home", roots[0].Name)
	assert.True(t, errors.Is(roots[0].Err, nil))
}
