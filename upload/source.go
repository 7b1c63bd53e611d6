package upload

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Source is one thing to upload. Open may be called more than once (a retry
// re-reads from the source, so memory does not grow with the file size) and
// must return a reader positioned at offset.
type Source interface {
	// Name is the path shown to the person and sent as the filename: a
	// slash-separated relative path for files found inside a dropped folder.
	Name() string
	// Size is the length in bytes, or -1 when unknown.
	Size() int64
	// ContentType is the MIME type to declare.
	ContentType() string
	// Open returns a reader starting at offset.
	Open(ctx context.Context, offset int64) (io.ReadCloser, error)
	// Identity distinguishes this exact content version of the source (for
	// example path, size and modification time) so a changed source is noticed.
	Identity() string
	// Origin names where the file came from, for reports ("local:/home/a/x.pdf").
	Origin() string
}

// Place says where a file came from, as a person reads it. It is the
// "source" of every file object Ferry prints (ferry upload --json, ferry
// pick --json, ferry ls --json).
type Place struct {
	Provider string `json:"provider"` // "local" or the remote's name ("gdrive", "nas@bob")
	Path     string `json:"path"`     // the absolute path on this computer, or the path in the remote
}

// PlaceOf says where src came from: a local file's absolute path, a cloud
// file's path in its remote (the provider's own, else the name it was
// uploaded under).
func PlaceOf(src Source) Place {
	switch s := src.(type) {
	case *LocalFile:
		return Place{Provider: "local", Path: s.Path}
	case *ProviderFile:
		if s.Entry.Path != "" {
			return Place{Provider: s.Remote, Path: s.Entry.Path}
		}
		rel := s.Rel
		if rel == "" {
			rel = s.Entry.Name
		}
		return Place{Provider: s.Remote, Path: "/" + strings.TrimPrefix(rel, "/")}
	}
	prov, path, _ := strings.Cut(src.Origin(), ":")
	return Place{Provider: prov, Path: path}
}

// LocalFile is a file on this computer.
type LocalFile struct {
	Path    string    // absolute path
	Rel     string    // name to upload under (slash-separated)
	Length  int64     // size when queued
	ModTime time.Time // modification time when queued
}

// NewLocalFile stats path and returns a source named rel (the base name when rel is empty).
func NewLocalFile(p, rel string) (*LocalFile, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, &SourceError{Reason: "The file cannot be read", Err: err}
	}
	if !fi.Mode().IsRegular() {
		return nil, &SourceError{Reason: "Only regular files can be uploaded", Err: fmt.Errorf("%s is not a regular file", filepath.Base(abs))}
	}
	if rel == "" {
		rel = filepath.Base(abs)
	}
	return &LocalFile{Path: abs, Rel: filepath.ToSlash(rel), Length: fi.Size(), ModTime: fi.ModTime()}, nil
}

func (f *LocalFile) Name() string        { return f.Rel }
func (f *LocalFile) Size() int64         { return f.Length }
func (f *LocalFile) ContentType() string { return TypeByName(f.Rel) }
func (f *LocalFile) Origin() string      { return "local:" + f.Path }
func (f *LocalFile) Identity() string {
	return fmt.Sprintf("local:%s:%d:%d", f.Path, f.Length, f.ModTime.UnixNano())
}

// Open opens the file at offset, refusing a file that changed since it was queued.
func (f *LocalFile) Open(_ context.Context, offset int64) (io.ReadCloser, error) {
	fh, err := os.Open(f.Path)
	if err != nil {
		return nil, &SourceError{Reason: "The file cannot be read", Err: err}
	}
	fi, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, &SourceError{Reason: "The file cannot be read", Err: err}
	}
	if fi.Size() != f.Length || !fi.ModTime().Equal(f.ModTime) {
		fh.Close()
		return nil, &SourceError{Reason: "The file changed after it was queued", Err: fmt.Errorf("%s changed", filepath.Base(f.Path))}
	}
	if offset > 0 {
		if _, err := fh.Seek(offset, io.SeekStart); err != nil {
			fh.Close()
			return nil, err
		}
	}
	return fh, nil
}

// openReaderAt opens the file for parallel reads at any offset (parts of a
// multipart upload are io.SectionReaders over it), refusing a changed file.
func (f *LocalFile) openReaderAt(ctx context.Context) (readerAtCloser, error) {
	rc, err := f.Open(ctx, 0)
	if err != nil {
		return nil, err
	}
	return rc.(*os.File), nil
}

// readerAtCloser is what a random-access source hands the engine.
type readerAtCloser interface {
	io.ReaderAt
	io.Closer
}

// randomAccess is the optional capability of sources that can be read at
// any offset cheaply (local files): parts are then re-read from the source
// on retry instead of being held in memory.
type randomAccess interface {
	openReaderAt(ctx context.Context) (readerAtCloser, error)
}

// TypeByName returns the MIME type for a file name's extension, or
// application/octet-stream.
func TypeByName(name string) string {
	if t := mime.TypeByExtension(strings.ToLower(path.Ext(name))); t != "" {
		return t
	}
	return "application/octet-stream"
}

// ExpandPaths turns paths (files or folders, as dropped or given on the
// command line) into sources. Folders are walked recursively and their files
// are named with the folder's own name as the first path element, so relative
// structure is kept. Symbolic links inside folders are not followed. The
// first item that cannot be uploaded fails the whole call; Expand instead
// uploads what can be and lists the rest.
func ExpandPaths(paths []string) ([]Source, error) {
	srcs, skipped := Expand(paths)
	for _, s := range skipped {
		if !s.quiet {
			return nil, s.Err
		}
	}
	return srcs, nil
}

// Skipped is an item Expand left out.
type Skipped struct {
	// Name is the item as the person knows it: the base name of a path
	// given, or the relative path of an item inside a given folder.
	Name string
	Path string
	// Err says why: a *SourceError whose Reason is for a person.
	Err error

	quiet bool // ExpandPaths leaves it out without failing (a link inside a folder)
}

// Expand is ExpandPaths that never rejects the whole selection: it returns
// the sources of everything that can be uploaded and, separately, every
// item it left out and why (unreadable, not a regular file, a link inside a
// folder, a folder that cannot be listed). A link given by itself is
// followed, to a file or a folder, since the person chose it.
func Expand(paths []string) ([]Source, []Skipped) {
	var out []Source
	var skipped []Skipped
	skip := func(name, p string, err error, quiet bool) {
		skipped = append(skipped, Skipped{Name: name, Path: p, Err: err, quiet: quiet})
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			skip(p, p, sourceError(err, ReasonCannotRead, "Name", filepath.Base(p)), false)
			continue
		}
		base := filepath.Base(abs)
		fi, err := os.Stat(abs)
		if err != nil {
			skip(base, abs, sourceError(err, ReasonCannotRead, "Name", base), false)
			continue
		}
		if !fi.IsDir() {
			f, err := NewLocalFile(abs, "")
			if err != nil {
				skip(base, abs, err, false)
				continue
			}
			out = append(out, f)
			continue
		}
		root, err := filepath.EvalSymlinks(abs) // a link to a folder is walked as that folder
		if err != nil {
			skip(base, abs, sourceError(err, ReasonCannotRead, "Name", base), false)
			continue
		}
		_ = filepath.WalkDir(root, func(fp string, d fs.DirEntry, err error) error {
			rel, rerr := filepath.Rel(root, fp)
			if rerr != nil {
				return rerr
			}
			name := filepath.ToSlash(filepath.Join(base, rel))
			if err != nil {
				skip(name, fp, &SourceError{Reason: "Cannot read a folder", Err: err}, false)
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			switch {
			case d.IsDir():
				return nil
			case d.Type()&fs.ModeSymlink != 0:
				skip(name, fp, &SourceError{Reason: "Links inside a folder are not followed", Err: fmt.Errorf("%s is a link", d.Name())}, true)
				return nil
			case !d.Type().IsRegular():
				skip(name, fp, &SourceError{Reason: "Only regular files can be uploaded", Err: fmt.Errorf("%s is not a regular file", d.Name())}, true)
				return nil
			}
			f, err := NewLocalFile(fp, name)
			if err != nil {
				skip(name, fp, err, false)
				return nil
			}
			out = append(out, f)
			return nil
		})
	}
	return out, skipped
}
