package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"

	"github.com/ferry-app/ferry/internal/retry"
	"github.com/ferry-app/ferry/providers"
)

// ProviderFile is a file of any providers.Provider (a cloud drive, WebDAV)
// as an upload source. Its bytes stream from the provider's download into
// the upload with no temporary file. A download that breaks off resumes with
// a ranged Open at the offset reached, after checking with Stat that the
// file's revision is unchanged.
type ProviderFile struct {
	Provider providers.Provider
	// Remote names the account ("gdrive-work"); it qualifies the file ID in
	// Identity and Origin, since IDs mean nothing across accounts.
	Remote string
	Entry  providers.Entry
	// Rel is the name to upload under (slash-separated); Entry.Name when empty.
	Rel string
	// Confirmed carries the person's confirmation of a warning the source
	// gave about this file (providers.ConfirmError): it downloads anyway.
	Confirmed bool
}

// NewProviderFile returns a source for entry e of p under account remote.
func NewProviderFile(p providers.Provider, remote string, e providers.Entry, rel string) *ProviderFile {
	return &ProviderFile{Provider: p, Remote: remote, Entry: e, Rel: rel}
}

func (f *ProviderFile) Name() string {
	if f.Rel != "" {
		return f.Rel
	}
	return f.Entry.Name
}

func (f *ProviderFile) Size() int64 { return f.Entry.Size }

func (f *ProviderFile) ContentType() string {
	if f.Entry.MIMEType != "" {
		return f.Entry.MIMEType
	}
	return TypeByName(f.Name())
}

// Origin is remote:fileID, stable across renames.
func (f *ProviderFile) Origin() string { return f.Remote + ":" + f.Entry.ID }

// Identity adds the revision (or size and modification time when the
// source has no revision) so a changed file is noticed.
func (f *ProviderFile) Identity() string {
	return f.Origin() + ":" + f.version(f.Entry)
}

func (f *ProviderFile) version(e providers.Entry) string {
	if e.Revision != "" {
		return e.Revision
	}
	return strconv.FormatInt(e.Size, 10) + ":" + strconv.FormatInt(e.ModTime.UnixNano(), 10)
}

// Open streams the file from offset (a ranged download), resuming broken
// downloads transparently.
func (f *ProviderFile) Open(ctx context.Context, offset int64) (io.ReadCloser, error) {
	if f.Confirmed {
		ctx = providers.WithConfirmed(ctx)
	}
	r := &resumingReader{ctx: ctx, f: f, off: offset, pacer: defaultPacer()}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

// resumingReader is a provider download that reopens at its offset after a
// transient failure, through the engine's one pacer.
type resumingReader struct {
	ctx   context.Context
	f     *ProviderFile
	off   int64
	rc    io.ReadCloser
	fails int
	pacer *pacer
}

func (r *resumingReader) open() error {
	err := r.pacer.call(r.ctx, func() error {
		if r.fails > 0 {
			e, err := r.f.Provider.Stat(r.ctx, r.f.Entry.ID)
			if err != nil {
				return providerError(err)
			}
			if r.f.version(e) != r.f.version(r.f.Entry) {
				return sourceError(errors.New("revision changed"), ReasonChangedIn, "Remote", r.f.Remote)
			}
		}
		rc, err := r.f.Provider.Open(r.ctx, r.f.Entry.ID, r.off)
		if err != nil {
			return providerError(err)
		}
		r.rc = rc
		return nil
	})
	return err
}

func (r *resumingReader) Read(b []byte) (int, error) {
	for {
		if r.rc == nil {
			if err := r.open(); err != nil {
				return 0, err
			}
		}
		n, err := r.rc.Read(b)
		r.off += int64(n)
		if err == io.EOF && r.f.Entry.Size >= 0 && r.off < r.f.Entry.Size {
			err = io.ErrUnexpectedEOF // the download ended early: resume it
		}
		if err == nil || err == io.EOF {
			return n, err
		}
		if kind, _ := classify(err); kind == permanent || r.fails >= r.pacer.attempts || r.ctx.Err() != nil {
			return n, providerError(err)
		}
		r.fails++
		r.rc.Close()
		r.rc = nil
		if err := retry.Sleep(r.ctx, r.pacer.backoff().Delay(r.fails)); err != nil {
			return n, err
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (r *resumingReader) Close() error {
	if r.rc == nil {
		return nil
	}
	return r.rc.Close()
}

// providerError keeps the provider's typed errors findable (errors.Is) and
// gives the file-level ones a reason; rate limits stay retryable.
func providerError(err error) error {
	var se *SourceError
	switch {
	case err == nil || errors.As(err, &se) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, providers.ErrRateLimited):
		return &SourceError{Reason: "The cloud service is busy", Err: err, Transient: true}
	case errors.Is(err, providers.ErrNotFound):
		return &SourceError{Reason: "The file is no longer there", Err: err}
	case errors.Is(err, providers.ErrPermissionDenied):
		return &SourceError{Reason: "You no longer have access to the file", Err: err}
	case errors.Is(err, providers.ErrNeedsSignIn):
		return &SourceError{Reason: "Sign in to the cloud account again to upload this file", Err: err}
	case errors.Is(err, providers.ErrIsFolder):
		return &SourceError{Reason: "Folders cannot be uploaded as files", Err: err}
	}
	if kind, _ := classify(err); kind != permanent {
		return &SourceError{Reason: "The download from the cloud service failed", Err: err, Transient: true}
	}
	return &SourceError{Reason: "The file cannot be read from the cloud service", Err: err}
}

// ExpandEntries turns selected provider entries (files and folders) into
// sources. Folders are listed recursively, page by page, and their files
// named with the folder's name as the first path element.
func ExpandEntries(ctx context.Context, p providers.Provider, remote string, entries []providers.Entry) ([]Source, error) {
	var out []Source
	var walk func(dir providers.Entry, prefix string, depth int) error
	walk = func(dir providers.Entry, prefix string, depth int) error {
		if depth > 64 {
			return fmt.Errorf("folders nested too deeply under %s", prefix)
		}
		token := ""
		for {
			page, err := p.List(ctx, dir.ID, token)
			if err != nil {
				return providerError(err)
			}
			for _, e := range page.Entries {
				if e.Err != nil {
					continue
				}
				name := path.Join(prefix, e.Name)
				if e.IsDir {
					if err := walk(e, name, depth+1); err != nil {
						return err
					}
					continue
				}
				out = append(out, NewProviderFile(p, remote, e, name))
			}
			if page.NextPageToken == "" {
				return nil
			}
			token = page.NextPageToken
		}
	}
	for _, e := range entries {
		if !e.IsDir {
			out = append(out, NewProviderFile(p, remote, e, ""))
			continue
		}
		if err := walk(e, e.Name, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}
