package box_test

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/providers/box/fakebox"
)

// A download URL that expired before it was fetched is replaced by a fresh
// one from /files/{id}/content; it is never "permission denied" or
// "sign in again".
func TestExpiredDownloadLinkIsFetchedAgain(t *testing.T) {
	fb := fakebox.Start(t, fakebox.Options{})
	p := newProvider(t, fb)
	id, err := fb.Seed("0", []string{"a.txt"}, []byte("0123456789"))
	require.NoError(t, err)

	fb.ExpireNextDownloadLinks(1)
	rc, err := p.Open(ctx(t), "f"+id, 0)
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "0123456789", string(b))

	fb.ExpireNextDownloadLinks(10)
	_, err = p.Open(ctx(t), "f"+id, 0)
	require.Error(t, err)
	assert.NotErrorIs(t, err, providers.ErrNeedsSignIn)
	assert.NotErrorIs(t, err, providers.ErrPermissionDenied)
}
