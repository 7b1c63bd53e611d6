package upload

import (
	"cmp"
	"slices"
	"sync"
)

// turns hands out the queue's upload slots in the order files were added
// (by job ID), so the files a person queued go in that order and a resumed
// batch keeps the order it was first queued in.
//
// Only a job that holds a slot has a goroutine: a file waiting for its turn
// (or paused before it had one) is an entry in a slice, so a folder of
// 20 000 files costs 20 000 small structs, not 20 000 goroutine stacks all
// woken whenever a slot frees.
type turns struct {
	mu      sync.Mutex
	limit   int    // slots in all
	free    int    // slots not taken; below zero after the limit was lowered
	waiting []*job // sorted by ID; neither paused nor ended nor owned
	closed  bool   // the queue closed: nothing starts any more
	start   func(*job)
}

func newTurns(n int, start func(*job)) *turns { return &turns{limit: n, free: n, start: start} }

// setLimit changes how many slots there are. Raising it lets the next in
// line go at once; lowering it stops nobody: running files finish, and no
// new one starts until fewer than n run.
func (t *turns) setLimit(n int) {
	t.mu.Lock()
	t.free += n - t.limit
	t.limit = n
	t.dispatchLocked()
	t.mu.Unlock()
}

// join puts j in line by its ID and starts whoever is first while slots are
// free. It reports false when the queue closed: j is the caller's to end.
func (t *turns) join(j *job) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || j.owned {
		return !t.closed
	}
	i, found := t.find(j)
	if !found {
		t.waiting = slices.Insert(t.waiting, i, j)
	}
	t.dispatchLocked()
	return true
}

// dispatchLocked gives free slots to the first in line, each started on
// its own goroutine with the slot.
func (t *turns) dispatchLocked() {
	for t.free > 0 && len(t.waiting) > 0 && !t.closed {
		j := t.waiting[0]
		t.waiting = t.waiting[1:]
		t.free--
		j.owned = true
		t.start(j)
	}
}

// give returns the slot of j, which is ending: j stays owned by its
// goroutine, so that neither Cancel nor Close ends it a second time.
func (t *turns) give(j *job) {
	t.mu.Lock()
	t.free++
	t.dispatchLocked()
	t.mu.Unlock()
}

// claim takes j out of line when no goroutine runs it, and reports whether
// it did: the caller then owns j (to end it).
func (t *turns) claim(j *job) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if j.owned {
		return false
	}
	j.owned = true
	t.removeLocked(j)
	return true
}

// leave takes j out of line (it was paused while waiting); it reports
// whether j was waiting.
func (t *turns) leave(j *job) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.removeLocked(j)
}

func (t *turns) removeLocked(j *job) bool {
	i, found := t.find(j)
	if found {
		t.waiting = slices.Delete(t.waiting, i, i+1)
	}
	return found
}

// close stops all starting and returns every job no goroutine owns (they
// are the caller's to end).
func (t *turns) close(all []*job) []*job {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	t.waiting = nil
	var out []*job
	for _, j := range all {
		if !j.owned {
			j.owned = true
			out = append(out, j)
		}
	}
	return out
}

// after returns up to n waiting jobs after j that keep, in line order.
func (t *turns) after(j *job, n int, keep func(*job) bool) []*job {
	t.mu.Lock()
	defer t.mu.Unlock()
	i, _ := t.find(j)
	var out []*job
	for _, o := range t.waiting[i:] {
		if len(out) >= n {
			break
		}
		if o.id > j.id && keep(o) {
			out = append(out, o)
		}
	}
	return out
}

// find is where j is, or would be, in the line (sorted by ID).
func (t *turns) find(j *job) (int, bool) {
	return slices.BinarySearchFunc(t.waiting, j.id, func(w *job, id JobID) int { return cmp.Compare(w.id, id) })
}
