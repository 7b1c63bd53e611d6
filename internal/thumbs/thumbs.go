// Package thumbs makes small, upright images of files for the browser's
// list, grid and preview: it refuses decompression bombs by checking the
// dimensions before decoding, turns images by their EXIF orientation, uses a
// JPEG's embedded EXIF thumbnail when it is big enough, shrinks large images
// with a fast box filter before a Catmull-Rom pass, and keeps results in an
// in-memory LRU and an on-disk cache keyed by file identity (Loader).
// HEIC/HEIF (phone photos) and AVIF are decoded by libheif and libavif
// compiled to WebAssembly (heif.go), under the same limits.
//
// It knows nothing of Fyne: the UI asks a Loader from a goroutine and hands
// the image to a widget itself.
package thumbs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // registered for DecodeConfig/Decode
	"image/jpeg"
	_ "image/png"

	"github.com/ferry-app/ferry/internal/thumbs/jpegdc"
	_ "golang.org/x/image/bmp"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
	"golang.org/x/sync/semaphore"
)

// DefaultMaxPixels is the largest image (width × height) Make decodes.
// Bigger images are refused before any pixel memory is allocated.
const DefaultMaxPixels = 100_000_000

// DecodeBudget is the memory, in bytes, that all decodes in the process
// hold at most at once, whatever the number of Loaders and workers: a
// decode waits until its estimated need fits, and an image whose need
// alone exceeds the budget is refused with ErrTooLarge (a 100-megapixel
// 16-bit PNG, for one).
const DecodeBudget = 1 << 30

var (
	// ErrUnsupported: the data is not an image format thumbs decodes.
	ErrUnsupported = errors.New("thumbs: not a supported image")
	// ErrTooLarge: the image's dimensions exceed the pixel limit.
	ErrTooLarge = errors.New("thumbs: image too large to preview")
)

// budget is shared by every decode; tests swap it for a smaller one.
var budget = newMemBudget(DecodeBudget)

type memBudget struct {
	size int64
	sem  *semaphore.Weighted
	// waiting, when set (tests), is called when a decode has to wait.
	waiting func(n int64)
}

func newMemBudget(size int64) *memBudget {
	return &memBudget{size: size, sem: semaphore.NewWeighted(size)}
}

// run calls decode holding n bytes of the budget.
func (b *memBudget) run(ctx context.Context, n int64, decode func() (image.Image, error)) (image.Image, error) {
	if n > b.size {
		return nil, fmt.Errorf("%w: decoding needs about %d MiB (the limit is %d MiB)", ErrTooLarge, n>>20, b.size>>20)
	}
	if !b.sem.TryAcquire(n) {
		if b.waiting != nil {
			b.waiting(n)
		}
		if err := b.sem.Acquire(ctx, n); err != nil {
			return nil, err
		}
	}
	defer b.sem.Release(n)
	return decode()
}

// Make returns an upright image of data whose longer side is at most size
// pixels (smaller images keep their size). maxPixels ≤ 0 means
// DefaultMaxPixels. Every decode (the image, its EXIF thumbnail, a 1/8
// JPEG decode) checks the dimensions its header declares before
// allocating, and waits for its share of DecodeBudget; a cancelled ctx
// ends the wait. Errors match ErrUnsupported or ErrTooLarge, are ctx's, or
// are the decoder's own for corrupt data.
func Make(ctx context.Context, data []byte, size, maxPixels int) (image.Image, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	var cfg image.Config
	var err error
	format := heifFormat(data)
	if format != "" {
		cfg, err = heifConfig(format, data)
	} else {
		cfg, format, err = image.DecodeConfig(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	if err := checkPixels(cfg, maxPixels); err != nil {
		return nil, err
	}
	if format == "heic" || format == "avif" {
		img, err := budget.run(ctx, heifDecodeBytes(format, cfg, data), func() (image.Image, error) {
			img, err := heifDecode(format, data)
			if err != nil {
				return nil, err
			}
			return Scale(img, size), nil
		})
		if err != nil {
			return nil, err
		}
		// libheif applies the irot/imir transforms itself: the EXIF
		// orientation of a HEIC is informational and must not be applied again.
		return img, nil
	}
	var info jpegdc.Info
	if format == "jpeg" {
		if info, err = jpegdc.Inspect(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
	}
	orientation := 0
	var src image.Image
	if format == "jpeg" {
		ex := parseJPEGExif(data)
		orientation = ex.Orientation
		if t := embeddedThumb(ctx, ex.Thumb, cfg, size); t != nil {
			src = t
		}
	}
	if src == nil && format == "jpeg" && max(cfg.Width, cfg.Height) >= 8*size {
		// Large enough that 1/8 size still has the pixels: decode only the
		// DC coefficients (no IDCT, no full-size image), as libjpeg-based
		// thumbnailers do. CMYK and Adobe-RGB JPEGs fall through.
		need := info.CoefficientBytes + 3*int64(cfg.Width/8+2)*int64(cfg.Height/8+2)
		src, _ = budget.run(ctx, need, func() (image.Image, error) {
			img, err := jpegdc.DecodeEighth(bytes.NewReader(data), maxPixels)
			if err != nil {
				return nil, err
			}
			return Scale(img, size), nil
		})
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if src == nil {
		src, err = budget.run(ctx, decodeBytes(cfg, format, data, info), func() (image.Image, error) {
			img, _, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("thumbs: decode %s: %w", format, err)
			}
			return Scale(img, size), nil
		})
		if err != nil {
			return nil, err
		}
	}
	return orient(Scale(src, size), orientation), nil
}

func checkPixels(cfg image.Config, maxPixels int) error {
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return fmt.Errorf("%w: %d×%d pixels (the limit is %d megapixels)", ErrTooLarge, cfg.Width, cfg.Height, maxPixels/1_000_000)
	}
	return nil
}

// decodeBytes estimates, from the header alone, the most memory a full
// decode of the image and its scaling hold at once: the decoded pixels,
// a progressive JPEG's coefficients, an interlaced PNG's passes, and the
// RGBA copy Scale makes of anything but YCbCr before shrinking it.
func decodeBytes(cfg image.Config, format string, data []byte, info jpegdc.Info) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	var bpp int64
	switch cfg.ColorModel {
	case color.YCbCrModel:
		bpp = 3 // 4:4:4 at most
	case color.GrayModel, color.AlphaModel:
		bpp = 1
	case color.Gray16Model, color.Alpha16Model:
		bpp = 2
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel, color.NYCbCrAModel:
		bpp = 4
	default:
		if _, ok := cfg.ColorModel.(color.Palette); ok {
			bpp = 1
		} else {
			bpp = 8 // 16-bit RGBA, and anything unknown
		}
	}
	switch format {
	case "png":
		// Byte 28 is IHDR's interlace method: Adam7 decodes seven passes
		// into images of their own before merging them.
		if len(data) > 28 && data[28] == 1 {
			bpp *= 2
		}
	case "webp":
		bpp = max(bpp, 8) // lossless WebP decodes to ARGB words, then NRGBA
	}
	n := px * bpp
	if cfg.ColorModel != color.YCbCrModel && cfg.ColorModel != color.NRGBAModel {
		n += px * 4 // toNRGBA in Scale
	}
	return n + info.CoefficientBytes
}

// embeddedThumb decodes an EXIF thumbnail when its longer side reaches size
// and its shape matches the image (some cameras pad thumbnails to 160×120
// whatever the photo's aspect). A thumbnail that declares more pixels than
// its image is a lie (or a bomb) and is ignored, as is one that is not a
// JPEG the 1/8 decoder can read the headers of.
func embeddedThumb(ctx context.Context, t []byte, full image.Config, size int) image.Image {
	if len(t) == 0 {
		return nil
	}
	c, err := jpeg.DecodeConfig(bytes.NewReader(t))
	if err != nil || max(c.Width, c.Height) < size || c.Width <= 0 || c.Height <= 0 {
		return nil
	}
	if int64(c.Width)*int64(c.Height) > int64(full.Width)*int64(full.Height) {
		return nil
	}
	ar, tr := float64(full.Width)/float64(full.Height), float64(c.Width)/float64(c.Height)
	if ar/tr > 1.03 || tr/ar > 1.03 {
		return nil
	}
	info, err := jpegdc.Inspect(bytes.NewReader(t))
	if err != nil {
		return nil
	}
	img, err := budget.run(ctx, decodeBytes(c, "jpeg", t, info), func() (image.Image, error) {
		img, err := jpeg.Decode(bytes.NewReader(t))
		if err != nil {
			return nil, err
		}
		return Scale(img, size), nil
	})
	if err != nil {
		return nil
	}
	return img
}

// Fit returns the size of a w×h image scaled so its longer side is at most
// size, keeping the aspect ratio (never below 1 pixel).
func Fit(w, h, size int) (int, int) {
	if w <= size && h <= size {
		return w, h
	}
	if w >= h {
		return size, max(1, h*size/w)
	}
	return max(1, w*size/h), size
}

// Scale shrinks img so its longer side is at most size. Large reductions
// first average whole blocks of pixels (fast and alias-free), then finish
// with Catmull-Rom from about twice the target size.
func Scale(img image.Image, size int) *image.NRGBA {
	b := img.Bounds()
	w, h := Fit(b.Dx(), b.Dy(), size)
	if w == b.Dx() && h == b.Dy() {
		return toNRGBA(img)
	}
	if f := max(b.Dx(), b.Dy()) / (2 * size); f >= 2 {
		img = boxShrink(img, f)
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Rect, img, img.Bounds(), draw.Src, nil)
	return dst
}

// boxShrink averages f×f blocks. YCbCr (JPEG) images are averaged in their
// own planes, so the full-size image is never converted to RGB.
func boxShrink(img image.Image, f int) *image.NRGBA {
	if y, ok := img.(*image.YCbCr); ok {
		return boxShrinkYCbCr(y, f)
	}
	src := toNRGBA(img)
	w, h := src.Rect.Dx()/f, src.Rect.Dy()/f
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	n := uint32(f * f)
	for oy := 0; oy < h; oy++ {
		for ox := 0; ox < w; ox++ {
			var s [4]uint32
			for y := oy * f; y < oy*f+f; y++ {
				row := src.Pix[y*src.Stride+ox*f*4:]
				for x := 0; x < f*4; x += 4 {
					s[0] += uint32(row[x])
					s[1] += uint32(row[x+1])
					s[2] += uint32(row[x+2])
					s[3] += uint32(row[x+3])
				}
			}
			d := dst.Pix[oy*dst.Stride+ox*4:]
			d[0], d[1], d[2], d[3] = uint8(s[0]/n), uint8(s[1]/n), uint8(s[2]/n), uint8(s[3]/n)
		}
	}
	return dst
}

func boxShrinkYCbCr(src *image.YCbCr, f int) *image.NRGBA {
	b := src.Rect
	w, h := b.Dx()/f, b.Dy()/f
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	n := uint32(f * f)
	for oy := 0; oy < h; oy++ {
		for ox := 0; ox < w; ox++ {
			var sy uint32
			x0, y0 := b.Min.X+ox*f, b.Min.Y+oy*f
			for y := y0; y < y0+f; y++ {
				row := src.Y[src.YOffset(x0, y):]
				for x := 0; x < f; x++ {
					sy += uint32(row[x])
				}
			}
			// Chroma is subsampled already: its block centre is enough.
			ci := src.COffset(x0+f/2, y0+f/2)
			r, g, bl := color.YCbCrToRGB(uint8(sy/n), src.Cb[ci], src.Cr[ci])
			d := dst.Pix[oy*dst.Stride+ox*4:]
			d[0], d[1], d[2], d[3] = r, g, bl, 0xff
		}
	}
	return dst
}
