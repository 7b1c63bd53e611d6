//go:build ignore

// samples draws the source picture of the HEIF samples, and makes bombs:
//
//	go run samples.go halves out.png
//	go run samples.go bomb in.heic out.heic 20000 20000
//
// A bomb is a real file whose ispe (image spatial extents) boxes, and a
// grid's output size, are rewritten so a few hundred bytes declare a huge
// image.
package main

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"strconv"
)

func main() {
	if os.Args[1] == "halves" {
		img := image.NewNRGBA(image.Rect(0, 0, 128, 96))
		for y := 0; y < 96; y++ {
			for x := 0; x < 128; x++ {
				c := color.NRGBA{220, 30, 30, 255} // red left half
				if x >= 64 {
					c = color.NRGBA{30, 30, 220, 255} // blue right half
				}
				img.Set(x, y, c)
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(os.Args[2], buf.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	w, _ := strconv.Atoi(os.Args[4])
	h, _ := strconv.Atoi(os.Args[5])
	n := 0
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("ispe"))
		if j < 0 {
			break
		}
		p := i + j + 4 + 4 // box type, then version and flags
		binary.BigEndian.PutUint32(b[p:], uint32(w))
		binary.BigEndian.PutUint32(b[p+4:], uint32(h))
		n++
		i = p + 8
	}
	// A grid item's data (ISO/IEC 23008-12 6.6.2.3.2): version, flags,
	// rows-1, columns-1, then output width and height (16 bits each).
	if j := bytes.Index(b, []byte("idat")); j >= 0 && b[j+5]&1 == 0 {
		binary.BigEndian.PutUint16(b[j+8:], uint16(w))
		binary.BigEndian.PutUint16(b[j+10:], uint16(h))
	}
	if n == 0 {
		log.Fatal("no ispe box")
	}
	if err := os.WriteFile(os.Args[3], b, 0o644); err != nil {
		log.Fatal(err)
	}
}
