package onedrive

import (
	"encoding/base64"
	"encoding/binary"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Known vectors: input and quickXorHash, both base64 (the values published
// alongside independent implementations of Microsoft's algorithm, e.g.
// rclone's; the 1-byte case can be checked by hand: 0x4a in byte 0, the
// length 1 in byte 12).
var quickXorVectors = []struct{ in, out string }{
	{``, "AAAAAAAAAAAAAAAAAAAAAAAAAAA="},
	{`Sg==`, "SgAAAAAAAAAAAAAAAQAAAAAAAAA="},
	{`tbQ=`, "taAFAAAAAAAAAAAAAgAAAAAAAAA="},
	{`0pZP`, "0rDEEwAAAAAAAAAAAwAAAAAAAAA="},
	{`/aNzzCFPS/A=`, "/RjFHJgRgicsAR4ACAAAAAAAAAA="},
	{`2fuxhBJXtpWFe8dOfdGeHw==`, "O9tHLAghgSvYohKFyMMxnNCHaHg="},
	{`T6LYJIfDh81JrAK309H2JMJTXis=`, "zBTHrspn3mEcohlJdIUAbjGNaNg="},
	{`NbYXsp5/K6mR+NmHwExjvWeWDJFnXTKWVlzYHoesp2E=`, "wjuAuWDiq04qDt1R8hHWDDcwVoQ="},
}

func TestQuickXorKnownVectors(t *testing.T) {
	for _, v := range quickXorVectors {
		in, err := base64.StdEncoding.DecodeString(v.in)
		require.NoError(t, err)
		assert.Equal(t, v.out, QuickXorBase64(in), "input %q", v.in)
		assert.Equal(t, v.out, base64.StdEncoding.EncodeToString(referenceQuickXor(in)), "reference model, input %q", v.in)
	}
}

// referenceQuickXor is Microsoft's high-level description taken literally:
// a 160-bit block, each byte i XORed in rotated left by 11·i bits, the
// length XORed into the last 8 bytes (little-endian).
func referenceQuickXor(data []byte) []byte {
	mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 160), big.NewInt(1))
	block := new(big.Int)
	for i, b := range data {
		s := uint((i * 11) % 160)
		v := new(big.Int).Lsh(big.NewInt(int64(b)), s)
		v.Or(new(big.Int).And(v, mask), new(big.Int).Rsh(v, 160)) // rotate
		block.Xor(block, v)
	}
	be := block.FillBytes(make([]byte, 20))
	out := make([]byte, 20)
	for i := range out {
		out[i] = be[19-i] // bit j → byte j/8: little-endian
	}
	var l [8]byte
	binary.LittleEndian.PutUint64(l[:], uint64(len(data)))
	for i := range l {
		out[12+i] ^= l[i]
	}
	return out
}

func TestQuickXorWritesInPiecesAndLongInputs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{159, 160, 161, 319, 320, 1000, 4099} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		want := referenceQuickXor(data)
		for _, chunk := range []int{1, 7, 64, 160, 333} {
			h := NewQuickXorHash()
			for i := 0; i < n; i += chunk {
				h.Write(data[i:min(n, i+chunk)])
			}
			require.Equal(t, want, h.Sum(nil), "n=%d chunk=%d", n, chunk)
		}
	}
	h := NewQuickXorHash()
	h.Write([]byte("x"))
	h.Reset()
	assert.Equal(t, make([]byte, 20), h.Sum(nil))
	assert.Equal(t, 20, h.Size())
}

func BenchmarkQuickXor(b *testing.B) {
	buf := make([]byte, 1<<20)
	h := NewQuickXorHash()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		h.Write(buf)
	}
}
