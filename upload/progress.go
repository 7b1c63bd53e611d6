package upload

import (
	"errors"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// progress counts one job's bytes (parts may move in parallel) and turns
// them into throttled events with a smoothed speed and an ETA.
type progress struct {
	sent     atomic.Int64
	total    int64
	interval time.Duration
	emit     func(sent int64, speed float64, eta time.Duration)

	mu      sync.Mutex
	last    time.Time
	lastN   int64
	speed   float64 // bytes per second, exponentially smoothed
	pending bool    // a trailing event is scheduled
}

func newProgress(total int64, interval time.Duration, emit func(int64, float64, time.Duration)) *progress {
	return &progress{total: total, interval: interval, emit: emit, last: time.Now()}
}

// add counts n bytes (negative when a failed attempt's bytes are taken back)
// and emits an event when the interval has passed. Bytes counted within an
// interval are reported by a trailing event at its end, so a burst (a body
// read into the socket at once, then accepted slowly) still shows.
func (p *progress) add(n int64) {
	if p == nil {
		return
	}
	sent := p.sent.Add(n)
	p.mu.Lock()
	now := time.Now()
	if n < 0 {
		// Bytes taken back were never stored: the speed they made is no
		// speed, and no time left can be told until bytes move again.
		p.speed, p.lastN = 0, sent
		p.tickLocked(now, sent)
		return
	}
	if dt := now.Sub(p.last); dt < p.interval {
		if !p.pending {
			p.pending = true
			time.AfterFunc(p.interval-dt, p.flush)
		}
		p.mu.Unlock()
		return
	}
	p.tickLocked(now, sent)
}

// flush is the trailing event of an interval in which bytes were counted.
func (p *progress) flush() {
	p.mu.Lock()
	p.pending = false
	sent := p.sent.Load()
	if sent == p.lastN {
		p.mu.Unlock()
		return
	}
	p.tickLocked(time.Now(), sent)
}

// tickLocked updates the smoothed speed, unlocks p.mu and emits.
func (p *progress) tickLocked(now time.Time, sent int64) {
	dt := now.Sub(p.last)
	if d := sent - p.lastN; d >= 0 && dt > 0 {
		inst := float64(d) / dt.Seconds()
		// A time constant of about 3 seconds: steady enough to read, quick
		// enough to follow a change of link.
		alpha := 1 - expNeg(dt.Seconds()/3)
		if p.speed == 0 {
			p.speed = inst
		} else {
			p.speed += alpha * (inst - p.speed)
		}
	}
	p.last, p.lastN = now, sent
	speed, eta := p.speed, p.eta(sent)
	p.mu.Unlock()
	p.emit(sent, speed, eta)
}

func (p *progress) eta(sent int64) time.Duration {
	if p.speed <= 0 || p.total <= 0 || sent >= p.total {
		return 0
	}
	return time.Duration(float64(p.total-sent) / p.speed * float64(time.Second)).Round(time.Second)
}

func (p *progress) snapshot() (int64, float64, time.Duration) {
	sent := p.sent.Load()
	p.mu.Lock()
	defer p.mu.Unlock()
	return sent, p.speed, p.eta(sent)
}

func expNeg(x float64) float64 { return math.Exp(-x) }

// countingReader reports every read to a progress and remembers how much it
// counted, so a failed attempt can take its bytes back. After stop it refuses
// to read: net/http may still be reading a request body after Do returned an
// error, and the engine must own its body (and the hash fed from it) again.
type countingReader struct {
	r    io.Reader
	p    *progress
	tick func() // called on every read (stall watchdog), may be nil

	mu      sync.Mutex
	n       int64
	stopped bool
}

func (c *countingReader) Read(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return 0, errBodyStopped
	}
	n, err := c.r.Read(b)
	if n > 0 {
		c.n += int64(n)
		c.p.add(int64(n))
		if c.tick != nil {
			c.tick()
		}
	}
	return n, err
}

// stop waits for a read in progress, refuses later ones and returns the
// bytes counted.
func (c *countingReader) stop() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	return c.n
}

var errBodyStopped = errors.New("request body read after the request ended")
