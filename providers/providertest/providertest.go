// Package providertest is the conformance suite every provider passes (the
// restic backend test idea): a provider package starts its test server —
// a real server where one exists (x/net/webdav), otherwise a fake written
// from the service's API reference — seeds files through a Fixture, and calls
// Run. The suite checks what the UI and the upload engine rely on: paging,
// names kept byte-exact, IDs that cannot climb out of the tree, ranged reads,
// not-found, recovery from rate limits, and cancellation.
package providertest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/providers"
)

// Harness connects the suite to one provider.
type Harness struct {
	// New starts a fresh, empty backend and returns a Fixture for it. It is
	// called once per subtest; stop servers with t.Cleanup.
	New func(t *testing.T) *Fixture
}

// Fixture is one fresh backend and the provider under test talking to it.
type Fixture struct {
	Provider providers.Provider
	// RootID is the empty folder the suite seeds into and lists.
	RootID string
	// PageSize is the number of entries the provider puts in a full List
	// page as configured for the test (keep it small: the suite seeds
	// 2·PageSize+1 files to see at least three pages).
	PageSize int
	// Seed creates a file holding data at path (the names of the folders
	// below RootID, then the file's name), creating missing folders. A name
	// may be anything the suite wants to try, "/" included: Seed returns an
	// error exactly when the backend cannot store that name, and then
	// creates nothing.
	Seed func(path []string, data []byte) error
	// Rejects documents which names the backend cannot store (a POSIX file
	// system: "/", NUL, "." and "..", over 255 bytes). The suite requires
	// Seed to fail for these and to succeed for every other name it tries.
	Rejects func(name string) bool
	// MissingID is a well-formed ID that names nothing.
	MissingID string
	// SeedOutside plants a file named name beyond RootID's tree (next to
	// it on the server's disk). The suite then tries IDs that climb out ("../x") and
	// requires that none yields that file. Nil when the backend has no such
	// place.
	SeedOutside func(name string, data []byte) error
	// Faults is the test server's fault injection; nil for providers that
	// make no network calls (then the rate-limit and hang subtests do not
	// apply and are not run).
	Faults Faults
}

// HostileNames are the names the suite tries to store and read back.
var HostileNames = []string{
	"日本語のファイル.txt",
	"emoji 🚢⛴.bin",
	"café-nfc.txt",       // é as one code point
	"cafe\u0301-nfd.txt", // e + combining acute: a different name
	"\u202Etxt.exe",      // right-to-left override: shows as "exe.txt"
	"\u200Bzero-width.txt",
	" leading and trailing space ",
	"percent %2e%2e%2f and %00.txt",
	"amp&lt;semi;quote\"apos'<>.xml",
	"hash#question?.txt",
	"back\\slash",
	"new\nline\ttab",
	"..",
	".",
	"...",
	"../escape.txt",
	"a/b",
	"nul\x00byte",
	strings.Repeat("é", 150), // 300 bytes
	"dotfile-.hidden",
}

// Run runs the conformance suite.
func Run(t *testing.T, h Harness) {
	t.Run("Roots", func(t *testing.T) { testRoots(t, h.New(t)) })
	t.Run("EmptyFolder", func(t *testing.T) { testEmpty(t, h.New(t)) })
	t.Run("Paging", func(t *testing.T) { testPaging(t, h.New(t)) })
	t.Run("Names", func(t *testing.T) { testNames(t, h.New(t)) })
	t.Run("TraversalIDs", func(t *testing.T) { testTraversal(t, h.New(t)) })
	t.Run("RangedReads", func(t *testing.T) { testRanged(t, h.New(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, h.New(t)) })
	t.Run("CancelMidList", func(t *testing.T) { testCancel(t, h.New(t)) })
	// Subtests that need fault injection exist only for network providers.
	f := h.New(t)
	if f.Faults != nil {
		t.Run("RateLimitRecovery", func(t *testing.T) { testRateLimit(t, h.New(t)) })
		t.Run("CancelHungRequest", func(t *testing.T) { testHang(t, h.New(t)) })
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// listAll walks every page of a folder, checking page sizes.
func listAll(t *testing.T, f *Fixture, folderID string) ([]providers.Entry, int) {
	t.Helper()
	var all []providers.Entry
	token, pages := "", 0
	for {
		page, err := f.Provider.List(ctx(t), folderID, token)
		require.NoError(t, err, "List(%q) page %d", folderID, pages+1)
		pages++
		if f.PageSize > 0 {
			require.LessOrEqual(t, len(page.Entries), f.PageSize, "page %d larger than PageSize", pages)
		}
		all = append(all, page.Entries...)
		if page.NextPageToken == "" {
			return all, pages
		}
		require.Less(t, pages, 100000, "paging never ends")
		token = page.NextPageToken
	}
}

func byName(entries []providers.Entry) map[string]providers.Entry {
	m := make(map[string]providers.Entry, len(entries))
	for _, e := range entries {
		m[e.Name] = e
	}
	return m
}

func readAll(t *testing.T, f *Fixture, id string, offset int64) []byte {
	t.Helper()
	rc, err := f.Provider.Open(ctx(t), id, offset)
	require.NoError(t, err, "Open(%q, %d)", id, offset)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err, "reading %q from %d", id, offset)
	return b
}

// checkEntry checks the invariants every listed entry keeps.
func checkEntry(t *testing.T, e providers.Entry, data []byte) {
	t.Helper()
	assert.NotEmpty(t, e.ID, "entry %q has no ID", e.Name)
	assert.NotEmpty(t, e.Name, "entry %q has no name", e.ID)
	assert.NoError(t, e.Err, "entry %q", e.Name)
	assert.GreaterOrEqual(t, e.Size, int64(-1))
	if !e.ModTime.IsZero() {
		assert.WithinDuration(t, time.Now(), e.ModTime, time.Hour, "ModTime of a file seeded just now")
	}
	if data == nil {
		return
	}
	assert.False(t, e.IsDir, "%q is a file", e.Name)
	assert.EqualValues(t, len(data), e.Size, "size of %q", e.Name)
	if !e.Hash.IsZero() {
		var h hash.Hash
		switch e.Hash.Algorithm {
		case "md5":
			h = md5.New()
		case "sha1":
			h = sha1.New()
		case "sha256":
			h = sha256.New()
		}
		if h != nil {
			h.Write(data)
			assert.Equal(t, hex.EncodeToString(h.Sum(nil)), strings.ToLower(e.Hash.Value), "%s of %q", e.Hash.Algorithm, e.Name)
		}
	}
}

func testRoots(t *testing.T, f *Fixture) {
	roots, err := f.Provider.Roots(ctx(t))
	require.NoError(t, err)
	require.NotEmpty(t, roots)
	for _, r := range roots {
		assert.True(t, r.IsDir, "root %q is a folder", r.Name)
		assert.NotEmpty(t, r.Name)
	}
	e, err := f.Provider.Stat(ctx(t), "")
	require.NoError(t, err, "Stat of the default root")
	assert.True(t, e.IsDir)
	_, err = f.Provider.List(ctx(t), "", "")
	require.NoError(t, err, "List of the default root")
}

func testEmpty(t *testing.T, f *Fixture) {
	page, err := f.Provider.List(ctx(t), f.RootID, "")
	require.NoError(t, err)
	assert.Empty(t, page.Entries)
	assert.Empty(t, page.NextPageToken)
	e, err := f.Provider.Stat(ctx(t), f.RootID)
	require.NoError(t, err)
	assert.True(t, e.IsDir)
}

func testPaging(t *testing.T, f *Fixture) {
	require.Positive(t, f.PageSize, "Fixture.PageSize")
	n := 2*f.PageSize + 1
	want := map[string][]byte{}
	for i := range n {
		name := fmt.Sprintf("file-%04d.txt", i)
		want[name] = []byte(strings.Repeat("x", i))
		require.NoError(t, f.Seed(path(name), want[name]))
	}
	require.NoError(t, f.Seed(path("sub", "inner.txt"), []byte("inner")))

	all, pages := listAll(t, f, f.RootID)
	assert.GreaterOrEqual(t, pages, 3, "%d entries at %d per page", n+1, f.PageSize)
	require.Len(t, all, n+1)
	ids := map[string]bool{}
	for _, e := range all {
		assert.False(t, ids[e.ID], "ID %q listed twice", e.ID)
		ids[e.ID] = true
	}
	got := byName(all)
	for name, data := range want {
		e, ok := got[name]
		if !assert.True(t, ok, "%q missing from listing", name) {
			continue
		}
		checkEntry(t, e, data)
		if e.MIMEType != "" {
			assert.True(t, strings.HasPrefix(e.MIMEType, "text/plain"), "MIME type of %q: %q", name, e.MIMEType)
		}
	}
	sub := got["sub"]
	require.True(t, sub.IsDir, "sub is a folder")
	assert.Empty(t, sub.MIMEType)
	inner, _ := listAll(t, f, sub.ID)
	require.Len(t, inner, 1)
	assert.Equal(t, "inner.txt", inner[0].Name)
	assert.Equal(t, "inner", string(readAll(t, f, inner[0].ID, 0)))

	// Stat agrees with the listing.
	for _, name := range []string{"file-0000.txt", fmt.Sprintf("file-%04d.txt", n-1), "sub"} {
		e, err := f.Provider.Stat(ctx(t), got[name].ID)
		require.NoError(t, err, "Stat(%q)", name)
		l := got[name]
		assert.Equal(t, l.ID, e.ID)
		assert.Equal(t, l.Name, e.Name)
		assert.Equal(t, l.IsDir, e.IsDir)
		if !l.IsDir {
			assert.Equal(t, l.Size, e.Size)
			assert.Equal(t, l.Revision, e.Revision)
		}
	}
}

func testNames(t *testing.T, f *Fixture) {
	require.NotNil(t, f.Rejects, "Fixture.Rejects")
	accepted := map[string][]byte{}
	for i, name := range HostileNames {
		data := []byte(fmt.Sprintf("content %d of %q", i, name))
		err := f.Seed(path(name), data)
		if f.Rejects(name) {
			require.Error(t, err, "the backend documents it rejects %q, but Seed stored it", name)
			continue
		}
		require.NoError(t, err, "Seed(%q)", name)
		accepted[name] = data
	}
	all, _ := listAll(t, f, f.RootID)
	got := byName(all)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range got {
			if !yield(n) {
				return
			}
		}
	})
	require.Len(t, all, len(accepted), "listed names: %q", names)
	for name, data := range accepted {
		e, ok := got[name]
		if !assert.True(t, ok, "%q not listed byte-exact; listed: %q", name, names) {
			continue
		}
		checkEntry(t, e, data)
		st, err := f.Provider.Stat(ctx(t), e.ID)
		if assert.NoError(t, err, "Stat(%q)", name) {
			assert.Equal(t, name, st.Name)
		}
		assert.Equal(t, data, readAll(t, f, e.ID, 0), "content of %q", name)
	}
}

const outsideSecret = "OUTSIDE-THE-ROOT secret content"

func testTraversal(t *testing.T, f *Fixture) {
	if f.SeedOutside != nil {
		require.NoError(t, f.SeedOutside("outside-secret", []byte(outsideSecret)))
	}
	require.NoError(t, f.Seed(path("sub", "inside.txt"), []byte("inside")))
	var ids []string
	for _, suffix := range []string{
		"../outside-secret", "../../outside-secret", "sub/../../outside-secret",
		"..\\outside-secret", "%2e%2e/outside-secret", "%2e%2e%2foutside-secret",
		"..%2foutside-secret", "sub/%2e%2e/%2e%2e/outside-secret", "//outside-secret",
	} {
		ids = append(ids, suffix, "/"+suffix, f.RootID+"/"+suffix, f.RootID+suffix)
	}
	for _, id := range ids {
		if e, err := f.Provider.Stat(ctx(t), id); err == nil {
			assert.NotEqual(t, "outside-secret", e.Name, "Stat(%q) reached a file outside the root", id)
		}
		if rc, err := f.Provider.Open(ctx(t), id, 0); err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
			rc.Close()
			assert.NotContains(t, string(b), outsideSecret, "Open(%q) read a file outside the root", id)
		}
		if page, err := f.Provider.List(ctx(t), id, ""); err == nil {
			for _, e := range page.Entries {
				assert.NotEqual(t, "outside-secret", e.Name, "List(%q) listed the folder outside the root", id)
			}
		}
	}
}

func testRanged(t *testing.T, f *Fixture) {
	data := make([]byte, 256<<10+7)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	require.NoError(t, f.Seed(path("range.bin"), data))
	all, _ := listAll(t, f, f.RootID)
	require.Len(t, all, 1)
	e := all[0]
	checkEntry(t, e, data)
	size := int64(len(data))
	for _, off := range []int64{0, 1, 4095, 65536, size / 2, size - 1, size} {
		got := readAll(t, f, e.ID, off)
		require.True(t, bytes.Equal(data[off:], got), "range from %d: got %d bytes, want %d", off, len(got), size-off)
	}
	// Past the end: an error or nothing, never data.
	if rc, err := f.Provider.Open(ctx(t), e.ID, size+100); err == nil {
		b, _ := io.ReadAll(rc)
		rc.Close()
		assert.Empty(t, b, "Open past the end returned data")
	}
	// Closing early is fine and a fresh Open still works.
	rc, err := f.Provider.Open(ctx(t), e.ID, 10)
	require.NoError(t, err)
	buf := make([]byte, 100)
	_, err = io.ReadFull(rc, buf)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, data[10:110], buf)
}

func testNotFound(t *testing.T, f *Fixture) {
	require.NoError(t, f.Seed(path("file.txt"), []byte("x")))
	require.NoError(t, f.Seed(path("dir", "y.txt"), []byte("y")))
	got := byName(must(listAll(t, f, f.RootID)))
	_, err := f.Provider.Stat(ctx(t), f.MissingID)
	assert.ErrorIs(t, err, providers.ErrNotFound, "Stat of a missing ID")
	_, err = f.Provider.Open(ctx(t), f.MissingID, 0)
	assert.ErrorIs(t, err, providers.ErrNotFound, "Open of a missing ID")
	_, err = f.Provider.List(ctx(t), f.MissingID, "")
	assert.ErrorIs(t, err, providers.ErrNotFound, "List of a missing ID")
	assert.True(t, providers.IsPermanent(err), "not found is permanent")
	_, err = f.Provider.List(ctx(t), got["file.txt"].ID, "")
	assert.ErrorIs(t, err, providers.ErrNotFolder, "List of a file")
	_, err = f.Provider.Open(ctx(t), got["dir"].ID, 0)
	assert.ErrorIs(t, err, providers.ErrIsFolder, "Open of a folder")
	_, err = f.Provider.List(ctx(t), f.RootID, "not-a-token-this-provider-made")
	assert.Error(t, err, "List with a forged page token")
}

func path(names ...string) []string { return names }

func must[T any](v T, _ int) T { return v }

func testCancel(t *testing.T, f *Fixture) {
	for i := range 2*f.PageSize + 1 {
		require.NoError(t, f.Seed(path(fmt.Sprintf("c-%04d", i)), []byte("c")))
	}
	c, cancel := context.WithCancel(context.Background())
	page, err := f.Provider.List(c, f.RootID, "")
	require.NoError(t, err)
	require.NotEmpty(t, page.NextPageToken)
	cancel()
	_, err = f.Provider.List(c, f.RootID, page.NextPageToken)
	require.ErrorIs(t, err, context.Canceled, "List after cancel")
	_, err = f.Provider.Open(c, page.Entries[0].ID, 0)
	require.ErrorIs(t, err, context.Canceled, "Open after cancel")
	// The provider is still usable afterwards with a live context.
	all, _ := listAll(t, f, f.RootID)
	assert.Len(t, all, 2*f.PageSize+1)
}

func testRateLimit(t *testing.T, f *Fixture) {
	require.NoError(t, f.Seed(path("a.txt"), []byte("hello")))
	f.Faults.RateLimit(1, time.Second)
	before := f.Faults.Requests()
	page, err := f.Provider.List(ctx(t), f.RootID, "")
	require.NoError(t, err, "List must recover from one 429")
	require.Len(t, page.Entries, 1)
	assert.GreaterOrEqual(t, f.Faults.Requests()-before, 2, "the 429 was answered and the call retried")

	f.Faults.RateLimit(1, time.Second)
	before = f.Faults.Requests()
	assert.Equal(t, "hello", string(readAll(t, f, page.Entries[0].ID, 0)), "Open must recover from one 429")
	assert.GreaterOrEqual(t, f.Faults.Requests()-before, 2)

	// A rate limit that outlasts the provider's patience reaches the caller
	// as a typed error with the wait.
	f.Faults.RateLimit(1000, 24*time.Hour)
	_, err = f.Provider.List(ctx(t), f.RootID, "")
	var rl *providers.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 24*time.Hour, rl.RetryAfter)
	assert.True(t, providers.IsTransient(err))
	f.Faults.RateLimit(0, 0)
}

func testHang(t *testing.T, f *Fixture) {
	require.NoError(t, f.Seed(path("a.txt"), []byte("x")))
	c, cancel := context.WithCancel(context.Background())
	defer cancel()
	before := f.Faults.Requests()
	f.Faults.Hang()
	errc := make(chan error, 1)
	go func() {
		_, err := f.Provider.List(c, f.RootID, "")
		errc <- err
	}()
	// Cancel once the request is at the server.
	deadline := time.Now().Add(30 * time.Second)
	for f.Faults.Requests() == before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-errc:
		require.True(t, errors.Is(err, context.Canceled), "List of a hung request after cancel: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("List did not return after its context was cancelled")
	}
}
