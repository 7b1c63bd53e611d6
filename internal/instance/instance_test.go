package instance

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sockPath(t *testing.T) string {
	// Unix socket paths are limited to about 100 bytes: a short folder.
	dir, err := os.MkdirTemp("", "fi")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

// TestSecondStartHandsOverItsFiles: the first start owns the socket; a
// second one gets ErrRunning and its files reach the first.
func TestSecondStartHandsOverItsFiles(t *testing.T) {
	path := sockPath(t)
	first, err := Claim(context.Background(), path, Request{})
	require.NoError(t, err)
	defer first.Close()

	second, err := Claim(context.Background(), path, Request{Files: []string{"/home/ann/a.jpg", "relative/b.jpg"}})
	require.ErrorIs(t, err, ErrRunning)
	assert.Nil(t, second)
	req := <-first.Requests()
	assert.Equal(t, []string{"/home/ann/a.jpg"}, req.Files, "a relative path is not the window's to resolve")

	// Just starting again brings the window forward with no files.
	_, err = Claim(context.Background(), path, Request{})
	require.ErrorIs(t, err, ErrRunning)
	assert.Empty(t, (<-first.Requests()).Files)
}

// TestStaleSocketIsTakenOver: a socket left behind by a Ferry that was
// killed does not stop the next one from starting.
func TestStaleSocketIsTakenOver(t *testing.T) {
	path := sockPath(t)
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	require.NoError(t, ln.Close()) // the name stays, nobody answers
	_, err = os.Stat(path)
	require.NoError(t, err)

	s, err := Claim(context.Background(), path, Request{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "closing removes the socket")
}

// TestOversizeRequestIsRefused: whatever writes to the socket cannot make
// the window read without limit; the request is dropped, not delivered.
func TestOversizeRequestIsRefused(t *testing.T) {
	path := sockPath(t)
	s, err := Claim(context.Background(), path, Request{})
	require.NoError(t, err)
	defer s.Close()
	c, err := net.Dial("unix", path)
	require.NoError(t, err)
	huge := `{"files":["/` + strings.Repeat("a", maxRequest) + `"]}` + "\n"
	_, _ = c.Write([]byte(huge))
	buf := make([]byte, 8)
	n, _ := c.Read(buf)
	c.Close()
	assert.NotEqual(t, "ok\n", string(buf[:n]))
	select {
	case r := <-s.Requests():
		t.Fatalf("an oversize request was delivered: %d files", len(r.Files))
	default:
	}
}
