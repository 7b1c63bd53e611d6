//go:build unix

package local

import (
	"io/fs"
	"strings"
	"syscall"
)

// openFlags: O_NONBLOCK so that opening a FIFO never blocks (regular files
// ignore it).
const openFlags = syscall.O_NONBLOCK

// canRead asks the kernel whether this process may read the file (and, for
// a folder, enter it), honouring ACLs that mode bits do not show.
func canRead(path string, dir bool) bool {
	mode := uint32(4) // R_OK
	if dir {
		mode |= 1 // X_OK
	}
	return syscall.Access(path, mode) == nil
}

func isHidden(name string, _ fs.FileInfo) bool { return strings.HasPrefix(name, ".") }
