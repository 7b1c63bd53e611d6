package jpegdc

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// photo draws a smooth picture with some noise, w×h, in colour or grey.
func photo(w, h int, grey bool) image.Image {
	r := rand.New(rand.NewPCG(1, 2))
	if grey {
		m := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.SetGray(x, y, color.Gray{uint8((x*3 + y*2 + r.IntN(8)) & 0xff)})
			}
		}
		return m
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetRGBA(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x+y)*239/(w+h) + r.IntN(16)), 255})
		}
	}
	return m
}

// boxEighth averages the full decode over 8×8 blocks: what a 1/8-size
// decode must look like.
func boxEighth(m image.Image) [][3]float64 {
	b := m.Bounds()
	w, h := (b.Dx()+7)/8, (b.Dy()+7)/8
	out := make([][3]float64, w*h)
	for by := range h {
		for bx := range w {
			var s [3]float64
			n := 0.0
			for y := by * 8; y < min(by*8+8, b.Dy()); y++ {
				for x := bx * 8; x < min(bx*8+8, b.Dx()); x++ {
					r, g, bl, _ := m.At(b.Min.X+x, b.Min.Y+y).RGBA()
					s[0], s[1], s[2] = s[0]+float64(r>>8), s[1]+float64(g>>8), s[2]+float64(bl>>8)
					n++
				}
			}
			out[by*w+bx] = [3]float64{s[0] / n, s[1] / n, s[2] / n}
		}
	}
	return out
}

func TestDecodeEighthMatchesAveragedFullDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		grey bool
	}{
		{"colour 4:2:0", 803, 597, false},
		{"grey", 640, 480, true},
		{"odd size", 17, 9, false}, // bounds only: see below
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, jpeg.Encode(&buf, photo(tc.w, tc.h, tc.grey), &jpeg.Options{Quality: 90}))
			full, err := jpeg.Decode(bytes.NewReader(buf.Bytes()))
			require.NoError(t, err)
			small, err := DecodeEighth(bytes.NewReader(buf.Bytes()), 0)
			require.NoError(t, err)
			w, h := (tc.w+7)/8, (tc.h+7)/8
			require.Equal(t, image.Rect(0, 0, w, h), small.Bounds())
			if tc.w < 64 {
				return // a 1/8 pixel's colour comes from 16×16 pixels (2× chroma subsampling): meaningless on a tiny gradient
			}
			want := boxEighth(full)
			worst := 0.0
			for y := range h {
				for x := range w {
					if x == w-1 || y == h-1 {
						continue // edge blocks: padding differs between encoders
					}
					r, g, b, _ := small.At(x, y).RGBA()
					got := [3]float64{float64(r >> 8), float64(g >> 8), float64(b >> 8)}
					for c := range 3 {
						worst = max(worst, abs(got[c]-want[y*w+x][c]))
					}
				}
			}
			// Chroma is subsampled 2×, so a 1/8 pixel's colour comes from a
			// 16×16 area; allow for that and for rounding.
			assert.Less(t, worst, 12.0, "largest channel difference from the averaged full decode")
		})
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// Corrupt input is an error, never a panic: the fuzz target's seeds are
// truncations and bit flips of real baseline and progressive JPEGs.
func FuzzDecodeEighth(f *testing.F) {
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, photo(40, 24, false), &jpeg.Options{Quality: 75})
	good := buf.Bytes()
	f.Add(good)
	f.Add(good[:len(good)/2])
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/3] ^= 0x55
	f.Add(flipped)
	for _, name := range progressiveSamples {
		prog := readSample(f, "prog-"+name+".jpg")
		f.Add(prog)
		f.Add(prog[:len(prog)*2/3])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Inspect(bytes.NewReader(data))
		img, err := DecodeEighth(bytes.NewReader(data), 1<<22)
		if err == nil && img.Bounds().Empty() {
			t.Fatal("an empty image without an error")
		}
	})
}
