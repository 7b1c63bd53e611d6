package ui

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// iPhone photos (HEIC) and AVIF images get a thumbnail in the list and a
// picture in the preview, like JPEGs. The samples are 128×96, red on the
// left and blue on the right (internal/thumbs/testdata/heif/make.sh).
func TestHEICAndAVIFThumbnailAndPreview(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"halves.heic", "halves.avif"} {
		data, err := os.ReadFile(filepath.Join("..", "internal", "thumbs", "testdata", "heif", name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "IMG_0001"+filepath.Ext(name)), data, 0o644))
	}
	b, w := newTestBrowser(t, nil, restrictions{})
	p := newPreview(b.ctx, b.thumbs, &b.jobs)
	b.onCursorChanged = func(it *item) { p.show(b.loc.src, it) }
	w.SetContent(b.view())
	b.openSource(localSource(t, dir), dir)
	b.Wait()
	require.Equal(t, []string{"IMG_0001.avif", "IMG_0001.heic"}, names(b.shown))
	for i := range 2 {
		row := rowFor(t, w, i)
		require.NotNil(t, row.thumb.Image, "%s shows a thumbnail", b.shown[i].Name)
		assert.Equal(t, 128, row.thumb.Image.Bounds().Dx())
		assert.True(t, row.icon.Hidden, "the generic icon gives way to the picture")

		b.setCursor(i)
		b.Wait()
		require.NotNil(t, p.img.Image, "%s is previewed", b.shown[i].Name)
		assert.False(t, p.img.Hidden)
		assert.True(t, p.note.Hidden, "no 'No preview' note: %q", p.note.Text)
		r, _, bl, _ := p.img.Image.At(10, 48).RGBA()
		assert.True(t, r>>8 > 150 && bl>>8 < 100, "the left half is red")
		r, _, bl, _ = p.img.Image.At(118, 48).RGBA()
		assert.True(t, r>>8 < 100 && bl>>8 > 150, "the right half is blue")
	}
}
