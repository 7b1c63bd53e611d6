package upload

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/appdirs"
	"github.com/ferry-app/ferry/internal/atomicfile"
)

// Journal records every unfinished upload on disk so that, after a crash or
// a reboot, the same source resumes where it stopped: one small JSON file per
// upload, each replaced atomically (write, sync, rename) after every finished
// part. A file is journalled the moment it is queued (an entry without a
// Protocol: nothing stored yet), so a file that was still waiting for its
// turn is offered after a crash too. A nil *Journal records nothing.
//
// An entry holds no secret: upload IDs and keys are only usable with the
// user's own bearer, and presigned URLs are never written.
type Journal struct {
	dir string
}

// DefaultJournalDir is where Ferry keeps its journal: the user data dir.
func DefaultJournalDir() string { return filepath.Join(appdirs.DataDir(), "uploads") }

// OpenJournal opens (creating) a journal in dir.
func OpenJournal(dir string) (*Journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload journal: %w", err)
	}
	return &Journal{dir: dir}, nil
}

// JournalEntry is one unfinished upload.
type JournalEntry struct {
	Version int `json:"version"`
	// Backend names the backend the upload belongs to (its base URL, or
	// Options.BackendID).
	Backend string `json:"backend"`
	// Origin names the source ("local:/abs/path", "gdrive:me@example.com:ID")
	// and Identity its content version (path, size, mtime; or provider,
	// account, file ID, revision): a changed source restarts, never mixes.
	Origin   string `json:"origin"`
	Identity string `json:"identity"`
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	Type     string `json:"type"`
	// Protocol is api.ProtocolS3 or api.ProtocolTus once the transfer
	// started; "" while the file is queued and nothing is stored.
	Protocol string `json:"protocol,omitempty"`

	// S3 multipart.
	Key      string `json:"key,omitempty"`
	UploadID string `json:"upload_id,omitempty"`
	// UploadToken is the backend's upload token for Key/UploadID (not a
	// credential without the user's sign-in).
	UploadToken string     `json:"upload_token,omitempty"`
	PartSize    int64      `json:"part_size,omitempty"`
	Parts       []api.Part `json:"parts,omitempty"` // finished, with ETags
	// Checksums says the parts were signed with x-amz-checksum-sha256.
	Checksums bool `json:"checksums,omitempty"`

	// tus: the upload's URL (not a credential by itself: the server's auth
	// applies) and the offset acknowledged last.
	TusURL    string `json:"tus_url,omitempty"`
	TusOffset int64  `json:"tus_offset,omitempty"`

	// HashState is the SHA-256 state after the first HashedBytes bytes, so a
	// resumed upload reports the whole file's hash without reading it again.
	HashState   []byte `json:"hash_state,omitempty"`
	HashedBytes int64  `json:"hashed_bytes,omitempty"`

	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

const journalVersion = 1

// LocalPath returns the file path of a local source's entry, or "".
func (e JournalEntry) LocalPath() string {
	if p, ok := strings.CutPrefix(e.Origin, "local:"); ok {
		return p
	}
	return ""
}

// Source rebuilds the source of a local file's entry, to offer resuming it
// after a crash; cloud entries need their provider (match Origin with
// ProviderFile.Origin). A file that changed since yields a source whose
// upload starts over, never one mixed with the stored parts.
func (e JournalEntry) Source() (Source, error) {
	p := e.LocalPath()
	if p == "" {
		return nil, fmt.Errorf("%s is not a local file", e.Name)
	}
	return NewLocalFile(p, e.Name)
}

func (j *Journal) file(backend, origin string) string {
	h := sha256.Sum256([]byte(backend + "\x00" + origin))
	return filepath.Join(j.dir, hex.EncodeToString(h[:16])+".json")
}

// Pending lists the unfinished uploads, oldest first.
func (j *Journal) Pending() ([]JournalEntry, error) {
	if j == nil {
		return nil, nil
	}
	names, err := filepath.Glob(filepath.Join(j.dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []JournalEntry
	for _, n := range names {
		e, err := readEntry(n)
		if err != nil {
			continue // a foreign or damaged file is not an upload to resume
		}
		out = append(out, *e)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Created.Before(out[b].Created) })
	return out, nil
}

func readEntry(name string) (*JournalEntry, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var e JournalEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	if e.Version != journalVersion || e.Origin == "" {
		return nil, errors.New("not a journal entry")
	}
	return &e, nil
}

// load returns the entry for a source on a backend, or nil.
func (j *Journal) load(backend, origin string) *JournalEntry {
	if j == nil {
		return nil
	}
	e, err := readEntry(j.file(backend, origin))
	if err != nil || e.Backend != backend || e.Origin != origin {
		return nil
	}
	return e
}

// save replaces the entry atomically: a crash leaves the old or the new
// version, never a torn one.
func (j *Journal) save(e *JournalEntry) error {
	if j == nil {
		return nil
	}
	if err := j.write(e, true); err != nil {
		return err
	}
	j.syncDir()
	return nil
}

// queued journals files as they are queued: an entry for each source on
// backend that has none yet (an existing one may hold an upload to resume).
// The entries are not synced one by one, as a folder of thousands would
// take long; the folder is synced once. A crash of Ferry loses none of
// them (the kernel has the data); a power cut may lose the last seconds'.
func (j *Journal) queued(backend string, srcs []Source) error {
	if j == nil {
		return nil
	}
	var first error
	for _, s := range srcs {
		if _, err := os.Stat(j.file(backend, s.Origin())); err == nil {
			continue
		}
		if err := j.write(queuedEntry(backend, s, time.Time{}), false); err != nil && first == nil {
			first = err
		}
	}
	j.syncDir()
	return first
}

// requeue turns a source's entry back into a queued one (its stored upload
// is gone or stale), keeping its place: the file is never out of the
// journal between the old upload's end and the new one's start.
func (j *Journal) requeue(backend string, s Source) error {
	if j == nil {
		return nil
	}
	var created time.Time
	if e := j.load(backend, s.Origin()); e != nil {
		created = e.Created
	}
	return j.save(queuedEntry(backend, s, created))
}

func queuedEntry(backend string, s Source, created time.Time) *JournalEntry {
	return &JournalEntry{Backend: backend, Origin: s.Origin(), Identity: s.Identity(), Name: s.Name(),
		Size: s.Size(), Type: s.ContentType(), Created: created}
}

// write replaces e's file by writing a temporary file and renaming it.
func (j *Journal) write(e *JournalEntry, sync bool) error {
	if j == nil {
		return nil
	}
	e.Version = journalVersion
	e.Updated = time.Now().UTC()
	if e.Created.IsZero() {
		e.Created = e.Updated
	}
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	name := j.file(e.Backend, e.Origin)
	write := atomicfile.Write
	if !sync {
		write = atomicfile.WriteUnsynced
	}
	if err := write(name, data, 0o600); err != nil {
		return fmt.Errorf("upload journal: %w", err)
	}
	return nil
}

// syncDir makes the renames of unsynced writes durable, once for a batch.
func (j *Journal) syncDir() { _ = atomicfile.SyncDir(j.dir) }

// Forget removes an entry (the upload finished, was cancelled or restarted).
func (j *Journal) Forget(backend, origin string) error {
	if j == nil {
		return nil
	}
	err := os.Remove(j.file(backend, origin))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// ref names the entry's multipart upload for the backend client.
func (e *JournalEntry) ref() MultipartRef {
	return MultipartRef{Key: e.Key, UploadID: e.UploadID, Token: e.UploadToken}
}
