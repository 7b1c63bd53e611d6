package thumbs

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/ferry-app/ferry/internal/thumbs/jpegdc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withJPEGSize rewrites the dimensions in a JPEG's frame header, so a few
// hundred bytes claim w×h pixels.
func withJPEGSize(t testing.TB, jpg []byte, w, h int) []byte {
	t.Helper()
	out := append([]byte(nil), jpg...)
	for i := 2; i+9 < len(out); i += 2 + int(binary.BigEndian.Uint16(out[i+2:])) {
		if m := out[i+1]; m == 0xC0 || m == 0xC1 || m == 0xC2 {
			binary.BigEndian.PutUint16(out[i+5:], uint16(h))
			binary.BigEndian.PutUint16(out[i+7:], uint16(w))
			return out
		}
	}
	t.Fatal("no frame header")
	return nil
}

// allocated returns the heap bytes fn allocated.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The audit's crash: a small JPEG whose main image is fine but whose EXIF
// thumbnail declares 65535×65535 made Make allocate ~13 GB. The thumbnail
// is ignored (it claims more pixels than its image) and the photo itself
// is shown.
func TestEXIFThumbnailBombIsIgnored(t *testing.T) {
	photo := encJPEG(t, halves(64, 64, red, red))
	for _, side := range []int{6000, 65535} {
		bomb := withJPEGSize(t, encJPEG(t, halves(16, 16, green, green)), side, side)
		data := withExif(photo, exifTIFF(1, bomb))
		require.Less(t, len(data), 2048)
		var img image.Image
		var err error
		n := allocated(func() { img, err = Make(t.Context(), data, 256, 0) })
		require.NoError(t, err, "side %d", side)
		assert.Equal(t, image.Rect(0, 0, 64, 64), img.Bounds())
		near(t, red, img.At(10, 10), "the photo, not the thumbnail")
		assert.Less(t, n, uint64(2<<20), "bytes allocated for a %d² thumbnail", side)
	}
}

// A main image that declares more than it carries is refused by the
// header check on every path, before its pixels are allocated.
func TestDeclaredSizeCheckedOnEveryDecodePath(t *testing.T) {
	jpg := encJPEG(t, halves(40, 24, red, blue))
	var gifBuf, pngBuf bytes.Buffer
	require.NoError(t, gif.Encode(&gifBuf, halves(40, 24, red, blue), nil))
	require.NoError(t, png.Encode(&pngBuf, halves(40, 24, red, blue)))
	for name, data := range map[string][]byte{
		"jpeg (1/8 path)": withJPEGSize(t, jpg, 30000, 30000),
		"png":             pngHeader(30000, 30000),
		"gif":             gifScreen(gifBuf.Bytes(), 30000, 30000),
	} {
		var err error
		n := allocated(func() { _, err = Make(t.Context(), data, 64, 0) })
		require.ErrorIs(t, err, ErrTooLarge, name)
		assert.Less(t, n, uint64(1<<20), "%s: bytes allocated", name)
	}
}

// gifScreen rewrites a GIF's logical screen size.
func gifScreen(g []byte, w, h int) []byte {
	out := append([]byte(nil), g...)
	binary.LittleEndian.PutUint16(out[6:], uint16(w))
	binary.LittleEndian.PutUint16(out[8:], uint16(h))
	return out
}

// Progressive JPEGs keep 256 bytes of coefficients per block: the budget
// counts them, and a 1/8 decode of one gives the same picture.
func TestProgressiveJPEGThumbnail(t *testing.T) {
	data := progressiveSample(t)
	img, err := Make(t.Context(), data, 32, 0)
	require.NoError(t, err)
	assert.Equal(t, 32, img.Bounds().Dx())
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Greater(t, decodeBytes(cfg, "jpeg", data, mustInspect(t, data)), int64(320*200*3+(40*26+2*20*13)*256-1))
}

// One budget bounds all decodes together: with room for one image, a
// second decode waits until the first is done, and one bigger than the
// whole budget is refused.
func TestConcurrentDecodesShareOneBudget(t *testing.T) {
	img := halves(400, 300, red, blue)
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	data := buf.Bytes()
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	require.NoError(t, err)
	need := decodeBytes(cfg, "png", data, jpegdc.Info{})

	b := newMemBudget(need + need/2)
	waited := make(chan int64, 4)
	b.waiting = func(n int64) { waited <- n }
	swapBudget(t, b)

	// Hold most of the budget, as a first decode would.
	require.NoError(t, b.sem.Acquire(t.Context(), need))
	var wg sync.WaitGroup
	var got image.Image
	wg.Add(1)
	go func() {
		defer wg.Done()
		got, err = Make(context.Background(), data, 64, 0)
	}()
	assert.Equal(t, need, <-waited, "the second decode waits for the first")
	b.sem.Release(need)
	wg.Wait()
	require.NoError(t, err)
	assert.Equal(t, 64, got.Bounds().Dx())

	// A waiting decode ends with its context.
	require.NoError(t, b.sem.Acquire(t.Context(), need))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { _, err := Make(ctx, data, 64, 0); done <- err }()
	<-waited
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	b.sem.Release(need)

	// More than the whole budget: refused, not waited for.
	swapBudget(t, newMemBudget(need-1))
	_, err = Make(t.Context(), data, 64, 0)
	require.ErrorIs(t, err, ErrTooLarge)
}

func swapBudget(t *testing.T, b *memBudget) {
	old := budget
	budget = b
	t.Cleanup(func() { budget = old })
}

func progressiveSample(t testing.TB) []byte {
	b, err := os.ReadFile(filepath.Join("jpegdc", "testdata", "prog-big.jpg"))
	require.NoError(t, err)
	return b
}

func mustInspect(t testing.TB, data []byte) jpegdc.Info {
	info, err := jpegdc.Inspect(bytes.NewReader(data))
	require.NoError(t, err)
	return info
}
