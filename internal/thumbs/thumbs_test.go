package thumbs

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// halves is a w×h image whose left half is a and right half b.
func halves(w, h int, a, b color.Color) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x < w/2 {
				img.Set(x, y, a)
			} else {
				img.Set(x, y, b)
			}
		}
	}
	return img
}

func encJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}))
	return buf.Bytes()
}

// exifTIFF builds a little-endian EXIF TIFF block with IFD0 Orientation and,
// when thumb is set, IFD1 pointing at the embedded JPEG thumbnail.
func exifTIFF(orientation int, thumb []byte) []byte {
	le := binary.LittleEndian
	b := []byte{'I', 'I', 42, 0, 8, 0, 0, 0}
	entry := func(tag, typ uint16, count, val uint32) []byte {
		e := make([]byte, 12)
		le.PutUint16(e, tag)
		le.PutUint16(e[2:], typ)
		le.PutUint32(e[4:], count)
		le.PutUint32(e[8:], val)
		return e
	}
	// IFD0 at 8: one entry, then the next-IFD offset.
	b = append(b, 1, 0)
	b = append(b, entry(0x0112, 3, 1, uint32(orientation))...)
	ifd1 := uint32(8 + 2 + 12 + 4)
	if thumb == nil {
		ifd1 = 0
	}
	b = le.AppendUint32(b, ifd1)
	if thumb != nil {
		data := ifd1 + 2 + 2*12 + 4
		b = append(b, 2, 0)
		b = append(b, entry(0x0201, 4, 1, data)...)
		b = append(b, entry(0x0202, 4, 1, uint32(len(thumb)))...)
		b = le.AppendUint32(b, 0)
		b = append(b, thumb...)
	}
	return b
}

// withExif inserts an APP1 Exif segment right after the JPEG's SOI.
func withExif(jpg, tiff []byte) []byte {
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(len(seg)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func near(t *testing.T, want color.NRGBA, got color.Color, msg string) {
	t.Helper()
	r, g, b, _ := got.RGBA()
	d := func(x uint32, y uint8) int { return int(x>>8) - int(y) }
	for _, v := range []int{d(r, want.R), d(g, want.G), d(b, want.B)} {
		if v < -40 || v > 40 {
			t.Fatalf("%s: got %v, want about %v", msg, got, want)
		}
	}
}

var (
	red   = color.NRGBA{255, 0, 0, 255}
	blue  = color.NRGBA{0, 0, 255, 255}
	green = color.NRGBA{0, 200, 0, 255}
)

func TestEXIFOrientationTurnsThumbnailUpright(t *testing.T) {
	src := encJPEG(t, halves(400, 200, red, blue)) // stored landscape: red left, blue right
	for _, tc := range []struct {
		o              int
		w, h           int
		first, second  color.NRGBA // colour at the start and end of the long side
		longSideIsTall bool
	}{
		{1, 100, 50, red, blue, false},
		{3, 100, 50, blue, red, false},
		{6, 50, 100, red, blue, true},  // rotated 90° clockwise: red goes to the top
		{8, 50, 100, blue, red, true},  // counter-clockwise: blue on top
		{2, 100, 50, blue, red, false}, // mirrored
	} {
		img, err := Make(t.Context(), withExif(src, exifTIFF(tc.o, nil)), 100, 0)
		require.NoError(t, err)
		b := img.Bounds()
		assert.Equal(t, tc.w, b.Dx(), "orientation %d width", tc.o)
		assert.Equal(t, tc.h, b.Dy(), "orientation %d height", tc.o)
		if tc.longSideIsTall {
			near(t, tc.first, img.At(b.Dx()/2, 5), "top")
			near(t, tc.second, img.At(b.Dx()/2, b.Dy()-5), "bottom")
		} else {
			near(t, tc.first, img.At(5, b.Dy()/2), "left")
			near(t, tc.second, img.At(b.Dx()-5, b.Dy()/2), "right")
		}
	}
}

func TestEmbeddedEXIFThumbnailUsedOnlyWhenBigEnough(t *testing.T) {
	full := encJPEG(t, halves(1200, 800, red, red))
	thumb := encJPEG(t, halves(300, 200, green, green))
	data := withExif(full, exifTIFF(1, thumb))

	img, err := Make(t.Context(), data, 256, 0)
	require.NoError(t, err)
	assert.Equal(t, 256, img.Bounds().Dx())
	near(t, green, img.At(100, 80), "the 300 px embedded thumbnail serves a 256 px request")

	img, err = Make(t.Context(), data, 512, 0)
	require.NoError(t, err)
	assert.Equal(t, 512, img.Bounds().Dx())
	near(t, red, img.At(100, 80), "a 512 px request decodes the photo itself")

	// A thumbnail of another shape (padded 4:3 for a 2:1 photo) is ignored.
	wide := withExif(encJPEG(t, halves(1600, 800, red, red)), exifTIFF(1, thumb))
	img, err = Make(t.Context(), wide, 256, 0)
	require.NoError(t, err)
	near(t, red, img.At(100, 60), "mismatched aspect")
}

// pngHeader is a PNG that claims w×h pixels but carries no image data.
func pngHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk := binary.BigEndian.AppendUint32(nil, 13)
	chunk = append(chunk, "IHDR"...)
	chunk = append(chunk, ihdr...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append(b, chunk...)
}

func TestDecompressionBombRefusedBeforeDecoding(t *testing.T) {
	_, err := Make(t.Context(), pngHeader(50_000, 50_000), 256, 0)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "50000×50000")

	// The limit is the caller's: a real 400×200 image against 50 000 pixels.
	_, err = Make(t.Context(), encJPEG(t, halves(400, 200, red, blue)), 64, 50_000)
	require.ErrorIs(t, err, ErrTooLarge)

	_, err = Make(t.Context(), []byte("just text, not an image"), 64, 0)
	require.ErrorIs(t, err, ErrUnsupported)
}

func TestScaleKeepsAspectAndSmallImages(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, halves(4000, 1000, red, blue)))
	img, err := Make(t.Context(), buf.Bytes(), 256, 0)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 256, 64), img.Bounds())
	near(t, red, img.At(10, 32), "left")
	near(t, blue, img.At(250, 32), "right")

	img, err = Make(t.Context(), encJPEG(t, halves(60, 40, red, blue)), 256, 0)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 60, 40), img.Bounds(), "never enlarged")
}

// countingFetch serves data and counts calls.
func countingFetch(data []byte, n *atomic.Int64) func(context.Context) (io.ReadCloser, error) {
	return func(context.Context) (io.ReadCloser, error) {
		n.Add(1)
		return io.NopCloser(bytes.NewReader(data)), nil
	}
}

func TestLoaderCachesInMemoryAndOnDisk(t *testing.T) {
	dir := t.TempDir()
	data := encJPEG(t, halves(800, 600, red, blue))
	var calls atomic.Int64
	req := Request{Key: "file:/photos/a.jpg\x00123\x001", Size: 128, Fetch: countingFetch(data, &calls)}

	l := NewLoader(Options{Dir: dir})
	img, err := l.Get(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, 128, img.Bounds().Dx())
	_, err = l.Get(context.Background(), req)
	require.NoError(t, err)
	assert.EqualValues(t, 1, calls.Load(), "second request served from memory")
	assert.EqualValues(t, 1, l.Stats().MemoryHits)
	cached, ok := l.Cached(req.Key, 128)
	require.True(t, ok)
	assert.Equal(t, img.Bounds(), cached.Bounds())

	// The cache folder names no file of the person's.
	var names []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		names = append(names, d.Name())
		return err
	}))
	for _, n := range names {
		assert.NotContains(t, n, "a.jpg")
	}

	// A new loader (next start of Ferry) finds it on disk.
	l2 := NewLoader(Options{Dir: dir})
	img2, err := l2.Get(context.Background(), req)
	require.NoError(t, err)
	assert.EqualValues(t, 1, calls.Load(), "served from disk")
	assert.EqualValues(t, 1, l2.Stats().DiskHits)
	assert.Equal(t, img.Bounds(), img2.Bounds())

	// A changed file (new identity) is made again.
	req.Key = "file:/photos/a.jpg\x00124\x002"
	_, err = l2.Get(context.Background(), req)
	require.NoError(t, err)
	assert.EqualValues(t, 2, calls.Load())

	require.NoError(t, l2.Clear())
	assert.Zero(t, l2.DiskUsage())
	_, ok = l2.Cached(req.Key, 128)
	assert.False(t, ok)
}

func TestLoaderCancelStopsFetchAndCachesNothing(t *testing.T) {
	l := NewLoader(Options{Workers: 1})
	started := make(chan struct{})
	sawCancel := make(chan struct{})
	slow := Request{Key: "slow", Size: 64, Fetch: func(ctx context.Context) (io.ReadCloser, error) {
		close(started)
		<-ctx.Done()
		close(sawCancel)
		return nil, ctx.Err()
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := l.Get(ctx, slow); done <- err }()
	<-started

	// A second request waits for the only worker; cancelling it returns at once.
	var calls atomic.Int64
	ctx2, cancel2 := context.WithCancel(context.Background())
	waiting := make(chan error, 1)
	go func() {
		_, err := l.Get(ctx2, Request{Key: "other", Size: 64, Fetch: countingFetch(encJPEG(t, halves(8, 8, red, red)), &calls)})
		waiting <- err
	}()
	cancel2()
	require.ErrorIs(t, <-waiting, context.Canceled)
	assert.Zero(t, calls.Load(), "a cancelled request never fetches")

	cancel()
	<-sawCancel
	require.ErrorIs(t, <-done, context.Canceled)
	assert.EqualValues(t, 2, l.Stats().Cancelled)

	// Nothing was cached for the cancelled key: the next request fetches.
	data := encJPEG(t, halves(100, 100, red, red))
	img, err := l.Get(context.Background(), Request{Key: "slow", Size: 64, Fetch: countingFetch(data, &calls)})
	require.NoError(t, err)
	assert.Equal(t, 64, img.Bounds().Dx())
	assert.EqualValues(t, 1, calls.Load())
}

func TestLoaderRemembersPermanentFailures(t *testing.T) {
	l := NewLoader(Options{})
	var calls atomic.Int64
	req := Request{Key: "bomb", Size: 64, Fetch: countingFetch(pngHeader(40_000, 40_000), &calls)}
	for range 3 {
		_, err := l.Get(context.Background(), req)
		require.ErrorIs(t, err, ErrTooLarge)
	}
	assert.EqualValues(t, 1, calls.Load())

	// Transient failures are not remembered.
	var n atomic.Int64
	flaky := Request{Key: "flaky", Size: 64, Fetch: func(context.Context) (io.ReadCloser, error) {
		n.Add(1)
		return nil, errors.New("connection reset")
	}}
	_, _ = l.Get(context.Background(), flaky)
	_, _ = l.Get(context.Background(), flaky)
	assert.EqualValues(t, 2, n.Load())
}

func TestDiskCacheTrimsOldestBeyondBudget(t *testing.T) {
	dir := t.TempDir()
	l := NewLoader(Options{Dir: dir, DiskBytes: 6000})
	var calls atomic.Int64
	for i := range 12 {
		data := encJPEG(t, halves(200, 200, color.NRGBA{uint8(i * 20), 100, 50, 255}, blue))
		_, err := l.Get(context.Background(), Request{Key: string(rune('a' + i)), Size: 96, Fetch: countingFetch(data, &calls)})
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, l.DiskUsage(), int64(6000))
	assert.Positive(t, l.DiskUsage())
}
