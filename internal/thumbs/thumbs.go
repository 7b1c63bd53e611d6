// Package thumbs makes small, upright images of files for the browser's
// list, grid and preview: it refuses decompression bombs by checking the
// dimensions before decoding, turns images by their EXIF orientation, uses a
// JPEG's embedded EXIF thumbnail when it is big enough, shrinks large images
// with a fast box filter before a Catmull-Rom pass, and keeps results in an
// in-memory LRU and an on-disk cache keyed by file identity (Loader).
//
// It knows nothing of Fyne: the UI asks a Loader from a goroutine and hands
// the image to a widget itself.
package thumbs

import (
	"bytes"
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
)

// DefaultMaxPixels is the largest image (width × height) Make decodes.
// Bigger images are refused before any pixel memory is allocated.
const DefaultMaxPixels = 100_000_000

var (
	// ErrUnsupported: the data is not an image format thumbs decodes.
	ErrUnsupported = errors.New("thumbs: not a supported image")
	// ErrTooLarge: the image's dimensions exceed the pixel limit.
	ErrTooLarge = errors.New("thumbs: image too large to preview")
)

// Make returns an upright image of data whose longer side is at most size
// pixels (smaller images keep their size). maxPixels ≤ 0 means
// DefaultMaxPixels. Errors match ErrUnsupported or ErrTooLarge, or are the
// decoder's own for corrupt data.
func Make(data []byte, size, maxPixels int) (image.Image, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, fmt.Errorf("%w: %d×%d pixels (the limit is %d megapixels)", ErrTooLarge, cfg.Width, cfg.Height, maxPixels/1_000_000)
	}
	orientation := 0
	var src image.Image
	if format == "jpeg" {
		ex := parseJPEGExif(data)
		orientation = ex.Orientation
		if t := embeddedThumb(ex.Thumb, cfg, size); t != nil {
			src = t
		}
	}
	if src == nil && format == "jpeg" && max(cfg.Width, cfg.Height) >= 8*size {
		// Large enough that 1/8 size still has the pixels: decode only the
		// DC coefficients (no IDCT, no full-size image), as libjpeg-based
		// thumbnailers do. CMYK and Adobe-RGB JPEGs fall through.
		if img, err := jpegdc.DecodeEighth(bytes.NewReader(data)); err == nil {
			src = img
		}
	}
	if src == nil {
		if src, _, err = image.Decode(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("thumbs: decode %s: %w", format, err)
		}
	}
	return orient(Scale(src, size), orientation), nil
}

// embeddedThumb decodes an EXIF thumbnail when its longer side reaches size
// and its shape matches the image (some cameras pad thumbnails to 160×120
// whatever the photo's aspect).
func embeddedThumb(t []byte, full image.Config, size int) image.Image {
	if len(t) == 0 {
		return nil
	}
	c, err := jpeg.DecodeConfig(bytes.NewReader(t))
	if err != nil || max(c.Width, c.Height) < size {
		return nil
	}
	ar, tr := float64(full.Width)/float64(full.Height), float64(c.Width)/float64(c.Height)
	if ar/tr > 1.03 || tr/ar > 1.03 {
		return nil
	}
	img, err := jpeg.Decode(bytes.NewReader(t))
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
