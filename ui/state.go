package ui

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ferry-app/ferry/internal/atomicfile"
)

// windowState is how the person left the window, kept across restarts:
// its size, where the dividers were, list or grid, and the last folder of
// each source. Nothing in it is secret, but folder names are private, so
// the file is the person's alone (0600).
type windowState struct {
	Width  float32 `json:"width,omitempty"`
	Height float32 `json:"height,omitempty"`
	// The dividers' offsets (0–1): sidebar | rest, files | preview,
	// files over the expanded upload queue.
	SidebarSplit float64 `json:"sidebar_split,omitempty"`
	PreviewSplit float64 `json:"preview_split,omitempty"`
	QueueSplit   float64 `json:"queue_split,omitempty"`
	Grid         bool    `json:"grid,omitempty"`
	// Folders is the last folder browsed in each source, by source
	// ("local", or "remote:account"): a path on this computer, a folder ID
	// in a cloud drive.
	Folders map[string]string `json:"folders,omitempty"`
}

// stateFileName is the window state's file in Deps.StateDir.
const stateFileName = "window.json"

// stateStore reads and writes the window state. Writes happen off the UI
// goroutine; a write never replaces a newer one.
type stateStore struct {
	path string // "": nothing is kept

	mu      sync.Mutex
	written uint64 // the newest snapshot written
	seq     uint64 // the newest snapshot taken (UI goroutine)
}

// load reads the state; a missing or unreadable file is a fresh start
// (the window works as on first run, and says why in the log).
func (s *stateStore) load() (windowState, error) {
	var st windowState
	if s.path == "" {
		return st, nil
	}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return windowState{}, err
	}
	return st, nil
}

// save writes st atomically with mode 0600, unless a newer snapshot was
// written already.
func (s *stateStore) save(st windowState, seq uint64) error {
	if s.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq < s.written {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	if err := atomicfile.Write(s.path, append(b, '\n'), 0o600); err != nil {
		return err
	}
	s.written = seq
	return nil
}

// stateKey names a source in the state file: "local" or "remote:account".
func stateKey(src *source) string { return strings.ReplaceAll(src.Key, "\x00", ":") }

// clampOffset keeps a remembered divider where both sides stay usable; 0
// (not remembered) gives def.
func clampOffset(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return min(max(v, 0.1), 0.9)
}
