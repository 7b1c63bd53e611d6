// Package atomicfile replaces files so that a crash or a failed write leaves
// either the old content or the new, never a truncated or half-written file.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// Write replaces path with data and gives it mode; see WriteFunc.
func Write(path string, data []byte, mode fs.FileMode) error {
	return WriteFunc(path, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteUnsynced replaces path with data like Write, but flushes neither the
// file nor the directory: a crash of the process still leaves the old
// content or the new, a power cut may leave neither. For many small files
// whose writer calls SyncDir once for the lot (the upload journal queuing a
// folder of thousands), or that can be made again (a cache).
func WriteUnsynced(path string, data []byte, mode fs.FileMode) error {
	return writeFunc(path, mode, false, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFunc replaces path with what write writes, and gives it mode
// (exactly: the umask does not apply). The content goes to a temporary file
// in path's directory (named path's base + ".tmp-" + random, see
// RemoveStale), which is flushed to disk, renamed over path, and then the
// directory is flushed so the rename itself survives a power cut. If write
// or any step fails, path is left as it was and the temporary file is
// removed. The directory must exist.
func WriteFunc(path string, mode fs.FileMode, write func(w io.Writer) error) error {
	return writeFunc(path, mode, true, write)
}

func writeFunc(path string, mode fs.FileMode, sync bool, write func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if err := write(f); err != nil {
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if !sync {
		return nil
	}
	return SyncDir(dir)
}

// SyncDir flushes a directory's entries (a rename or a new file in it) to
// disk. Where directories cannot be flushed (Windows, some file systems) it
// does nothing: the rename is as durable as the system makes it.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("flushing directory %s: %w", dir, err)
	}
	return nil
}

// RemoveStale removes the temporary files a write to path left behind when
// the process died during it. Call it only while no write to path is under
// way (under the lock that serialises writers).
func RemoveStale(path string) {
	dir, prefix := filepath.Dir(path), filepath.Base(path)+".tmp-"
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
