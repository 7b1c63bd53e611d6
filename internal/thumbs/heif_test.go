package thumbs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The samples are real files from Debian's heif-enc and avifenc (made by
// testdata/heif/make.sh): 128×96, red on the left, blue on the right.
func heifSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "heif", name))
	require.NoError(t, err)
	return b
}

func TestHEICAndAVIFThumbnails(t *testing.T) {
	for _, name := range []string{"halves.heic", "halves.avif"} {
		img, err := Make(t.Context(), heifSample(t, name), 32, 0)
		require.NoError(t, err, name)
		assert.Equal(t, 32, img.Bounds().Dx(), name)
		assert.Equal(t, 24, img.Bounds().Dy(), name)
		near(t, red, img.At(4, 12), name+" left half")
		near(t, blue, img.At(28, 12), name+" right half")
	}
}

// A HEIC of a few hundred bytes whose ispe box declares 20000×20000 (and a small AVIF
// declaring 12000×12000) is refused from its header: the error names the
// declared size, the shared decode budget is never asked, and the call
// allocates a small fraction of what the pixels would need (400 MP × 3
// bytes at least).
func TestHEIFBombRefusedBeforeAllocating(t *testing.T) {
	_, err := Make(t.Context(), heifSample(t, "halves.heic"), 32, 0) // compile the modules first
	require.NoError(t, err)
	_, err = Make(t.Context(), heifSample(t, "halves.avif"), 32, 0)
	require.NoError(t, err)

	b := newMemBudget(DecodeBudget)
	b.waiting = func(n int64) { t.Errorf("the budget was asked for %d bytes", n) }
	swapBudget(t, b)
	require.NoError(t, b.sem.Acquire(t.Context(), DecodeBudget)) // any decode would have to wait
	defer b.sem.Release(DecodeBudget)
	for name, side := range map[string]string{"bomb.heic": "20000×20000", "bomb.avif": "12000×12000"} {
		data := heifSample(t, name)
		require.Less(t, len(data), 1024)
		var err error
		n := allocated(func() { _, err = Make(t.Context(), data, 256, 0) })
		require.ErrorIs(t, err, ErrTooLarge, name)
		assert.Contains(t, err.Error(), side, name)
		assert.Less(t, n, uint64(64<<20), "bytes allocated for %s", name)
		t.Logf("%s: %d KiB allocated", name, n>>10)
	}
}

// A HEIC or AVIF decode holds its WebAssembly memory, many times the
// pixels' own size: it asks the shared budget for that (heifDecodeBytes)
// and is refused when the budget could never hold it.
func TestHEIFDecodeAsksBudgetForWasmMemory(t *testing.T) {
	for _, name := range []string{"halves.heic", "halves.avif"} {
		data := heifSample(t, name)
		format := heifFormat(data)
		cfg, err := heifConfig(format, data)
		require.NoError(t, err)
		need := heifDecodeBytes(format, cfg, data)
		assert.GreaterOrEqual(t, need, int64(cfg.Width*cfg.Height*17), "%s: at least the measured 17.5 bytes a pixel", name)

		swapBudget(t, newMemBudget(need-1))
		_, err = Make(t.Context(), data, 32, 0)
		require.ErrorIs(t, err, ErrTooLarge, name)

		b := newMemBudget(need)
		var asked int64
		b.waiting = func(n int64) { asked = n; b.sem.Release(1) }
		swapBudget(t, b)
		require.NoError(t, b.sem.Acquire(t.Context(), 1)) // so the decode has to wait, and says for how much
		_, err = Make(t.Context(), data, 32, 0)
		require.NoError(t, err, name)
		assert.Equal(t, need, asked, name)
	}
}
