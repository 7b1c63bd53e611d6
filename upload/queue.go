package upload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferry-app/ferry/backend/api"
)

// State is where a job stands.
type State int

const (
	Queued State = iota
	Uploading
	Done
	Failed
	Cancelled
)

func (s State) String() string {
	return [...]string{"queued", "uploading", "done", "failed", "cancelled"}[s]
}

// Final reports whether the state is terminal.
func (s State) Final() bool { return s == Done || s == Failed || s == Cancelled }

// JobID identifies a job within one queue.
type JobID int64

// Result describes a finished upload. Its JSON form is what `ferry upload
// --json` prints, one object per line.
type Result struct {
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	Type     string `json:"type"`
	SHA256   string `json:"sha256"`
	Key      string `json:"key"`
	Location string `json:"location"`
	Source   string `json:"source"`
}

// Event is a progress or state report for one job. Events for a job arrive in
// order; Sent never decreases except when a retry restarts the file.
type Event struct {
	ID          JobID
	Name        string
	State       State
	Sent, Total int64
	BytesPerSec float64       // smoothed
	ETA         time.Duration // 0 when unknown
	Err         error         // set when State is Failed
	Result      *Result       // set when State is Done
}

// Options configure a queue.
type Options struct {
	// Concurrency is how many files upload at once (default 4).
	Concurrency int
	// OnEvent receives every event, from the queue's goroutines. It must not block.
	OnEvent func(Event)
	// ProgressInterval is the minimum time between progress events of a job (default 100ms).
	ProgressInterval time.Duration
}

// Queue uploads sources through a backend with bounded concurrency.
type Queue struct {
	client *Client
	disc   *api.Discovery
	opts   Options

	ctx    context.Context
	cancel context.CancelFunc
	slots  chan struct{}
	wg     sync.WaitGroup
	nextID atomic.Int64

	mu   sync.Mutex
	jobs map[JobID]*job
}

type job struct {
	id     JobID
	src    Source
	cancel context.CancelFunc
	state  State
}

// NewQueue returns a queue that uploads through client under the rules of
// the discovery document d. Close stops it.
func NewQueue(client *Client, d *api.Discovery, opts Options) *Queue {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = 100 * time.Millisecond
	}
	if opts.OnEvent == nil {
		opts.OnEvent = func(Event) {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Queue{client: client, disc: d, opts: opts, ctx: ctx, cancel: cancel,
		slots: make(chan struct{}, opts.Concurrency), jobs: map[JobID]*job{}}
}

// Add queues sources and returns their job IDs in order.
func (q *Queue) Add(srcs ...Source) []JobID {
	ids := make([]JobID, 0, len(srcs))
	for _, s := range srcs {
		id := JobID(q.nextID.Add(1))
		ctx, cancel := context.WithCancel(q.ctx)
		j := &job{id: id, src: s, cancel: cancel, state: Queued}
		q.mu.Lock()
		q.jobs[id] = j
		q.mu.Unlock()
		ids = append(ids, id)
		q.emit(Event{ID: id, Name: s.Name(), State: Queued, Total: s.Size()})
		q.wg.Add(1)
		go q.run(ctx, j)
	}
	return ids
}

// Cancel stops one job; a job already finished is left as it is.
func (q *Queue) Cancel(id JobID) {
	q.mu.Lock()
	j := q.jobs[id]
	q.mu.Unlock()
	if j != nil {
		j.cancel()
	}
}

// Wait blocks until every job added so far has reached a final state.
func (q *Queue) Wait() { q.wg.Wait() }

// Close cancels every unfinished job and waits for the workers to stop.
func (q *Queue) Close() {
	q.cancel()
	q.wg.Wait()
}

func (q *Queue) emit(e Event) {
	q.mu.Lock()
	if j := q.jobs[e.ID]; j != nil {
		j.state = e.State
	}
	q.mu.Unlock()
	q.opts.OnEvent(e)
}

func (q *Queue) run(ctx context.Context, j *job) {
	defer q.wg.Done()
	defer j.cancel()
	select {
	case q.slots <- struct{}{}:
	case <-ctx.Done():
		q.emit(Event{ID: j.id, Name: j.src.Name(), State: Cancelled, Total: j.src.Size(), Err: ctx.Err()})
		return
	}
	defer func() { <-q.slots }()

	res, err := q.uploadSingle(ctx, j)
	switch {
	case err == nil:
		q.emit(Event{ID: j.id, Name: j.src.Name(), State: Done, Sent: res.Size, Total: res.Size, Result: res})
	case errors.Is(err, context.Canceled):
		q.emit(Event{ID: j.id, Name: j.src.Name(), State: Cancelled, Total: j.src.Size(), Err: err})
	default:
		q.emit(Event{ID: j.id, Name: j.src.Name(), State: Failed, Total: j.src.Size(), Err: err})
	}
}

// uploadSingle sends the whole file with one presigned PUT, hashing it with
// SHA-256 as it is read (no second pass over the data).
func (q *Queue) uploadSingle(ctx context.Context, j *job) (*Result, error) {
	src := j.src
	size := src.Size()
	if size < 0 {
		return nil, &SourceError{Reason: "The file's size is unknown", Err: errors.New("single PUT needs a known size")}
	}
	ctype := src.ContentType()
	params, err := q.client.Params(ctx, src.Name(), ctype, size, nil)
	if err != nil {
		return nil, err
	}
	rc, err := src.Open(ctx, 0)
	if err != nil {
		return nil, err
	}
	defer rc.Close()

	h := sha256.New()
	pr := &progressReader{r: io.TeeReader(rc, h), total: size, q: q, j: j, interval: q.opts.ProgressInterval, start: time.Now()}
	req, err := http.NewRequestWithContext(ctx, params.Method, params.URL, pr)
	if err != nil {
		return nil, fmt.Errorf("backend returned an unusable upload URL")
	}
	req.ContentLength = size
	if size == 0 {
		req.Body = http.NoBody
	}
	for k, v := range params.Headers {
		req.Header.Set(k, v)
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", ctype)
	}
	q.emit(Event{ID: j.id, Name: src.Name(), State: Uploading, Total: size})
	resp, err := q.client.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, redactURLError(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode/100 != 2 {
		return nil, decodeError(resp, data)
	}
	if pr.n != size {
		return nil, &SourceError{Reason: "The file changed while it was uploading", Err: fmt.Errorf("read %d of %d bytes", pr.n, size)}
	}
	return &Result{
		Name:     src.Name(),
		Size:     size,
		Type:     ctype,
		SHA256:   hex.EncodeToString(h.Sum(nil)),
		Key:      params.Key,
		Location: RedactURL(params.URL),
		Source:   src.Origin(),
	}, nil
}

// progressReader counts bytes and emits throttled progress events with a
// smoothed speed.
type progressReader struct {
	r        io.Reader
	n, total int64
	q        *Queue
	j        *job
	interval time.Duration
	start    time.Time
	last     time.Time
	lastN    int64
	speed    float64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	now := time.Now()
	if now.Sub(p.last) >= p.interval || err == io.EOF {
		if !p.last.IsZero() {
			inst := float64(p.n-p.lastN) / now.Sub(p.last).Seconds()
			if p.speed == 0 {
				p.speed = inst
			} else {
				p.speed = 0.7*p.speed + 0.3*inst
			}
		}
		p.last, p.lastN = now, p.n
		var eta time.Duration
		if p.speed > 0 && p.total > p.n {
			eta = time.Duration(float64(p.total-p.n) / p.speed * float64(time.Second))
		}
		p.q.emit(Event{ID: p.j.id, Name: p.j.src.Name(), State: Uploading, Sent: p.n, Total: p.total, BytesPerSec: p.speed, ETA: eta})
	}
	return n, err
}
