package backend

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ferry-app/ferry/backend/api"
)

// Directories inside the local data dir that no key can name (keys never
// have a segment starting with '.').
const (
	localTmpDir       = ".tmp"
	localMultipartDir = ".multipart"
)

// localDriver stores objects under a directory and hands out URLs to the
// backend's own PUT /storage/{key} handler, signed with HMAC-SHA256 under a
// random per-process key. The signature binds method, key, content length
// and content type (single PUT) or upload ID and part number (parts), and
// the expiry; the handler re-checks all of them, like S3 checks a SigV4
// presigned URL.
type localDriver struct {
	dir    string
	root   *os.Root // every file access goes through it: nothing escapes dir
	secret []byte
	base   func() string
	now    func() time.Time
	mu     sync.Mutex // serialises part bookkeeping per upload
	// ttl is how long a multipart upload may sit without a new part before
	// sweep removes it; lastSweep is guarded by mu.
	ttl       time.Duration
	lastSweep time.Time
	// bodyTimeout is [limits] body_timeout (0: the server's ReadTimeout only).
	bodyTimeout time.Duration
	// personal: the storage is the person's own folder (the built-in
	// backend), so its errors name the folder and are theirs to fix.
	personal bool
}

// fileURL is the file:// URL of a stored object, for the built-in backend
// whose storage is the person's own folder: it stays valid after Ferry
// quits, unlike a URL on the backend's random port.
func (d *localDriver) fileURL(key string) string {
	p := filepath.ToSlash(filepath.Join(d.dir, filepath.FromSlash(key)))
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// location is where a stored object is reported: its file on this
// computer for the built-in backend, "" otherwise (the upload URL is).
func (d *localDriver) location(key string) string {
	if !d.personal {
		return ""
	}
	return d.fileURL(key)
}

// storageFault turns a write error the storage will keep giving (no
// permission, a read-only or full disk) into an answer that says so, so
// the client fails the file at once instead of retrying for minutes.
// Other errors are returned as they are.
func (d *localDriver) storageFault(err error) error {
	var code, why string
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		code, why = api.CodeStorageFull, "the disk is full"
	case errors.Is(err, syscall.EROFS):
		code, why = api.CodeStorageUnwritable, "the disk is read-only"
	case errors.Is(err, fs.ErrPermission):
		code, why = api.CodeStorageUnwritable, "permission denied"
	default:
		return err
	}
	where := "the upload service's storage"
	if d.personal {
		where = d.dir
	}
	return &httpError{status: http.StatusInsufficientStorage, code: code, msg: fmt.Sprintf("Cannot write to %s: %s", where, why), local: d.personal}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// DefaultMultipartTTL is how long the local driver keeps a multipart upload
// that receives no part, like an S3 lifecycle rule for incomplete uploads.
const DefaultMultipartTTL = 24 * time.Hour

func newLocalDriver(dir string, ttl time.Duration, base func() string, now func() time.Time) (*localDriver, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local storage: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("local storage: %w", err)
	}
	for _, d := range []string{localTmpDir, localMultipartDir} {
		if err := root.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("local storage: %w", err)
		}
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	if ttl <= 0 {
		ttl = DefaultMultipartTTL
	}
	d := &localDriver{dir: dir, root: root, secret: secret, base: base, now: now, ttl: ttl}
	d.mu.Lock()
	d.sweepLocked()
	d.mu.Unlock()
	return d, nil
}

// sweepLocked removes multipart uploads whose directory has not changed
// (no part stored) for ttl: abandoned uploads would otherwise hold their
// parts' disk space forever. Errors are left for the next sweep.
func (d *localDriver) sweepLocked() {
	now := d.now()
	d.lastSweep = now
	ents, err := fs.ReadDir(d.root.FS(), localMultipartDir)
	if err != nil {
		return
	}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !e.IsDir() || now.Sub(info.ModTime()) < d.ttl {
			continue
		}
		_ = d.root.RemoveAll(d.uploadDir(e.Name()))
	}
}

// touch records activity on an upload in its directory's mtime, on the
// driver's clock, which is what sweep measures the TTL against.
func (d *localDriver) touch(id string) {
	now := d.now()
	_ = d.root.Chtimes(d.uploadDir(id), now, now)
}

// maybeSweep sweeps when the last sweep is older than a 24th of the TTL.
func (d *localDriver) maybeSweep() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.now().Sub(d.lastSweep) >= d.ttl/24 {
		d.sweepLocked()
	}
}

// checkKey refuses keys that could leave the data dir or reach its private
// directories. Keys come from objectKey, so this is defence in depth.
func checkKey(key string) error {
	if key == "" || len(key) > 1024 || !filepath.IsLocal(key) || strings.ContainsAny(key, "\\\x00") {
		return errors.New("bad key")
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || strings.HasPrefix(seg, ".") {
			return errors.New("bad key")
		}
	}
	return nil
}

func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func (d *localDriver) sign(fields ...string) string {
	m := hmac.New(sha256.New, d.secret)
	for _, f := range fields {
		// Length-prefix every field so no two field lists collide.
		fmt.Fprintf(m, "%d:%s\n", len(f), f)
	}
	return hex.EncodeToString(m.Sum(nil))
}

func (d *localDriver) putSignature(key, size, typ, expires string) string {
	return d.sign("PUT", "object", key, size, typ, expires)
}

func (d *localDriver) partSignature(key, uploadID, part, checksum, maxLen, expires string) string {
	return d.sign("PUT", "part", key, uploadID, part, checksum, maxLen, expires)
}

func (d *localDriver) storageURL(key string, q url.Values) string {
	u := d.base() + "/storage/" + escapeKey(key)
	if q != nil {
		u += "?" + q.Encode()
	}
	return u
}

func (d *localDriver) PresignPut(_ context.Context, key, contentType string, size int64, _ map[string]string, lifetime time.Duration) (string, map[string]string, error) {
	if err := checkKey(key); err != nil {
		return "", nil, err
	}
	exp := strconv.FormatInt(d.now().Add(lifetime).Unix(), 10)
	sz := strconv.FormatInt(size, 10)
	q := url.Values{"expires": {exp}, "size": {sz}, "type": {contentType}}
	q.Set("sig", d.putSignature(key, sz, contentType, exp))
	return d.storageURL(key, q), map[string]string{"Content-Type": contentType}, nil
}

// multipartMeta is .multipart/<id>/upload.json.
type multipartMeta struct {
	Key       string `json:"key"`
	Type      string `json:"type"`
	Checksums bool   `json:"checksums"`
}

// partMeta is .multipart/<id>/<n>.json; Data names the file holding the bytes.
type partMeta struct {
	Data   string `json:"data"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"`
	SHA256 string `json:"sha256"` // base64
}

func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

func (d *localDriver) uploadDir(id string) string { return localMultipartDir + "/" + id }

func (d *localDriver) readMeta(id string) (*multipartMeta, error) {
	if !validUploadID(id) {
		return nil, errorf(http.StatusNotFound, api.CodeNotFound, "no such upload")
	}
	data, err := d.root.ReadFile(d.uploadDir(id) + "/upload.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errorf(http.StatusNotFound, api.CodeNotFound, "no such upload")
	}
	if err != nil {
		return nil, err
	}
	var m multipartMeta
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

func (d *localDriver) writeJSONFile(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp, err := d.tempFile()
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		d.root.Remove(tmp.Name())
		return err
	}
	if err := d.commit(tmp, name, false); err != nil {
		return goneUpload(err)
	}
	return nil
}

// goneUpload turns a missing multipart directory into the 404 a client of
// an aborted or expired upload gets.
func goneUpload(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errorf(http.StatusNotFound, api.CodeNotFound, "no such upload (aborted or expired)")
	}
	return err
}

func (d *localDriver) CreateMultipart(ctx context.Context, key, contentType string, meta map[string]string, checksums bool) (string, error) {
	id, err := d.createMultipart(key, contentType, checksums)
	return id, d.storageFault(err)
}

func (d *localDriver) createMultipart(key, contentType string, checksums bool) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b)
	d.maybeSweep()
	if err := d.root.Mkdir(d.uploadDir(id), 0o700); err != nil {
		return "", err
	}
	if err := d.writeJSONFile(d.uploadDir(id)+"/upload.json", multipartMeta{Key: key, Type: contentType, Checksums: checksums}); err != nil {
		return "", err
	}
	d.touch(id)
	return id, nil
}

func (d *localDriver) PresignPart(_ context.Context, key, uploadID string, n int, checksum string, maxLen int64, lifetime time.Duration) (string, map[string]string, error) {
	if err := checkKey(key); err != nil {
		return "", nil, err
	}
	exp := strconv.FormatInt(d.now().Add(lifetime).Unix(), 10)
	pn := strconv.Itoa(n)
	ml := strconv.FormatInt(maxLen, 10)
	q := url.Values{"expires": {exp}, "uploadId": {uploadID}, "partNumber": {pn}, "max": {ml}}
	var headers map[string]string
	if checksum != "" {
		q.Set("checksum", checksum)
		headers = map[string]string{"x-amz-checksum-sha256": checksum}
	}
	q.Set("sig", d.partSignature(key, uploadID, pn, checksum, ml, exp))
	return d.storageURL(key, q), headers, nil
}

func (d *localDriver) ListParts(_ context.Context, key, uploadID string) ([]api.Part, error) {
	m, err := d.readMeta(uploadID)
	if err != nil {
		return nil, err
	}
	if m.Key != key {
		return nil, errorf(http.StatusNotFound, api.CodeNotFound, "no such upload")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ents, err := fs.ReadDir(d.root.FS(), d.uploadDir(uploadID))
	if err != nil {
		return nil, err
	}
	parts := []api.Part{}
	for _, e := range ents {
		num, ok := strings.CutSuffix(e.Name(), ".json")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			continue
		}
		pm, err := d.readPart(uploadID, n)
		if err != nil {
			return nil, err
		}
		parts = append(parts, api.Part{PartNumber: n, Size: pm.Size, ETag: pm.ETag, ChecksumSHA256: pm.SHA256})
	}
	sortParts(parts)
	return parts, nil
}

func (d *localDriver) readPart(uploadID string, n int) (*partMeta, error) {
	data, err := d.root.ReadFile(fmt.Sprintf("%s/%d.json", d.uploadDir(uploadID), n))
	if err != nil {
		return nil, err
	}
	var pm partMeta
	return &pm, json.Unmarshal(data, &pm)
}

func (d *localDriver) Complete(ctx context.Context, key, uploadID string, parts []api.Part) (string, error) {
	loc, err := d.complete(key, uploadID, parts)
	if err == nil && d.personal {
		loc = d.fileURL(key)
	}
	return loc, d.storageFault(err)
}

func (d *localDriver) complete(key, uploadID string, parts []api.Part) (string, error) {
	m, err := d.readMeta(uploadID)
	if err != nil {
		return "", err
	}
	if m.Key != key {
		return "", errorf(http.StatusNotFound, api.CodeNotFound, "no such upload")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	tmp, err := d.tempFile()
	if err != nil {
		return "", err
	}
	abandon := func(err error) (string, error) {
		tmp.Close()
		d.root.Remove(tmp.Name())
		return "", err
	}
	for _, p := range parts {
		pm, err := d.readPart(uploadID, p.PartNumber)
		if err != nil {
			return abandon(err)
		}
		if pm.ETag != p.ETag {
			return abandon(errorf(http.StatusBadRequest, api.CodeBadRequest, "part %d changed while completing", p.PartNumber))
		}
		f, err := d.root.Open(d.uploadDir(uploadID) + "/" + pm.Data)
		if err != nil {
			return abandon(err)
		}
		_, err = io.Copy(tmp, f)
		f.Close()
		if err != nil {
			return abandon(err)
		}
	}
	if err := d.commit(tmp, key, true); err != nil {
		return "", err
	}
	if err := d.root.RemoveAll(d.uploadDir(uploadID)); err != nil {
		return "", err
	}
	return d.storageURL(key, nil), nil
}

func (d *localDriver) Abort(_ context.Context, key, uploadID string) error {
	m, err := d.readMeta(uploadID)
	if err != nil {
		return err
	}
	if m.Key != key {
		return errorf(http.StatusNotFound, api.CodeNotFound, "no such upload")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.root.RemoveAll(d.uploadDir(uploadID))
}

// tempFile creates a private file in the data dir's .tmp directory, so that
// commit's rename stays on one file system and is atomic.
func (d *localDriver) tempFile() (*os.File, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return d.root.OpenFile(localTmpDir+"/"+hex.EncodeToString(b), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
}

// commit syncs tmp and renames it to name (relative to the data dir),
// creating name's directories when mkdir is set. Multipart files are
// committed without mkdir: an upload aborted (or expired) meanwhile has no
// directory any more, and must not get it back.
func (d *localDriver) commit(tmp *os.File, name string, mkdir bool) error {
	tmpName := localTmpDir + "/" + filepath.Base(tmp.Name())
	err := tmp.Sync()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.root.Chmod(tmpName, 0o600)
	}
	if err == nil && mkdir {
		if dir := filepath.Dir(name); dir != "." {
			err = d.root.MkdirAll(dir, 0o700)
		}
	}
	if err == nil {
		err = d.root.Rename(tmpName, name)
	}
	if err != nil {
		d.root.Remove(tmpName)
	}
	return err
}

// storageError answers a refused storage request. 403s carry the reason the
// way S3 does ("Request has expired" is what clients look for to re-sign).
func storageError(w http.ResponseWriter, status int, code, msg string) {
	writeError(w, status, code, msg)
}

// bodyProgress is how much of an upload body must arrive per body timeout.
const bodyProgress = 64 << 10

// flowingBody reads an upload body and pushes the connection's read
// deadline forward each time another bodyProgress bytes arrived, so a long
// upload at any useful speed is never cut while one that trickles (a
// slow-loris holding a connection and a temp file) is cut after timeout.
type flowingBody struct {
	r       io.Reader
	rc      *http.ResponseController
	timeout time.Duration
	since   int64
}

func (b *flowingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.since += int64(n)
	if b.since >= bodyProgress {
		b.since = 0
		_ = b.rc.SetReadDeadline(time.Now().Add(b.timeout))
	}
	return n, err
}

// handlePut serves PUT /storage/{key...}: a single object or one part.
func (d *localDriver) handlePut(w http.ResponseWriter, r *http.Request) {
	if d.bodyTimeout > 0 {
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(d.bodyTimeout))
		r.Body = readCloser{&flowingBody{r: r.Body, rc: rc, timeout: d.bodyTimeout}, r.Body}
	}
	key := r.PathValue("key")
	q := r.URL.Query()
	if checkKey(key) != nil {
		storageError(w, http.StatusForbidden, api.CodeSignature, "the signature does not match the request")
		return
	}
	exp := q.Get("expires")
	sig := q.Get("sig")
	isPart := q.Has("uploadId")
	var want string
	if isPart {
		want = d.partSignature(key, q.Get("uploadId"), q.Get("partNumber"), q.Get("checksum"), q.Get("max"), exp)
	} else {
		want = d.putSignature(key, q.Get("size"), q.Get("type"), exp)
	}
	if len(sig) != len(want) || !hmac.Equal([]byte(sig), []byte(want)) {
		storageError(w, http.StatusForbidden, api.CodeSignature, "the signature does not match the request")
		return
	}
	expUnix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		storageError(w, http.StatusForbidden, api.CodeSignature, "the signature does not match the request")
		return
	}
	now := d.now()
	expires := time.Unix(expUnix, 0)
	if !now.Before(expires) {
		storageError(w, http.StatusForbidden, api.CodeExpired, "Request has expired")
		return
	}
	if expires.Sub(now) > MaxURLLifetime+time.Second {
		storageError(w, http.StatusForbidden, api.CodeExpired, "the URL's lifetime exceeds 15 minutes")
		return
	}
	if isPart {
		d.putPart(w, r, key)
		return
	}
	size, _ := strconv.ParseInt(q.Get("size"), 10, 64)
	if r.ContentLength != size {
		storageError(w, http.StatusForbidden, api.CodeSizeMismatch,
			fmt.Sprintf("Content-Length must be exactly the signed %d bytes", size))
		return
	}
	if r.Header.Get("Content-Type") != q.Get("type") {
		storageError(w, http.StatusForbidden, api.CodeSignature, "Content-Type differs from the signed type")
		return
	}
	etag, _, err := d.receive(r.Body, size, key, false)
	if err != nil {
		d.receiveError(w, err)
		return
	}
	w.Header().Set("ETag", etag)
	w.WriteHeader(http.StatusOK)
}

func (d *localDriver) receiveError(w http.ResponseWriter, err error) {
	var he *httpError
	if errors.As(d.storageFault(err), &he) {
		writeJSON(w, he.status, api.Error{Code: he.code, Message: he.msg, Local: he.local})
		return
	}
	storageError(w, http.StatusInternalServerError, api.CodeInternal, "could not store the upload")
}

// receive streams exactly size bytes of body to a temp file and renames it
// to name (creating its directories for an object, not for a part). It
// returns the quoted hex MD5 ETag and the base64 SHA-256.
func (d *localDriver) receive(body io.Reader, size int64, name string, isPart bool) (string, string, error) {
	return d.receiveRange(body, size, size, name, isPart)
}

// receiveRange is receive for a body of minSize to maxSize bytes; reading
// stops as soon as the body is longer than maxSize.
func (d *localDriver) receiveRange(body io.Reader, minSize, maxSize int64, name string, isPart bool) (string, string, error) {
	tmp, err := d.tempFile()
	if err != nil {
		return "", "", err
	}
	md, sh := md5.New(), sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, md, sh), io.LimitReader(body, maxSize+1))
	switch {
	case err != nil:
	case minSize == maxSize && n != maxSize:
		err = errorf(http.StatusBadRequest, api.CodeSizeMismatch, "body is %d bytes, not the declared %d", n, maxSize)
	case n > maxSize:
		err = errorf(http.StatusBadRequest, api.CodeTooLarge, "EntityTooLarge: the file is larger than the policy's %d bytes", maxSize)
	case n < minSize:
		err = errorf(http.StatusBadRequest, api.CodeTooSmall, "EntityTooSmall: the file is smaller than the policy's %d bytes", minSize)
	}
	if err != nil {
		tmp.Close()
		d.root.Remove(localTmpDir + "/" + filepath.Base(tmp.Name()))
		return "", "", err
	}
	if err := d.commit(tmp, name, !isPart); err != nil {
		if isPart {
			return "", "", goneUpload(err)
		}
		return "", "", err
	}
	return quotedHex(md), base64.StdEncoding.EncodeToString(sh.Sum(nil)), nil
}

func quotedHex(h hash.Hash) string { return `"` + hex.EncodeToString(h.Sum(nil)) + `"` }

func (d *localDriver) putPart(w http.ResponseWriter, r *http.Request, key string) {
	q := r.URL.Query()
	id := q.Get("uploadId")
	n, err := strconv.Atoi(q.Get("partNumber"))
	if err != nil || n < 1 || n > 10000 {
		storageError(w, http.StatusBadRequest, api.CodeBadRequest, "bad part number")
		return
	}
	m, err := d.readMeta(id)
	if err != nil {
		d.receiveError(w, err)
		return
	}
	if m.Key != key {
		storageError(w, http.StatusForbidden, api.CodeSignature, "the signature does not match the request")
		return
	}
	if r.ContentLength < 0 {
		storageError(w, http.StatusLengthRequired, api.CodeSizeMismatch, "Content-Length is required")
		return
	}
	maxLen, err := strconv.ParseInt(q.Get("max"), 10, 64)
	if err != nil || maxLen > maxPartSize {
		maxLen = maxPartSize
	}
	if r.ContentLength > maxLen {
		storageError(w, http.StatusRequestEntityTooLarge, api.CodeTooLarge,
			fmt.Sprintf("this part may be at most %d bytes: the upload was declared smaller", maxLen))
		return
	}
	want := q.Get("checksum")
	if want != "" && r.Header.Get("x-amz-checksum-sha256") != want {
		storageError(w, http.StatusForbidden, api.CodeSignature, "x-amz-checksum-sha256 differs from the signed checksum")
		return
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		d.receiveError(w, err)
		return
	}
	data := fmt.Sprintf("%d-%s.data", n, hex.EncodeToString(b))
	etag, sum, err := d.receive(r.Body, r.ContentLength, d.uploadDir(id)+"/"+data, true)
	if err != nil {
		d.receiveError(w, err)
		return
	}
	if want != "" && sum != want {
		d.root.Remove(d.uploadDir(id) + "/" + data)
		storageError(w, http.StatusBadRequest, api.CodeBadRequest, "the part's SHA-256 differs from x-amz-checksum-sha256")
		return
	}
	d.mu.Lock()
	old, _ := d.readPart(id, n)
	err = d.writeJSONFile(fmt.Sprintf("%s/%d.json", d.uploadDir(id), n), partMeta{Data: data, Size: r.ContentLength, ETag: etag, SHA256: sum})
	if err == nil && old != nil && old.Data != data {
		d.root.Remove(d.uploadDir(id) + "/" + old.Data)
	}
	if err == nil {
		d.touch(id)
	}
	d.mu.Unlock()
	if err != nil {
		// The upload may have been aborted or completed meanwhile.
		d.root.Remove(d.uploadDir(id) + "/" + data)
		d.receiveError(w, err)
		return
	}
	w.Header().Set("ETag", etag)
	if m.Checksums {
		w.Header().Set("x-amz-checksum-sha256", sum)
	}
	w.WriteHeader(http.StatusOK)
}
