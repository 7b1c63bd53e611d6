package upload

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestBigFolderWaitsWithoutAGoroutinePerFile queues 5 000 files: only
// the files being uploaded have a goroutine (before, every waiting file
// had one, all woken whenever a slot freed: a 20 000-file folder took
// minutes to get going and hundreds of MB). Cancelling all ends every file
// exactly once, and the counts add up.
func TestBigFolderWaitsWithoutAGoroutinePerFile(t *testing.T) {
	const n = 5000
	dir := t.TempDir()
	srcs := make([]Source, n)
	for i := range srcs {
		p := filepath.Join(dir, fmt.Sprintf("f%05d.txt", i))
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := NewLocalFile(p, "")
		if err != nil {
			t.Fatal(err)
		}
		srcs[i] = s
	}
	client, d, _ := startEmbedded(t)
	var events collector
	finals := make(chan Event, n)
	events.on = func(e Event) {
		if e.State.Final() {
			finals <- e
		}
	}
	q := NewQueue(client, d, Options{Concurrency: 2, OnEvent: events.add})
	defer q.Close()
	before := runtime.NumGoroutine()
	q.PauseAll() // nothing yet: a no-op
	ids := q.Add(srcs...)
	if got := runtime.NumGoroutine() - before; got > 200 {
		t.Fatalf("%d goroutines for %d queued files, want a handful (the running uploads)", got, n)
	}
	q.CancelAll()
	q.Wait()
	close(finals)
	count := map[JobID]int{}
	var done, cancelled int
	for e := range finals {
		count[e.ID]++
		switch e.State {
		case Done:
			done++
		case Cancelled:
			cancelled++
		default:
			t.Errorf("%s ended %s: %v", e.Name, e.State, e.Err)
		}
	}
	for _, id := range ids {
		if count[id] != 1 {
			t.Fatalf("job %d ended %d times, want once", id, count[id])
		}
	}
	if done+cancelled != n || cancelled == 0 {
		t.Fatalf("%d done + %d cancelled, want %d in all with some cancelled", done, cancelled, n)
	}
}
