package local

import (
	"io/fs"
	"strings"
	"syscall"
)

const openFlags = 0

// canRead: Windows reports unreadable files when they are opened.
func canRead(string, bool) bool { return true }

// isHidden: dot files and files with the hidden attribute.
func isHidden(name string, fi fs.FileInfo) bool {
	if strings.HasPrefix(name, ".") {
		return true
	}
	if fi != nil {
		if a, ok := fi.Sys().(*syscall.Win32FileAttributeData); ok {
			return a.FileAttributes&syscall.FILE_ATTRIBUTE_HIDDEN != 0
		}
	}
	return false
}
