package backend

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ferry-app/ferry/internal/atomicfile"
)

// ownerRecord remembers who started a multipart upload, so its uploadId and
// key are usable by that user only, and what they declared.
type ownerRecord struct {
	User    string    `json:"user"`
	Key     string    `json:"key"`
	Size    int64     `json:"size"` // -1 when not declared
	Type    string    `json:"type"`
	Created time.Time `json:"created"`
}

// recordTTL drops records of uploads nobody finished; storage should expire
// the parts too (an S3 lifecycle rule for incomplete multipart uploads).
const recordTTL = 7 * 24 * time.Hour

// ownerStore is an in-memory map persisted, when dir is set, to
// dir/uploads.json on every change (written to a temp file and renamed) so a
// restart keeps in-flight uploads resumable.
type ownerStore struct {
	mu   sync.Mutex
	file string
	m    map[string]ownerRecord
}

func openOwnerStore(dir string) (*ownerStore, error) {
	o := &ownerStore{m: map[string]ownerRecord{}}
	if dir == "" {
		return o, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("backend state dir: %w", err)
	}
	o.file = filepath.Join(dir, "uploads.json")
	data, err := os.ReadFile(o.file)
	if errors.Is(err, os.ErrNotExist) {
		return o, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backend state: %w", err)
	}
	if err := json.Unmarshal(data, &o.m); err != nil {
		return nil, fmt.Errorf("backend state %s: %w", o.file, err)
	}
	if o.m == nil {
		o.m = map[string]ownerRecord{}
	}
	now := time.Now()
	for id, r := range o.m {
		if now.Sub(r.Created) > recordTTL {
			delete(o.m, id)
		}
	}
	return o, nil
}

func (o *ownerStore) get(id string) (ownerRecord, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, ok := o.m[id]
	return r, ok
}

func (o *ownerStore) put(id string, r ownerRecord) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, dup := o.m[id]; dup {
		return fmt.Errorf("upload id %q issued twice", id)
	}
	o.m[id] = r
	return o.saveLocked()
}

func (o *ownerStore) remove(id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.m, id)
	return o.saveLocked()
}

func (o *ownerStore) flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.saveLocked()
}

func (o *ownerStore) saveLocked() error {
	if o.file == "" {
		return nil
	}
	data, err := json.Marshal(o.m)
	if err != nil {
		return err
	}
	return atomicfile.Write(o.file, data, 0o600)
}
