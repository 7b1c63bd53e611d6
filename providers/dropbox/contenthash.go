package dropbox

import (
	"crypto/sha256"
	"hash"
)

// ContentHashBlockSize is the block size of Dropbox's content hash.
const ContentHashBlockSize = 4 << 20

// NewContentHash returns a hash.Hash computing Dropbox's content_hash: the
// content is split into 4 MiB blocks, each block is hashed with SHA-256,
// and the result is the SHA-256 of the concatenated block hashes (an empty
// file hashes the empty concatenation). Sum's hex form is what the API
// returns as content_hash.
func NewContentHash() hash.Hash {
	return &contentHash{overall: sha256.New(), block: sha256.New()}
}

type contentHash struct {
	overall, block hash.Hash
	inBlock        int // bytes in the current block
}

func (h *contentHash) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), ContentHashBlockSize-h.inBlock)
		h.block.Write(p[:k])
		h.inBlock += k
		p = p[k:]
		if h.inBlock == ContentHashBlockSize {
			h.overall.Write(h.block.Sum(nil))
			h.block.Reset()
			h.inBlock = 0
		}
	}
	return n, nil
}

// Sum appends the content hash to b without changing the state.
func (h *contentHash) Sum(b []byte) []byte {
	// Finish a copy of the overall hash so that writing may go on.
	o := h.overall.(hash.Cloner)
	c, _ := o.Clone()
	if h.inBlock > 0 {
		c.Write(h.block.Sum(nil))
	}
	return c.Sum(b)
}

func (h *contentHash) Reset() {
	h.overall.Reset()
	h.block.Reset()
	h.inBlock = 0
}

func (h *contentHash) Size() int      { return sha256.Size }
func (h *contentHash) BlockSize() int { return sha256.BlockSize }
