package onedrive

import (
	"encoding/base64"
	"encoding/binary"
	"hash"
)

// QuickXorSize is the size of a quickXorHash in bytes (160 bits).
const QuickXorSize = 20

// quickXorShift is how far each successive input byte is rotated.
const quickXorShift = 11

// quickXorWidth is the hash's width in bits.
const quickXorWidth = 8 * QuickXorSize

// NewQuickXorHash returns OneDrive's quickXorHash as a hash.Hash: the
// algorithm Microsoft documents for driveItem hashes ("QuickXorHash
// Algorithm" in the OneDrive API code snippets). Each input byte i is XORed
// into a 160-bit block rotated left by 11·i bits; the little-endian 64-bit
// length is XORed into the block's last eight bytes. Graph sends the result
// base64-encoded (QuickXorBase64).
//
// Because 11·i mod 160 repeats every 160 bytes, bytes 160 apart land at the
// same shift: Write only XORs each byte into one of 160 accumulator cells,
// and Sum rotates the cells into place once.
func NewQuickXorHash() hash.Hash { return &quickXor{} }

type quickXor struct {
	cells [quickXorWidth]byte // cells[k]: XOR of every byte at position ≡ k (mod 160)
	pos   int                 // position of the next byte mod 160
	n     uint64              // bytes written
}

func (q *quickXor) Write(p []byte) (int, error) {
	pos := q.pos
	for _, b := range p {
		q.cells[pos] ^= b
		pos++
		if pos == quickXorWidth {
			pos = 0
		}
	}
	q.pos = pos
	q.n += uint64(len(p))
	return len(p), nil
}

func (q *quickXor) Sum(b []byte) []byte {
	var block [QuickXorSize]byte
	for k, c := range q.cells {
		if c == 0 {
			continue
		}
		// Rotate the byte left by 11·k bits within the 160-bit block whose
		// bit j lives in byte j/8 at bit j%8 (little-endian, as the
		// reference implementation lays out its three 64-bit words).
		bit := (k * quickXorShift) % quickXorWidth
		v := uint16(c) << (bit % 8)
		i := bit / 8
		block[i] ^= byte(v)
		block[(i+1)%QuickXorSize] ^= byte(v >> 8)
	}
	var length [8]byte
	binary.LittleEndian.PutUint64(length[:], q.n)
	for i, l := range length {
		block[QuickXorSize-8+i] ^= l
	}
	return append(b, block[:]...)
}

func (q *quickXor) Reset()         { *q = quickXor{} }
func (q *quickXor) Size() int      { return QuickXorSize }
func (q *quickXor) BlockSize() int { return 64 }

// QuickXorBase64 returns data's quickXorHash the way Graph writes it in
// file.hashes.quickXorHash.
func QuickXorBase64(data []byte) string {
	h := NewQuickXorHash()
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
