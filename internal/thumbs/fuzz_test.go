package thumbs

import (
	"context"
	"image"
	"image/color"
	"testing"
)

// FuzzMake feeds arbitrary bytes (seeded with JPEGs carrying EXIF blocks,
// and real HEIC and AVIF files with their bombs) to the EXIF parser and the
// decoders: neither may panic, and a result is
// never larger than asked.
func FuzzMake(f *testing.F) {
	small := encJPEG(f, halves(40, 20, color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 255}))
	f.Add(withExif(small, exifTIFF(6, nil)))
	f.Add(withExif(small, exifTIFF(1, encJPEG(f, halves(16, 8, color.White, color.Black)))))
	f.Add(pngHeader(100, 100))
	for _, name := range []string{"halves.heic", "bomb.heic", "halves.avif", "bomb.avif"} {
		f.Add(heifSample(f, name))
		// Compile the WebAssembly decoders here, in every worker, before the
		// fuzzing engine's 10-second limit per input applies.
		_, _ = Make(context.Background(), heifSample(f, name), 32, 0)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = parseJPEGExif(data)
		img, err := Make(context.Background(), data, 32, 1<<20)
		if err == nil {
			b := img.Bounds()
			if b.Dx() > 32 || b.Dy() > 32 || b.Empty() {
				t.Fatalf("thumbnail %v for size 32", b)
			}
			var _ image.Image = img
		}
	})
}
