package upload

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ferry-app/ferry/internal/appdirs"
)

// History keeps the finished uploads across restarts, so a person can find
// what Ferry stored after the window was closed: one JSON line per file in
// a private file in the user data dir. It holds what a Result holds (name,
// size, hash, key, location without any query, source) and nothing secret.
// A nil *History records nothing. It is safe for concurrent use.
type History struct {
	path string
	mu   sync.Mutex
}

// HistoryEntry is one finished upload.
type HistoryEntry struct {
	Result
	Finished time.Time `json:"finished"`
}

// maxHistory bounds the file: older entries are dropped when it is read
// back past twice this many lines.
const maxHistory = 5000

// DefaultHistoryPath is where Ferry keeps its history: the user data dir.
func DefaultHistoryPath() string { return filepath.Join(appdirs.DataDir(), "history.jsonl") }

// OpenHistory opens (creating its folder) the history file at path.
func OpenHistory(path string) (*History, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("upload history: %w", err)
	}
	return &History{path: path}, nil
}

// Add records a finished upload. The location is stored without its query
// (a presigned URL's signature never reaches the file).
func (h *History) Add(r Result) error {
	if h == nil {
		return nil
	}
	r.Location = RedactURL(r.Location)
	line, err := json.Marshal(HistoryEntry{Result: r, Finished: time.Now().UTC()})
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	f, err := os.OpenFile(h.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("upload history: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("upload history: %w", err)
	}
	return nil
}

// List returns the finished uploads, newest first, at most maxHistory. A
// damaged line (a crash in the middle of a write) is skipped.
func (h *History) List() ([]HistoryEntry, error) {
	if h == nil {
		return nil, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	f, err := os.Open(h.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("upload history: %w", err)
	}
	defer f.Close()
	var out []HistoryEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e HistoryEntry
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Name != "" {
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("upload history: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if len(out) > maxHistory {
		out = out[:maxHistory]
	}
	return out, nil
}

// Clear forgets every entry.
func (h *History) Clear() error {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := os.Remove(h.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("upload history: %w", err)
	}
	return nil
}
