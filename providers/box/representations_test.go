package box_test

import (
	"image"
	_ "image/jpeg"
	_ "image/png"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/providers/box/fakebox"
)

// Documents and PDFs get previews through Box's representations API, up to
// 1024 px; images too, at the size asked for; a representation still being
// made is waited for.
func TestThumbnailsFromRepresentations(t *testing.T) {
	fb := fakebox.Start(t, fakebox.Options{})
	p := newProvider(t, fb)
	pdf, err := fb.Seed("0", []string{"report.pdf"}, []byte("%PDF-1.7"))
	require.NoError(t, err)
	photo, err := fb.Seed("0", []string{"photo.jpg"}, []byte("jpeg-ish"))
	require.NoError(t, err)

	e, err := p.Stat(ctx(t), "f"+pdf)
	require.NoError(t, err)
	assert.True(t, e.HasThumbnail, "Box renders PDFs")
	fb.SetRepresentationPending(pdf, 1)
	rc, _, err := p.Thumbnail(ctx(t), "f"+pdf, 1024)
	require.NoError(t, err)
	m, _, err := image.Decode(rc)
	rc.Close()
	require.NoError(t, err)
	assert.Equal(t, 1024, m.Bounds().Dx(), "a 1024 px preview, not thumbnail.png's 256")

	rc, ct, err := p.Thumbnail(ctx(t), "f"+photo, 300)
	require.NoError(t, err)
	m, _, err = image.Decode(rc)
	rc.Close()
	require.NoError(t, err)
	assert.Equal(t, 320, m.Bounds().Dx(), "the smallest representation not below 300")
	assert.Equal(t, "image/jpeg", ct)
	assert.Equal(t, 2, fb.Stats().Representations)
	assert.Zero(t, fb.Stats().AuthorizedDownloads)
}
