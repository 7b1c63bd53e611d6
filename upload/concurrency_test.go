package upload

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSetConcurrencyAppliesToTheRunningQueue: raising the limit lets the
// files waiting in line start at once, without re-adding them.
func TestSetConcurrencyAppliesToTheRunningQueue(t *testing.T) {
	client, d, _ := startEmbedded(t)
	dir := t.TempDir()
	release := make(chan struct{})
	var srcs []Source
	for i := range 3 {
		p, _ := writeRandomFile(t, dir, fmt.Sprintf("f%d.bin", i), 100, uint64(i))
		s, err := NewLocalFile(p, "")
		require.NoError(t, err)
		srcs = append(srcs, heldSource{s, release})
	}
	var mu sync.Mutex
	uploading := map[JobID]bool{}
	started := make(chan JobID, 3)
	q := NewQueue(client, d, Options{Concurrency: 1, OnEvent: func(e Event) {
		if e.State != Uploading {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !uploading[e.ID] {
			uploading[e.ID] = true
			started <- e.ID
		}
	}})
	defer q.Close()
	ids := q.Add(srcs...)
	require.Equal(t, ids[0], <-started, "one file at a time: the first goes")

	q.SetConcurrency(3)
	got := map[JobID]bool{}
	for range 2 {
		select {
		case id := <-started:
			got[id] = true
		case <-time.After(30 * time.Second):
			t.Fatal("the files in line did not start when the limit was raised")
		}
	}
	assert.Equal(t, map[JobID]bool{ids[1]: true, ids[2]: true}, got)
	close(release)
	q.Wait()
}

// TestLoweringConcurrencyWaitsForRunningFiles: lowering the limit stops no
// running file, and no new one takes a slot until fewer than the new limit
// run.
func TestLoweringConcurrencyWaitsForRunningFiles(t *testing.T) {
	var started []JobID
	tr := newTurns(3, func(j *job) { started = append(started, j.id) })
	jobs := make([]*job, 4)
	for i := range jobs {
		jobs[i] = &job{id: JobID(i + 1)}
		tr.join(jobs[i])
	}
	require.Equal(t, []JobID{1, 2, 3}, started, "three slots, three start")
	tr.setLimit(1)
	tr.give(jobs[0])
	tr.give(jobs[1])
	assert.Equal(t, []JobID{1, 2, 3}, started, "two of three finished, one still runs: the limit of one is taken")
	tr.give(jobs[2])
	assert.Equal(t, []JobID{1, 2, 3, 4}, started, "with none running, the next goes")
}
