package jpegdc

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Progressive samples made by libjpeg-turbo 2.1.5's
// `jpegtran -progressive -optimize testdata/base-X.jpg` from baseline JPEGs
// Go encoded: real progressive scan scripts (interleaved DC with successive
// approximation, spectral selection, EOB runs, refinement scans), 4:2:0
// colour and grey. jpegtran is lossless, so each holds the same DC
// coefficients as its baseline source.
var progressiveSamples = []string{"colour", "grey", "big"}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestDecodeEighthProgressiveEqualsBaseline(t *testing.T) {
	for _, name := range progressiveSamples {
		t.Run(name, func(t *testing.T) {
			prog, err := DecodeEighth(bytes.NewReader(readSample(t, "prog-"+name+".jpg")), 0)
			require.NoError(t, err)
			base, err := DecodeEighth(bytes.NewReader(readSample(t, "base-"+name+".jpg")), 0)
			require.NoError(t, err)
			require.Equal(t, base.Bounds(), prog.Bounds())
			b := base.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					require.Equal(t, base.At(x, y), prog.At(x, y), "pixel %d,%d", x, y)
				}
			}
			full, err := jpeg.Decode(bytes.NewReader(readSample(t, "prog-"+name+".jpg")))
			require.NoError(t, err)
			assert.Equal(t, image.Rect(0, 0, (full.Bounds().Dx()+7)/8, (full.Bounds().Dy()+7)/8), b)
		})
	}
}

// withSize rewrites the dimensions of a JPEG's frame header (SOF0/1/2).
func withSize(t testing.TB, jpg []byte, w, h int) []byte {
	t.Helper()
	out := append([]byte(nil), jpg...)
	for i := 2; i+9 < len(out); {
		if out[i] != 0xFF {
			t.Fatal("no frame header")
		}
		m := out[i+1]
		if m == 0xC0 || m == 0xC1 || m == 0xC2 {
			binary.BigEndian.PutUint16(out[i+5:], uint16(h))
			binary.BigEndian.PutUint16(out[i+7:], uint16(w))
			return out
		}
		i += 2 + int(binary.BigEndian.Uint16(out[i+2:]))
	}
	t.Fatal("no frame header")
	return nil
}

// allocated returns the bytes fn allocated on the heap.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A few hundred bytes that declare 20000×20000 pixels must not make the
// decoder allocate for 400 megapixels (a progressive file keeps every
// block's coefficients: 256 bytes a block and component, 1.6 GB here).
func TestDecodeEighthRefusesHugeDeclaredSizeBeforeAllocating(t *testing.T) {
	for _, name := range []string{"prog-colour.jpg", "colour-baseline"} {
		t.Run(name, func(t *testing.T) {
			var data []byte
			if name == "colour-baseline" {
				var buf bytes.Buffer
				require.NoError(t, jpeg.Encode(&buf, photo(40, 24, false), &jpeg.Options{Quality: 75}))
				data = buf.Bytes()
			} else {
				data = readSample(t, name)
			}
			bomb := withSize(t, data, 20000, 20000)
			var err error
			n := allocated(func() { _, err = DecodeEighth(bytes.NewReader(bomb), 0) })
			require.ErrorIs(t, err, ErrTooLarge)
			assert.Less(t, n, uint64(4<<20), "bytes allocated")

			// The caller's own limit applies too.
			_, err = DecodeEighth(bytes.NewReader(data), 40*24-1)
			require.ErrorIs(t, err, ErrTooLarge)
		})
	}
}

func TestInspectTellsProgressiveAndMemory(t *testing.T) {
	info, err := Inspect(bytes.NewReader(readSample(t, "prog-big.jpg")))
	require.NoError(t, err)
	assert.Equal(t, 320, info.Width)
	assert.Equal(t, 200, info.Height)
	assert.True(t, info.Progressive)
	assert.Equal(t, 3, info.Components)
	// 4:2:0: 40×26 luma blocks (rounded to 2×2 MCUs) and 20×13 of each chroma,
	// 256 bytes each.
	assert.Equal(t, int64((40*26+2*20*13)*256), info.CoefficientBytes)
}
