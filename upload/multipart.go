package upload

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/retry"
)

const (
	minPartSize     = 5 << 20 // S3's minimum for every part but the last
	maxParts        = 10000   // S3's maximum part count
	defaultPartSize = 16 << 20
	// A local file's parts grow up to this size (a sixteenth of the file):
	// fewer, larger parts cost the storage less per byte, and a local part
	// is re-read from disk, never held in memory.
	maxLocalPartSize = 64 << 20
	// A streamed (cloud) file's parts are held in memory while they are
	// sent, so they stay small: (part concurrency + 1) × this at most.
	streamPartSize = 8 << 20
)

var errNoURL = errors.New("backend returned no URL for a part")

// planPartSize picks the part size for a file: want (at least 5 MiB), grown
// in whole MiB until the file fits in 10 000 parts.
func planPartSize(size, want int64) int64 {
	ps := max(want, minPartSize)
	if need := (size + maxParts - 1) / maxParts; need > ps {
		ps = (need + 1<<20 - 1) &^ (1<<20 - 1)
	}
	return ps
}

// multipart is one S3 multipart upload in flight.
//
// Data flow: a single reader stage walks the file in part order, feeding
// every byte through the whole-file SHA-256 (and the part's own SHA-256 when
// the backend wants per-part checksums), then hands the part to one of the
// part workers. Workers sign just in time and PUT the part. A local file's
// part body is an io.SectionReader over the file, so a retry re-reads it
// from disk and nothing is held in memory; a streamed (cloud) source's part
// is the buffer the reader stage filled, so memory is bounded by
// (part concurrency + 1) × part size.
type multipart struct {
	q    *Queue
	j    *job
	src  Source
	size int64
	ps   int64 // part size
	n    int   // part count
	sums bool  // per-part x-amz-checksum-sha256
	ra   readerAtCloser
	sign *partSigner

	bufs sync.Pool // part buffers of a streamed source, reused across parts

	mu      sync.Mutex
	ent     *JournalEntry
	done    map[int]api.Part
	hstate  []byte // whole-file hash state after hashedN bytes
	hashedN int64
}

func (m *multipart) partLen(n int) int64 {
	off := int64(n-1) * m.ps
	return min(m.ps, m.size-off)
}

func (m *multipart) isDone(n int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.done[n]
	return ok
}

// uploadMultipart sends src with S3 multipart, resuming a journaled upload of
// the same unchanged source.
func (q *Queue) uploadMultipart(ctx context.Context, j *job) (*Result, error) {
	src := j.src
	size := src.Size()
	if size < 0 {
		return nil, &SourceError{Reason: "The file's size is unknown, so it cannot be uploaded in parts", Err: errors.New("unknown size")}
	}
	m := &multipart{q: q, j: j, src: src, size: size, sums: q.disc.Upload.Checksum == "sha256", done: map[int]api.Part{}}
	want := min(q.opts.PartSize, streamPartSize)
	if _, ok := src.(randomAccess); ok {
		want = max(q.opts.PartSize, min(size/16, maxLocalPartSize)&^(1<<20-1))
	}
	m.ps = planPartSize(size, want)
	m.n = int((size + m.ps - 1) / m.ps)
	if m.n == 0 {
		m.n = 1 // an empty file is one empty part
	}
	if ra, ok := src.(randomAccess); ok {
		f, err := ra.openReaderAt(ctx)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		m.ra = f
	}
	if err := m.resumeOrCreate(ctx); err != nil {
		return nil, err
	}
	j.setCleanup(func(ctx context.Context) {
		m.mu.Lock()
		ref := m.ent.ref()
		m.mu.Unlock()
		if err := q.client.Abort(ctx, ref); err != nil {
			q.log.Warn("aborting a cancelled multipart upload failed", "name", src.Name(), "err", err)
		}
		_ = q.opts.Journal.Forget(q.backendID(), src.Origin())
	})
	m.sign = &partSigner{c: q.client, ref: m.ent.ref(), batch: !m.sums,
		ahead: 2 * q.opts.PartConcurrency, nparts: m.n, isNeeded: func(n int) bool { return !m.isDone(n) },
		cache: map[int]signedURL{}}

	var stored int64
	for _, p := range m.done {
		stored += p.Size
	}
	j.prog.sent.Store(stored)
	q.emitProgress(j)

	start := time.Now()
	sum, err := m.run(ctx)
	if err != nil {
		return nil, err
	}
	parts := m.sortedParts()
	q.log.Debug("all parts stored", "name", src.Name(), "parts", len(parts), "dur", time.Since(start))
	start = time.Now()
	var res *api.CompleteResponse
	err = q.pacer.call(ctx, func() (err error) {
		res, err = q.client.Complete(ctx, m.ent.ref(), parts)
		return err
	})
	if err != nil {
		return nil, err
	}
	q.log.Debug("multipart upload completed", "name", src.Name(), "dur", time.Since(start))
	_ = q.opts.Journal.Forget(q.backendID(), src.Origin())
	return &Result{Name: src.Name(), Size: size, Type: src.ContentType(), SHA256: sum,
		Key: res.Key, Location: RedactURL(res.Location), Source: PlaceOf(src)}, nil
}

// resumeOrCreate picks up the journaled upload of this source when it is
// still the same content and the backend still has it; otherwise it starts
// a new one (aborting a stale one so its parts do not linger).
func (m *multipart) resumeOrCreate(ctx context.Context) error {
	q, src := m.q, m.src
	backend := q.backendID()
	if e := q.opts.Journal.load(backend, src.Origin()); e != nil {
		same := e.Protocol == api.ProtocolS3 && e.Identity == src.Identity() && e.Size == m.size &&
			e.PartSize == m.ps && e.Checksums == m.sums && e.UploadID != "" && e.Key != ""
		var listed []api.Part
		var err error
		if same {
			err = q.pacer.call(ctx, func() (err error) {
				listed, err = q.client.ListParts(ctx, e.ref())
				return err
			})
			var ae *api.Error
			if err != nil && !(errors.As(err, &ae) && ae.Status == http.StatusNotFound) {
				return err
			}
		}
		if same && err == nil {
			ours := map[int]string{}
			for _, p := range e.Parts {
				ours[p.PartNumber] = normETag(p.ETag)
			}
			for _, p := range listed {
				if p.PartNumber < 1 || p.PartNumber > m.n || p.Size != m.partLen(p.PartNumber) || p.ETag == "" {
					continue
				}
				// A part this client saw stored is trusted. Any other listed
				// part may be the remains of an attempt cut off mid-body
				// (some S3 servers keep those at full length): keep it only
				// when its ETag is the MD5 of our bytes.
				if ours[p.PartNumber] != normETag(p.ETag) {
					if ok, err := m.verifyMD5(ctx, p); err != nil {
						return err
					} else if !ok {
						continue
					}
				}
				if e.Checksums && p.ChecksumSHA256 == "" {
					continue
				}
				m.done[p.PartNumber] = p
			}
			m.ent = e
			if e.HashedBytes > 0 && len(e.HashState) > 0 && (e.HashedBytes%m.ps == 0 || e.HashedBytes == m.size) {
				m.hstate, m.hashedN = e.HashState, e.HashedBytes
			}
			q.log.Info("resuming upload", "name", src.Name(), "parts_stored", len(m.done), "parts", m.n)
			return nil
		}
		if !same && e.Protocol != "" {
			q.log.Info("the file changed since its upload was interrupted; starting over", "name", src.Name())
			if e.UploadID != "" && e.Key != "" {
				_ = q.client.Abort(ctx, e.ref())
			}
		}
		if e.Protocol != "" {
			_ = q.opts.Journal.requeue(backend, src) // never out of the journal
		}
	}
	var cr *api.CreateMultipartResponse
	err := q.pacer.call(ctx, func() (err error) {
		cr, err = q.client.CreateMultipart(ctx, api.CreateMultipartRequest{Filename: src.Name(), Type: src.ContentType(), Size: m.size})
		return err
	})
	if err != nil {
		return err
	}
	m.ent = &JournalEntry{Backend: backend, Origin: src.Origin(), Identity: src.Identity(), Name: src.Name(),
		Size: m.size, Type: src.ContentType(), Protocol: api.ProtocolS3, Key: cr.Key, UploadID: cr.UploadID,
		UploadToken: cr.Token, PartSize: m.ps, Checksums: m.sums}
	if e := q.opts.Journal.load(backend, src.Origin()); e != nil {
		m.ent.Created = e.Created // keeps its place among the unfinished
	}
	if err := q.opts.Journal.save(m.ent); err != nil {
		q.log.Warn("upload journal not written; this upload cannot resume after a crash", "err", err)
	}
	return nil
}

// getBuf returns a buffer of n bytes for a streamed part.
func (m *multipart) getBuf(n int64) []byte {
	if b, ok := m.bufs.Get().([]byte); ok && int64(cap(b)) >= n {
		return b[:n]
	}
	return make([]byte, n, m.ps)
}

func (m *multipart) putBuf(b []byte) {
	if b != nil && int64(cap(b)) == m.ps {
		m.bufs.Put(b[:0])
	}
}

func normETag(e string) string { return strings.Trim(strings.TrimSpace(e), `"`) }

// verifyMD5 reports whether a stored part's ETag is the MD5 of our part.
func (m *multipart) verifyMD5(ctx context.Context, p api.Part) (bool, error) {
	etag := normETag(p.ETag)
	if want, err := hex.DecodeString(etag); err != nil || len(want) != md5.Size {
		return false, nil // not a plain MD5 (SSE-KMS, composite): cannot tell, send again
	}
	w := partWork{n: p.PartNumber}
	rd, err := m.body(ctx, &w)
	if err != nil {
		return false, err
	}
	h := md5.New()
	if _, err := io.Copy(h, rd); err != nil {
		return false, &SourceError{Reason: "The file cannot be read", Err: err}
	}
	return hex.EncodeToString(h.Sum(nil)) == etag, nil
}

// partWork is one part handed from the reader stage to a worker.
type partWork struct {
	n   int
	sum string // base64 SHA-256, "" when not computed (yet)
	buf []byte // the part's bytes for a streamed source; nil for random access
}

// run feeds every part through the reader stage and the workers and returns
// the whole file's SHA-256 in hex.
func (m *multipart) run(ctx context.Context) (string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan partWork)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel(err) })
	}
	for range m.q.opts.PartConcurrency {
		wg.Go(func() {
			for w := range work {
				if ctx.Err() != nil {
					continue
				}
				if err := m.sendPart(ctx, w); err != nil {
					fail(err)
				}
			}
		})
	}
	sum, err := m.read(ctx, work)
	close(work)
	wg.Wait()
	if err != nil {
		fail(err)
	}
	if firstErr != nil {
		return "", firstErr
	}
	if k := len(m.sortedParts()); k != m.n {
		return "", fmt.Errorf("%d of %d parts stored", k, m.n)
	}
	return sum, nil
}

// read is the reader stage: parts before the saved hash state that are
// missing are dispatched first, then every later part is read in order
// through the whole-file hash and dispatched unless already stored.
func (m *multipart) read(ctx context.Context, work chan<- partWork) (string, error) {
	h := sha256.New()
	first := 1
	if m.hstate != nil {
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(m.hstate); err == nil {
			first = int(m.hashedN/m.ps) + 1
			if m.hashedN == m.size {
				first = m.n + 1
			}
		}
	}
	send := func(w partWork) error {
		select {
		case work <- w:
			return nil
		case <-ctx.Done():
			return retry.Err(ctx)
		}
	}
	for n := 1; n < first; n++ {
		if !m.isDone(n) {
			if err := send(partWork{n: n}); err != nil {
				return "", err
			}
		}
	}
	var stream io.ReadCloser
	if m.ra == nil && first <= m.n {
		var err error
		if stream, err = m.src.Open(ctx, int64(first-1)*m.ps); err != nil {
			return "", err
		}
		defer func() { stream.Close() }()
	}
	buf := make([]byte, 1<<20)
	for n := first; n <= m.n; n++ {
		off, ln := int64(n-1)*m.ps, m.partLen(n)
		var ph hash.Hash
		var w io.Writer = h
		if m.sums {
			ph = sha256.New()
			w = io.MultiWriter(h, ph)
		}
		pw := partWork{n: n}
		if m.ra != nil {
			if _, err := io.CopyBuffer(w, io.NewSectionReader(m.ra, off, ln), buf); err != nil {
				return "", &SourceError{Reason: "The file cannot be read", Err: err}
			}
		} else {
			pw.buf = m.getBuf(ln)
			if _, err := io.ReadFull(stream, pw.buf); err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					err = &SourceError{Reason: "The file ended before its announced size", Err: err}
				}
				return "", err
			}
			w.Write(pw.buf)
		}
		if ph != nil {
			pw.sum = base64.StdEncoding.EncodeToString(ph.Sum(nil))
		}
		if st, err := h.(encoding.BinaryMarshaler).MarshalBinary(); err == nil {
			m.mu.Lock()
			m.hstate, m.hashedN = st, off+ln
			m.mu.Unlock()
		}
		if m.isDone(n) {
			continue
		}
		if err := send(pw); err != nil {
			return "", err
		}
	}
	if stream != nil {
		// The announced size must be the whole stream.
		var one [1]byte
		if k, _ := stream.Read(one[:]); k > 0 {
			return "", &SourceError{Reason: "The file is larger than its announced size", Err: errors.New("stream longer than size")}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// body returns a fresh reader over part n for one attempt.
func (m *multipart) body(ctx context.Context, w *partWork) (io.Reader, error) {
	off, ln := int64(w.n-1)*m.ps, m.partLen(w.n)
	if m.ra != nil {
		return io.NewSectionReader(m.ra, off, ln), nil
	}
	if w.buf == nil {
		// A part before the restored hash state: fetch it with a ranged read.
		rc, err := m.src.Open(ctx, off)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		w.buf = m.getBuf(ln)
		if _, err := io.ReadFull(rc, w.buf); err != nil {
			w.buf = nil
			return nil, &SourceError{Reason: "The file could not be read", Err: err, Transient: true}
		}
	}
	return bytes.NewReader(w.buf), nil
}

// sendPart signs and PUTs one part, retrying through the pacer, and records
// it in the journal.
func (m *multipart) sendPart(ctx context.Context, w partWork) error {
	q := m.q
	ln := m.partLen(w.n)
	if m.sums && w.sum == "" {
		rd, err := m.body(ctx, &w)
		if err != nil {
			return err
		}
		ph := sha256.New()
		if _, err = io.Copy(ph, rd); err != nil {
			return &SourceError{Reason: "The file cannot be read", Err: err}
		}
		w.sum = base64.StdEncoding.EncodeToString(ph.Sum(nil))
	}
	var part api.Part
	err := q.pacer.call(ctx, func() error {
		su, err := m.sign.get(ctx, w.n, w.sum)
		if err != nil {
			return err
		}
		rd, err := m.body(ctx, &w)
		if err != nil {
			return err
		}
		headers := su.headers
		if m.sums && headers["x-amz-checksum-sha256"] == "" {
			headers = cloneHeaders(headers)
			headers["x-amz-checksum-sha256"] = w.sum
		}
		start := time.Now()
		resp, err := q.client.send(ctx, http.MethodPut, su.url, headers, rd, ln, m.j.prog, q.opts.StallTimeout)
		if err != nil {
			q.log.Debug("part attempt failed", "name", m.src.Name(), "part", w.n, "err", err)
			return err
		}
		etag := resp.Header.Get("ETag")
		if etag == "" {
			return errors.New("the storage returned no ETag for a part (is ETag exposed to clients?)")
		}
		q.log.Debug("part stored", "name", m.src.Name(), "part", w.n, "bytes", ln, "dur", time.Since(start))
		part = api.Part{PartNumber: w.n, Size: ln, ETag: etag, ChecksumSHA256: w.sum}
		return nil
	})
	if err != nil {
		return err
	}
	q.emitProgress(m.j)
	m.putBuf(w.buf)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done[w.n] = part
	m.ent.Parts = m.sortedPartsLocked()
	m.ent.HashState, m.ent.HashedBytes = m.hstate, m.hashedN
	if err := q.opts.Journal.save(m.ent); err != nil {
		q.log.Warn("upload journal not written", "err", err)
	}
	return nil
}

func (m *multipart) sortedParts() []api.Part {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sortedPartsLocked()
}

func (m *multipart) sortedPartsLocked() []api.Part {
	out := make([]api.Part, 0, len(m.done))
	for _, p := range m.done {
		out = append(out, p)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].PartNumber < out[b].PartNumber })
	return out
}

func cloneHeaders(h map[string]string) map[string]string {
	out := make(map[string]string, len(h)+1)
	for k, v := range h {
		out[k] = v
	}
	return out
}
