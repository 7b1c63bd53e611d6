package thumbs

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// WritePhotos writes n 4000×3000 (12-megapixel) JPEGs with photo-like
// content into dir and returns their paths. The benchmarks and bench/ui use it.
func writePhotos(tb testing.TB, dir string, n int) []string {
	tb.Helper()
	var paths []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("photo-%02d.jpg", i))
		paths = append(paths, p)
		if _, err := os.Stat(p); err == nil {
			continue
		}
		img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
		for y := range 3000 {
			for x := range 4000 {
				img.Y[img.YOffset(x, y)] = uint8((x*7 + y*3 + i*40 + (x*y)>>9) & 0xff)
			}
		}
		for y := range 1500 {
			for x := range 2000 {
				c := img.COffset(2*x, 2*y)
				img.Cb[c], img.Cr[c] = uint8(x/8+i*9), uint8(y/6)
			}
		}
		f, err := os.Create(p)
		if err != nil {
			tb.Fatal(err)
		}
		if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
			tb.Fatal(err)
		}
		f.Close()
	}
	_ = color.White
	return paths
}

func photoDir(b *testing.B) string {
	if d := os.Getenv("FERRY_BENCH_PHOTOS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "ferry-bench-photos")
}

// BenchmarkThumbnails24x12MP makes 256-pixel thumbnails of 24 12-megapixel
// JPEGs with a fresh loader (no cache), as many at once as there are CPUs.
// bench/ui compares it with `vipsthumbnail -s 256`.
func BenchmarkThumbnails24x12MP(b *testing.B) {
	dir := photoDir(b)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	paths := writePhotos(b, dir, 24)
	b.ResetTimer()
	for range b.N {
		l := NewLoader(Options{})
		var wg sync.WaitGroup
		for _, p := range paths {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := l.Get(context.Background(), Request{Size: 256, Fetch: func(context.Context) (io.ReadCloser, error) { return os.Open(p) }})
				if err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
}

// BenchmarkThumbnailCached measures a memory-cache hit (a row scrolled back).
func BenchmarkThumbnailCached(b *testing.B) {
	l := NewLoader(Options{})
	data := func(context.Context) (io.ReadCloser, error) {
		f, err := os.Open(writePhotos(b, photoDir(b), 1)[0])
		return f, err
	}
	os.MkdirAll(photoDir(b), 0o755)
	req := Request{Key: "k", Size: 256, Fetch: data}
	if _, err := l.Get(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := l.Get(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
