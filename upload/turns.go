package upload

import (
	"slices"
	"sync"
)

// turns hands out the queue's upload slots in the order files were added
// (by job ID), so the files a person queued go in that order and a resumed
// batch keeps the order it was first queued in. A channel semaphore would
// serve waiting goroutines in no particular order.
type turns struct {
	mu      sync.Mutex
	limit   int           // slots in all
	free    int           // slots not taken; below zero after the limit was lowered
	waiting []*job        // sorted by ID
	changed chan struct{} // closed and replaced when a slot or the line changes
}

func newTurns(n int) *turns { return &turns{limit: n, free: n, changed: make(chan struct{})} }

// setLimit changes how many slots there are. Raising it lets the next in
// line go at once; lowering it stops nobody: running files finish, and no
// new one starts until fewer than n run.
func (t *turns) setLimit(n int) {
	t.mu.Lock()
	t.free += n - t.limit
	t.limit = n
	t.signalLocked()
	t.mu.Unlock()
}

// join puts j in line by its ID. Queue.Add calls it as it adds, in order,
// before j's goroutine runs: goroutines start in no particular order.
func (t *turns) join(j *job) {
	t.mu.Lock()
	t.joinLocked(j)
	t.mu.Unlock()
}

func (t *turns) joinLocked(j *job) {
	i, found := slices.BinarySearchFunc(t.waiting, j.id, func(w *job, id JobID) int { return int(w.id - id) })
	if !found {
		t.waiting = slices.Insert(t.waiting, i, j)
	}
}

// take waits until j is first in line and a slot is free, and takes it.
// It returns false, without a slot, when j ends or is woken (paused or
// cancelled) while waiting; j then leaves the line (take puts it back).
func (t *turns) take(j *job) bool {
	t.mu.Lock()
	t.joinLocked(j)
	for {
		if t.free > 0 && t.waiting[0] == j {
			t.free--
			t.waiting = t.waiting[1:]
			t.signalLocked() // the next in line may take a slot too
			t.mu.Unlock()
			return true
		}
		ch := t.changed
		t.mu.Unlock()
		select {
		case <-ch:
			t.mu.Lock()
		case <-j.wake:
			t.leave(j)
			return false
		case <-j.ctx.Done():
			t.leave(j)
			return false
		}
	}
}

// give returns a slot.
func (t *turns) give() {
	t.mu.Lock()
	t.free++
	t.signalLocked()
	t.mu.Unlock()
}

func (t *turns) leave(j *job) {
	t.mu.Lock()
	if i := slices.Index(t.waiting, j); i >= 0 {
		t.waiting = slices.Delete(t.waiting, i, i+1)
		t.signalLocked()
	}
	t.mu.Unlock()
}

func (t *turns) signalLocked() {
	close(t.changed)
	t.changed = make(chan struct{})
}
