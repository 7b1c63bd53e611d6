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

func (q *Queue) uploadTus(ctx context.Context, j *job) (*Result, error) {
	src, c := j.src, q.client
	size := src.Size()
	if size < 0 {
		return nil, &SourceError{Reason: "The file's size is unknown", Err: errors.New("tus upload needs a known size")}
	}
	ep, err := c.tusEndpoint(q.disc)
	if err != nil {
		return nil, err
	}
	backend := q.backendID()
	h := sha256.New()
	var hashed int64 // bytes fed into h
	var uploadURL string
	var offset int64 = -1 // unknown: ask the server

	if e := q.opts.Journal.load(backend, src.Origin()); e != nil {
		if e.Protocol == api.ProtocolTus && e.Identity == src.Identity() && e.Size == size && e.TusURL != "" {
			uploadURL = e.TusURL
			if len(e.HashState) > 0 && h.(encoding.BinaryUnmarshaler).UnmarshalBinary(e.HashState) == nil {
				hashed = e.HashedBytes
			} else {
				h.Reset()
			}
		} else if e.Protocol != "" {
			if e.TusURL != "" {
				_, _ = c.tusRequest(ctx, http.MethodDelete, e.TusURL, nil)
			}
			_ = q.opts.Journal.requeue(backend, src)
		}
	}
	if uploadURL != "" {
		err := q.pacer.call(ctx, func() error {
			resp, err := c.tusRequest(ctx, http.MethodHead, uploadURL, map[string]string{"Cache-Control": "no-store"})
			if err != nil {
				return err
			}
			offset, err = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
			if err != nil || offset < 0 || offset > size {
				return fmt.Errorf("tus server answered an unusable Upload-Offset")
			}
			return nil
		})
		var ae *api.Error
		if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusGone || ae.Status == http.StatusForbidden) {
			uploadURL, hashed = "", 0
			h.Reset()
			_ = q.opts.Journal.requeue(backend, src)
		} else if err != nil {
			return nil, err
		}
	}
	if uploadURL == "" {
		err := q.pacer.call(ctx, func() error {
			resp, err := c.tusRequest(ctx, http.MethodPost, ep.String(), map[string]string{
				"Upload-Length":   strconv.FormatInt(size, 10),
				"Upload-Metadata": tusMetadata("filename", src.Name(), "filetype", src.ContentType()),
			})
			if err != nil {
				return err
			}
			loc, err := ep.Parse(resp.Header.Get("Location"))
			if err != nil || resp.Header.Get("Location") == "" {
				return fmt.Errorf("tus server answered creation without a Location")
			}
			uploadURL, offset = loc.String(), 0
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	ent := &JournalEntry{Backend: backend, Origin: src.Origin(), Identity: src.Identity(), Name: src.Name(),
		Size: size, Type: src.ContentType(), Protocol: api.ProtocolTus, TusURL: uploadURL}
	if e := q.opts.Journal.load(backend, src.Origin()); e != nil {
		ent.Created = e.Created // keeps its place among the unfinished
	}
	j.setCleanup(func(ctx context.Context) {
		if _, err := c.tusRequest(ctx, http.MethodDelete, uploadURL, nil); err != nil {
			q.log.Warn("terminating a cancelled tus upload failed", "name", src.Name(), "err", err)
		}
		_ = q.opts.Journal.Forget(backend, src.Origin())
	})

	// catchUp hashes source bytes [hashed, to) that the server already has.
	catchUp := func(to int64) error {
		if to < hashed {
			h.Reset() // the server holds less than we hashed: start the hash over
			hashed = 0
		}
		if to == hashed {
			return nil
		}
		rc, err := src.Open(ctx, hashed)
		if err != nil {
			return err
		}
		defer rc.Close()
		if _, err := io.CopyN(h, rc, to-hashed); err != nil {
			return &SourceError{Reason: "The file cannot be read", Err: err, Transient: true}
		}
		hashed = to
		return nil
	}
	j.prog.sent.Store(max(offset, 0))
	chunk := q.opts.PartSize
	for offset < size || size == 0 && offset < 0 {
		var snap []byte
		err := q.pacer.call(ctx, func() error {
			if offset < 0 {
				resp, err := c.tusRequest(ctx, http.MethodHead, uploadURL, map[string]string{"Cache-Control": "no-store"})
				if err != nil {
					return err
				}
				if offset, err = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64); err != nil || offset < 0 || offset > size {
					offset = -1
					return fmt.Errorf("tus server answered an unusable Upload-Offset")
				}
				j.prog.sent.Store(offset)
			}
			if err := catchUp(offset); err != nil {
				return err
			}
			if offset == size {
				return nil
			}
			snap, _ = h.(encoding.BinaryMarshaler).MarshalBinary()
			n := min(chunk, size-offset)
			rc, err := src.Open(ctx, offset)
			if err != nil {
				return err
			}
			defer rc.Close()
			headers := map[string]string{"Tus-Resumable": tusVersion, "Upload-Offset": strconv.FormatInt(offset, 10),
				"Content-Type": "application/offset+octet-stream"}
			req := http.Header{}
			if err := c.authorizeTus(ctx, mustParse(uploadURL), req); err != nil {
				return err
			}
			if a := req.Get("Authorization"); a != "" {
				headers["Authorization"] = a
			}
			resp, err := c.send(ctx, http.MethodPatch, uploadURL, headers, io.TeeReader(io.LimitReader(rc, n), h), n, j.prog, q.opts.StallTimeout)
			if err != nil {
				restoreHash(h, snap)
				hashed = offset
				offset = -1 // ask the server what it kept
				var ae *api.Error
				if errors.As(err, &ae) && ae.Status == http.StatusConflict {
					return fmt.Errorf("%w: %w", errTusOffset, err)
				}
				return err
			}
			hashed = offset + n
			got, perr := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
			if perr != nil || got != offset+n {
				offset = -1
				return errTusOffset
			}
			offset = got
			return nil
		})
		if err != nil {
			return nil, err
		}
		ent.TusOffset = offset
		if st, err := h.(encoding.BinaryMarshaler).MarshalBinary(); err == nil {
			ent.HashState, ent.HashedBytes = st, hashed
		}
		if offset < size {
			if err := q.opts.Journal.save(ent); err != nil {
				q.log.Warn("upload journal not written", "err", err)
			}
		}
		if size == 0 {
			break
		}
	}
	_ = q.opts.Journal.Forget(backend, src.Origin())
	return &Result{Name: src.Name(), Size: size, Type: src.ContentType(), SHA256: hex.EncodeToString(h.Sum(nil)),
		Key: path.Base(mustParse(uploadURL).Path), Location: RedactURL(uploadURL), Source: src.Origin()}, nil
}

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
