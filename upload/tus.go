package upload

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/origin"
)

// tus 1.0 client: creation (POST), upload (PATCH in chunks), resume (HEAD for
// the server's offset) and termination (DELETE on Cancel). The whole file's
// SHA-256 follows the offset the server confirmed: its state is saved before
// each chunk and restored when a chunk fails, and any bytes the server kept
// from a failed chunk are hashed from the source before going on.

const tusVersion = "1.0.0"

// errTusOffset asks the pacer to retry after the server reported a different
// offset (409): the next attempt asks the server where it is.
var errTusOffset = errors.New("tus: offset mismatch")

func (c *Client) tusEndpoint(d *api.Discovery) (*url.URL, error) {
	ep := d.Upload.TusEndpoint
	if ep == "" {
		ep = "/files/"
	}
	u, err := c.base.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("discovery announces an unusable tus endpoint")
	}
	if !origin.Private(u) {
		return nil, fmt.Errorf("discovery announces a plain http tus endpoint on the network; it must use https")
	}
	return u, nil
}

// tusRequest makes a bodiless tus request. The bearer goes only to the
// backend's own origin.
func (c *Client) tusRequest(ctx context.Context, method, target string, headers map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Tus-Resumable", tusVersion)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if err := c.authorizeTus(ctx, req.URL, req.Header); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, redactURLError(err)
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, decodeError(resp, data)
	}
	return resp, nil
}

func (c *Client) authorizeTus(ctx context.Context, u *url.URL, h http.Header) error {
	if c.token == nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return nil
	}
	tok, err := c.token(ctx)
	if err != nil {
		return err
	}
	h.Set("Authorization", "Bearer "+tok)
	return nil
}

func tusMetadata(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+" "+base64.StdEncoding.EncodeToString([]byte(kv[i+1])))
	}
	return strings.Join(parts, ",")
}

// tusUpload is one tus upload in flight: where the server keeps it, the
// offset the server confirmed, and the whole file's SHA-256 over the bytes
// up to there.
type tusUpload struct {
	q       *Queue
	j       *job
	c       *Client
	src     Source
	size    int64
	ep      *url.URL // the creation endpoint
	backend string   // the journal's name for the backend

	url    string    // the upload's URL; "" until it exists
	offset int64     // bytes the server holds; -1: unknown, ask it (HEAD)
	h      hash.Hash // SHA-256 of the source's first hashed bytes
	hashed int64
	ent    *JournalEntry
}

// uploadTus sends src with tus, resuming a journaled upload of the same
// unchanged source.
func (q *Queue) uploadTus(ctx context.Context, j *job) (*Result, error) {
	size := j.src.Size()
	if size < 0 {
		return nil, &SourceError{Reason: "The file's size is unknown", Err: errors.New("tus upload needs a known size")}
	}
	ep, err := q.client.tusEndpoint(q.disc)
	if err != nil {
		return nil, err
	}
	t := &tusUpload{q: q, j: j, c: q.client, src: j.src, size: size, ep: ep, backend: q.backendID(), offset: -1, h: sha256.New()}
	t.loadJournal(ctx)
	if err := t.resumeOrCreate(ctx); err != nil {
		return nil, err
	}
	t.ent = &JournalEntry{Backend: t.backend, Origin: t.src.Origin(), Identity: t.src.Identity(), Name: t.src.Name(),
		Size: size, Type: t.src.ContentType(), Protocol: api.ProtocolTus, TusURL: t.url}
	if e := q.opts.Journal.load(t.backend, t.src.Origin()); e != nil {
		t.ent.Created = e.Created // keeps its place among the unfinished
	}
	j.setCleanup(t.terminate)
	j.prog.sent.Store(max(t.offset, 0))
	if err := t.run(ctx); err != nil {
		return nil, err
	}
	t.forget()
	return &Result{Name: t.src.Name(), Size: size, Type: t.src.ContentType(), SHA256: hex.EncodeToString(t.h.Sum(nil)),
		Key: path.Base(mustParse(t.url).Path), Location: RedactURL(t.url), Source: PlaceOf(t.src)}, nil
}

// loadJournal picks up the journaled upload of the same unchanged source
// (its URL and hash state); a stale one is terminated and the file goes
// back to queued in the journal, so a crash now still leaves it offered.
func (t *tusUpload) loadJournal(ctx context.Context) {
	e := t.q.opts.Journal.load(t.backend, t.src.Origin())
	if e == nil {
		return
	}
	if e.Protocol == "" {
		return // queued, never started: the entry stays until the file is done
	}
	if e.Protocol != api.ProtocolTus || e.Identity != t.src.Identity() || e.Size != t.size || e.TusURL == "" {
		if e.TusURL != "" {
			_, _ = t.c.tusRequest(ctx, http.MethodDelete, e.TusURL, nil)
		}
		t.requeue()
		return
	}
	t.url = e.TusURL
	if len(e.HashState) > 0 && t.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(e.HashState) == nil {
		t.hashed = e.HashedBytes
	} else {
		t.h.Reset()
	}
}

// resumeOrCreate asks the server how much of a resumed upload it holds, and
// creates the upload when there is none (or the server no longer has it).
func (t *tusUpload) resumeOrCreate(ctx context.Context) error {
	if t.url != "" {
		err := t.q.pacer.call(ctx, func() error { return t.head(ctx) })
		var ae *api.Error
		if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusGone || ae.Status == http.StatusForbidden) {
			t.url, t.hashed = "", 0
			t.h.Reset()
			t.requeue()
		} else if err != nil {
			return err
		}
	}
	if t.url == "" {
		return t.q.pacer.call(ctx, func() error { return t.create(ctx) })
	}
	return nil
}

// create makes the upload on the server (POST) at offset 0.
func (t *tusUpload) create(ctx context.Context) error {
	resp, err := t.c.tusRequest(ctx, http.MethodPost, t.ep.String(), map[string]string{
		"Upload-Length":   strconv.FormatInt(t.size, 10),
		"Upload-Metadata": tusMetadata("filename", t.src.Name(), "filetype", t.src.ContentType()),
	})
	if err != nil {
		return err
	}
	loc, err := t.ep.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return fmt.Errorf("tus server answered creation without a Location")
	}
	t.url, t.offset = loc.String(), 0
	return nil
}

// head asks the server for the offset it holds.
func (t *tusUpload) head(ctx context.Context) error {
	resp, err := t.c.tusRequest(ctx, http.MethodHead, t.url, map[string]string{"Cache-Control": "no-store"})
	if err != nil {
		return err
	}
	off, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || off < 0 || off > t.size {
		t.offset = -1
		return fmt.Errorf("tus server answered an unusable Upload-Offset")
	}
	t.offset = off
	t.j.prog.sent.Store(off)
	return nil
}

// run sends the file chunk by chunk, journaling the offset and hash state
// after each so that a restart resumes where the server is.
func (t *tusUpload) run(ctx context.Context) error {
	for t.offset < t.size || t.size == 0 && t.offset < 0 {
		if err := t.q.pacer.call(ctx, func() error { return t.sendChunk(ctx) }); err != nil {
			return err
		}
		t.checkpoint()
		if t.size == 0 {
			return nil
		}
	}
	return nil
}

// sendChunk PATCHes the next chunk from the offset the server holds (asking
// it first when unknown). A failed chunk rolls the hash back and leaves the
// offset unknown, so the next attempt asks what the server kept.
func (t *tusUpload) sendChunk(ctx context.Context) error {
	if t.offset < 0 {
		if err := t.head(ctx); err != nil {
			return err
		}
	}
	if err := t.catchUp(ctx, t.offset); err != nil {
		return err
	}
	if t.offset == t.size {
		return nil
	}
	snap, _ := t.h.(encoding.BinaryMarshaler).MarshalBinary()
	n := min(t.q.opts.PartSize, t.size-t.offset)
	rc, err := t.src.Open(ctx, t.offset)
	if err != nil {
		return err
	}
	defer rc.Close()
	headers, err := t.patchHeaders(ctx)
	if err != nil {
		return err
	}
	resp, err := t.c.send(ctx, http.MethodPatch, t.url, headers, io.TeeReader(io.LimitReader(rc, n), t.h), n, t.j.prog, t.q.opts.StallTimeout)
	if err != nil {
		restoreHash(t.h, snap)
		t.hashed, t.offset = t.offset, -1
		var ae *api.Error
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			return fmt.Errorf("%w: %w", errTusOffset, err)
		}
		return err
	}
	t.hashed = t.offset + n
	got, perr := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if perr != nil || got != t.offset+n {
		t.offset = -1
		return errTusOffset
	}
	t.offset = got
	return nil
}

func (t *tusUpload) patchHeaders(ctx context.Context) (map[string]string, error) {
	headers := map[string]string{"Tus-Resumable": tusVersion, "Upload-Offset": strconv.FormatInt(t.offset, 10),
		"Content-Type": "application/offset+octet-stream"}
	auth := http.Header{}
	if err := t.c.authorizeTus(ctx, mustParse(t.url), auth); err != nil {
		return nil, err
	}
	if a := auth.Get("Authorization"); a != "" {
		headers["Authorization"] = a
	}
	return headers, nil
}

// catchUp hashes the source bytes [hashed, to) that the server already has.
func (t *tusUpload) catchUp(ctx context.Context, to int64) error {
	if to < t.hashed {
		t.h.Reset() // the server holds less than we hashed: start the hash over
		t.hashed = 0
	}
	if to == t.hashed {
		return nil
	}
	rc, err := t.src.Open(ctx, t.hashed)
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.CopyN(t.h, rc, to-t.hashed); err != nil {
		return &SourceError{Reason: "The file cannot be read", Err: err, Transient: true}
	}
	t.hashed = to
	return nil
}

// checkpoint journals the confirmed offset and hash state of an unfinished
// upload.
func (t *tusUpload) checkpoint() {
	t.ent.TusOffset = t.offset
	if st, err := t.h.(encoding.BinaryMarshaler).MarshalBinary(); err == nil {
		t.ent.HashState, t.ent.HashedBytes = st, t.hashed
	}
	if t.offset < t.size {
		if err := t.q.opts.Journal.save(t.ent); err != nil {
			t.q.log.Warn("upload journal not written", "err", err)
		}
	}
}

// terminate deletes a cancelled upload on the server (tus termination).
func (t *tusUpload) terminate(ctx context.Context) {
	if _, err := t.c.tusRequest(ctx, http.MethodDelete, t.url, nil); err != nil {
		t.q.log.Warn("terminating a cancelled tus upload failed", "name", t.src.Name(), "err", err)
	}
	t.forget()
}

func (t *tusUpload) forget() { _ = t.q.opts.Journal.Forget(t.backend, t.src.Origin()) }

// requeue turns the file's journal entry back into a queued one.
func (t *tusUpload) requeue() { _ = t.q.opts.Journal.requeue(t.backend, t.src) }

func restoreHash(h hash.Hash, snap []byte) {
	if snap != nil {
		_ = h.(encoding.BinaryUnmarshaler).UnmarshalBinary(snap)
	}
}

func mustParse(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		return &url.URL{}
	}
	return u
}
