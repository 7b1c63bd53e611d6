package thumbs

import "encoding/binary"

// exifInfo is what Ferry uses from a JPEG's EXIF block.
type exifInfo struct {
	Orientation int    // 1..8, 0 when absent
	Thumb       []byte // the embedded JPEG thumbnail (IFD1), nil when absent
}

// parseJPEGExif walks a JPEG's markers up to the first scan and reads the
// APP1 "Exif" segment, if any. It never panics on malformed input: every
// offset is bounds-checked, and anything odd ends the walk with what was
// found so far.
func parseJPEGExif(b []byte) exifInfo {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return exifInfo{}
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return exifInfo{}
		}
		m := b[i+1]
		if m == 0xFF { // fill byte
			i++
			continue
		}
		if m == 0xDA || m == 0xD9 { // start of scan / end of image
			return exifInfo{}
		}
		if m >= 0xD0 && m <= 0xD7 || m == 0x01 { // markers without length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return exifInfo{}
		}
		seg := b[i+4 : i+2+n]
		if m == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			return parseTIFF(seg[6:])
		}
		i += 2 + n
	}
	return exifInfo{}
}

// parseTIFF reads IFD0's Orientation and IFD1's JPEG thumbnail from an
// EXIF TIFF structure.
func parseTIFF(t []byte) exifInfo {
	var info exifInfo
	if len(t) < 8 {
		return info
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return info
	}
	if bo.Uint16(t[2:]) != 42 {
		return info
	}
	ifd0 := int(bo.Uint32(t[4:]))
	next, ok := walkIFD(t, bo, ifd0, func(tag, typ uint16, count, value uint32, valOff int) {
		if tag == 0x0112 && typ == 3 && count >= 1 {
			if o := int(bo.Uint16(t[valOff:])); o >= 1 && o <= 8 {
				info.Orientation = o
			}
		}
	})
	if !ok || next == 0 {
		return info
	}
	var off, length uint32
	walkIFD(t, bo, int(next), func(tag, typ uint16, count, value uint32, _ int) {
		switch tag {
		case 0x0201:
			off = value
		case 0x0202:
			length = value
		}
	})
	if off > 0 && length > 0 && uint64(off)+uint64(length) <= uint64(len(t)) {
		info.Thumb = t[off : off+length]
	}
	return info
}

// walkIFD calls fn for each 12-byte entry of the IFD at off (value is the
// 4-byte value/offset field as a number; valOff is where the inline value
// starts) and returns the offset of the next IFD.
func walkIFD(t []byte, bo binary.ByteOrder, off int, fn func(tag, typ uint16, count, value uint32, valOff int)) (uint32, bool) {
	if off < 8 || off+2 > len(t) {
		return 0, false
	}
	n := int(bo.Uint16(t[off:]))
	if off+2+12*n+4 > len(t) {
		return 0, false
	}
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		typ := bo.Uint16(t[e+2:])
		val := bo.Uint32(t[e+8:])
		if typ == 3 { // SHORT: inline value in the first two bytes
			val = uint32(bo.Uint16(t[e+8:]))
		}
		fn(bo.Uint16(t[e:]), typ, bo.Uint32(t[e+4:]), val, e+8)
	}
	return bo.Uint32(t[off+2+12*n:]), true
}
