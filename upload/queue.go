package upload

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"slices"
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
	// Paused jobs keep their multipart upload and journal entry; Resume
	// continues with the parts still missing.
	Paused
)

func (s State) String() string {
	switch s {
	case Queued:
		return "queued"
	case Uploading:
		return "uploading"
	case Done:
		return "done"
	case Failed:
		return "failed"
	case Cancelled:
		return "cancelled"
	case Paused:
		return "paused"
	}
	return "unknown"
}

// Final reports whether the state is terminal.
func (s State) Final() bool { return s == Done || s == Failed || s == Cancelled }

// JobID identifies a job within one queue.
type JobID int64

// Result describes a finished upload. Its JSON form is the file object
// `ferry upload --json` prints one per line and `ferry pick --json` as an
// array.
type Result struct {
	Name     string `json:"name"` // the name it was uploaded under (a relative path for a folder's files)
	Size     int64  `json:"size"`
	Type     string `json:"type"`
	SHA256   string `json:"sha256"`
	Key      string `json:"key"`
	Location string `json:"location"`
	Source   Place  `json:"source"`
}

// Event is a progress or state report for one job. Events for a job arrive in
// order; Sent never decreases except when a failed attempt's bytes are taken
// back before they are sent again.
type Event struct {
	ID          JobID
	Name        string
	State       State
	Sent, Total int64
	BytesPerSec float64       // smoothed over a few seconds
	ETA         time.Duration // 0 when unknown
	Err         error         // set when State is Failed (and Cancelled by Close)
	Result      *Result       // set when State is Done
}

// ErrClosed ends the jobs a Close interrupted. Their multipart uploads and
// journal entries are kept, so adding the same file again resumes it.
var ErrClosed = errors.New("upload stopped; it resumes when the same file is uploaded again")

// errPaused is the cause an attempt is cancelled with by Pause.
var errPaused = errors.New("paused")

// Options configure a queue.
type Options struct {
	// Concurrency is how many files upload at once (default 4).
	Concurrency int
	// PartConcurrency is how many parts of one file upload at once (default 4).
	PartConcurrency int
	// PartSize is the smallest multipart part size (default 16 MiB, at
	// least 5 MiB). A local file's parts grow to a sixteenth of the file, up
	// to 64 MiB; a streamed cloud file's parts are at most 8 MiB, since they
	// are held in memory. Any file's parts grow to fit in 10 000.
	PartSize int64
	// OnEvent receives every event, from the queue's goroutines. It must not
	// block; events of one job are delivered one at a time, in order.
	OnEvent func(Event)
	// ProgressInterval is the minimum time between progress events of a job (default 100ms).
	ProgressInterval time.Duration
	// Journal records unfinished multipart and tus uploads so they resume
	// after a crash; nil records nothing.
	Journal *Journal
	// BackendID names the backend in the journal (default: the client's
	// base URL). Give a stable name when the URL changes between runs, as
	// the embedded backend's port does.
	BackendID string
	// Restrictions are the admin configuration's limits, applied on top of
	// (never loosening) the backend's discovery document.
	Restrictions Restrictions
	// StallTimeout abandons (and retries) a transfer whose body has not moved
	// for this long (default 60s).
	StallTimeout time.Duration
	// Logger receives diagnostics; never a token or a presigned URL.
	Logger *slog.Logger
}

// Queue uploads sources through a backend with bounded concurrency.
type Queue struct {
	client *Client
	disc   *api.Discovery
	opts   Options
	rules  Restrictions
	pacer  *pacer
	log    *slog.Logger
	batch  *paramsBatcher // nil unless the backend announces batch signing

	ctx    context.Context
	cancel context.CancelCauseFunc
	turns  *turns
	wg     sync.WaitGroup
	// adding is read-held by each Add: Close waits for an Add in progress,
	// so every file it was given is journalled before Close returns (and
	// the process may exit) even when a big folder was still being queued.
	adding sync.RWMutex
	puts   inFlight // single PUTs under way: Close lets them finish
	nextID atomic.Int64

	mu   sync.Mutex
	jobs map[JobID]*job
}

type job struct {
	id     JobID
	src    Source
	ctx    context.Context         // the job's lifetime
	cancel context.CancelCauseFunc // ends it: context.Canceled (Cancel) or ErrClosed (Close)
	prog   *progress
	reject error // a restriction refused the file before any byte was sent

	mu      sync.Mutex
	state   State
	paused  bool
	attempt context.CancelCauseFunc // the running attempt, nil when none
	cleanup func(context.Context)   // aborts the upload on the backend (Cancel)

	owned bool // a goroutine runs the job or it is being ended (turns.mu)

	emitMu sync.Mutex // serialises OnEvent calls of this job
}

func (j *job) setCleanup(f func(context.Context)) {
	j.mu.Lock()
	j.cleanup = f
	j.mu.Unlock()
}

// NewQueue returns a queue that uploads through client under the rules of
// the discovery document d. Close stops it.
func NewQueue(client *Client, d *api.Discovery, opts Options) *Queue {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.PartConcurrency <= 0 {
		opts.PartConcurrency = 4
	}
	if opts.PartSize <= 0 {
		opts.PartSize = defaultPartSize
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = 100 * time.Millisecond
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = defaultStall
	}
	if opts.OnEvent == nil {
		opts.OnEvent = func(Event) {}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if d == nil {
		d = &api.Discovery{Version: api.Version, Upload: api.UploadInfo{Protocol: api.ProtocolS3}}
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	q := &Queue{client: client, disc: d, opts: opts, pacer: defaultPacer(), log: opts.Logger,
		rules: RestrictionsFrom(d.Upload).Merge(opts.Restrictions),
		ctx:   ctx, cancel: cancel, jobs: map[JobID]*job{}}
	q.turns = newTurns(opts.Concurrency, func(j *job) { go q.run(j) })
	if d.Upload.ParamsBatch > 1 {
		q.batch = newParamsBatcher(q, d.Upload.ParamsBatch)
	}
	return q
}

// Add queues sources and returns their job IDs in order. Restrictions (size,
// type, count, total size, duplicates) are checked here, before any byte is
// sent: a refused source gets a Failed event whose Err says why (Reason).
func (q *Queue) Add(srcs ...Source) []JobID {
	q.adding.RLock()
	defer q.adding.RUnlock()
	q.mu.Lock()
	var active []Source
	for _, j := range q.jobs {
		if !j.currentState().Final() {
			active = append(active, j.src)
		}
	}
	q.mu.Unlock()
	verdicts := q.rules.Check(srcs, active)
	ids := make([]JobID, 0, len(srcs))
	// A chunk at a time: its files are journalled, then queued, so a crash
	// from then on leaves each of them to resume, and the first files of a
	// big folder start while the later ones are still being journalled.
	const chunk = 256
	for lo := 0; lo < len(srcs); lo += chunk {
		hi := min(lo+chunk, len(srcs))
		q.journalQueued(srcs[lo:hi], verdicts[lo:hi])
		for i := lo; i < hi; i++ {
			ids = append(ids, q.add(srcs[i], verdicts[i]))
		}
	}
	return ids
}

// journalQueued journals the sources that passed the restrictions.
func (q *Queue) journalQueued(srcs []Source, verdicts []error) {
	if q.opts.Journal == nil {
		return
	}
	var accepted []Source
	for i, s := range srcs {
		if verdicts[i] == nil {
			accepted = append(accepted, s)
		}
	}
	if err := q.opts.Journal.queued(q.backendID(), accepted); err != nil {
		q.log.Warn("upload journal not written; queued files cannot resume after a crash", "err", err)
	}
}

// add creates the job for one source and puts it in line (or ends it at
// once when a restriction refused it).
func (q *Queue) add(s Source, reject error) JobID {
	id := JobID(q.nextID.Add(1))
	ctx, cancel := context.WithCancelCause(q.ctx)
	j := &job{id: id, src: s, ctx: ctx, cancel: cancel, state: Queued, reject: reject}
	j.prog = newProgress(s.Size(), q.opts.ProgressInterval, func(int64, float64, time.Duration) { q.emitProgress(j) })
	q.wg.Add(1)
	q.emit(j, Event{State: Queued}) // before Cancel can see it, so it is the first event
	q.mu.Lock()
	q.jobs[id] = j
	q.mu.Unlock()
	if j.reject != nil {
		j.owned = true // never in line: ended here
		q.emit(j, Event{State: Failed, Err: j.reject})
		q.done(j)
		return id
	}
	if !q.turns.join(j) { // in the order added
		j.cancel(ErrClosed) // the queue closed meanwhile: kept to resume
		q.finish(j, nil, nil)
	}
	return id
}

// done releases what an ended job holds; the queue forgets it (Pause,
// Resume and Cancel of an ended job did nothing anyway), so a folder of
// 20 000 files does not keep 20 000 jobs once they are uploaded.
func (q *Queue) done(j *job) {
	j.cancel(nil)
	q.mu.Lock()
	delete(q.jobs, j.id)
	q.mu.Unlock()
	q.wg.Done()
}

// finish ends a job the caller owns and has no slot for.
func (q *Queue) finish(j *job, res *Result, err error) {
	q.end(j, res, err)
	q.done(j)
}

// SetConcurrency changes how many files upload at once (n < 1 counts as
// 1), for the files in line now and later. Lowering it pauses no running
// file: the line waits until fewer than n run.
func (q *Queue) SetConcurrency(n int) {
	q.turns.setLimit(max(n, 1))
}

// Cancel stops one job and discards what it stored (the multipart upload is
// aborted on the backend, its journal entry removed). A finished job is left
// as it is.
func (q *Queue) Cancel(id JobID) {
	if j := q.job(id); j != nil {
		q.cancelJobs([]*job{j})
	}
}

// CancelAll cancels every unfinished job.
func (q *Queue) CancelAll() { q.cancelJobs(q.all()) }

// cancelJobs cancels jobs: a running one ends on its goroutine, the ones
// waiting (or paused) without one are ended on a new goroutine, in order.
func (q *Queue) cancelJobs(jobs []*job) {
	var idle []*job
	for _, j := range jobs {
		if j.currentState().Final() {
			continue
		}
		j.cancel(context.Canceled)
		if q.turns.claim(j) {
			idle = append(idle, j)
		}
	}
	if len(idle) == 0 {
		return
	}
	slices.SortFunc(idle, func(a, b *job) int { return cmp.Compare(a.id, b.id) })
	go func() {
		for _, j := range idle {
			q.finish(j, nil, nil)
		}
	}()
}

// Pause stops a job's transfer, keeping what it stored; Resume continues it.
func (q *Queue) Pause(id JobID) {
	if j := q.job(id); j != nil {
		q.pause(j)
	}
}

// Resume continues a paused job.
func (q *Queue) Resume(id JobID) {
	if j := q.job(id); j != nil {
		q.resume(j)
	}
}

// PauseAll pauses every unfinished job.
func (q *Queue) PauseAll() {
	for _, j := range q.all() {
		q.pause(j)
	}
}

// ResumeAll resumes every paused job.
func (q *Queue) ResumeAll() {
	for _, j := range q.all() {
		q.resume(j)
	}
}

// pause marks j paused: a running transfer stops (its goroutine parks the
// job and gives up the slot); a waiting job leaves the line.
func (q *Queue) pause(j *job) {
	j.mu.Lock()
	if j.state.Final() || j.paused {
		j.mu.Unlock()
		return
	}
	j.paused = true
	if j.attempt != nil {
		j.attempt(errPaused)
	}
	j.mu.Unlock()
	if q.turns.leave(j) {
		q.emit(j, Event{State: Paused, Sent: j.prog.sent.Load()})
	}
}

// resume puts a paused job back in line (a running one that has not parked
// yet just carries on).
func (q *Queue) resume(j *job) {
	j.mu.Lock()
	if !j.paused || j.ctx.Err() != nil {
		j.mu.Unlock()
		return
	}
	j.paused = false
	parked := j.state == Paused
	j.mu.Unlock()
	if parked {
		q.emit(j, Event{State: Queued, Sent: j.prog.sent.Load()})
		q.turns.join(j)
	}
}

func (q *Queue) backendID() string {
	if q.opts.BackendID != "" {
		return q.opts.BackendID
	}
	return q.client.BaseURL()
}

func (q *Queue) job(id JobID) *job {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.jobs[id]
}

func (q *Queue) all() []*job {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]*job, 0, len(q.jobs))
	for _, j := range q.jobs {
		out = append(out, j)
	}
	return out
}

// Wait blocks until every job added so far has reached a final state. A
// paused job is not final: resume or cancel it.
func (q *Queue) Wait() { q.wg.Wait() }

// Close stops every unfinished job and waits for the workers to stop. Unlike
// Cancel it keeps journaled uploads, so they resume next time. Nothing starts
// once Close is called; single PUTs under way get closeGrace to finish (one
// that reached the storage but whose answer was cut off would be stored
// twice when resumed, where a multipart or tus upload resumes in place),
// then everything is stopped.
func (q *Queue) Close() {
	for _, j := range q.turns.close(q.all()) {
		if !j.currentState().Final() {
			j.cancel(ErrClosed)
			q.finish(j, nil, nil)
		}
	}
	select {
	case <-q.puts.none():
	case <-time.After(closeGrace):
	}
	q.cancel(ErrClosed)
	q.adding.Lock() // an Add in progress journals and ends the rest of its files
	defer q.adding.Unlock()
	q.wg.Wait()
}

// closeGrace is how long Close lets single PUTs under way finish.
const closeGrace = time.Second

// inFlight counts transfers under way and says when there are none.
type inFlight struct {
	mu    sync.Mutex
	n     int
	empty chan struct{} // while n > 0: closed when n returns to 0
}

func (f *inFlight) add(d int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 && d > 0 {
		f.empty = make(chan struct{}) // open while any is under way
	}
	f.n += d
	if f.n == 0 && f.empty != nil {
		close(f.empty)
		f.empty = nil
	}
}

// none is closed once no transfer is under way (at the time of the call or later).
func (f *inFlight) none() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.empty == nil {
		done := make(chan struct{})
		close(done)
		return done
	}
	return f.empty
}

func (j *job) currentState() State {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state
}

// emit fills in the job's identity and delivers e, one event at a time per job.
func (q *Queue) emit(j *job, e Event) {
	j.emitMu.Lock()
	defer j.emitMu.Unlock()
	e.ID, e.Name = j.id, j.src.Name()
	if e.Total == 0 {
		e.Total = j.src.Size()
	}
	j.mu.Lock()
	j.state = e.State
	j.mu.Unlock()
	q.opts.OnEvent(e)
}

// emitProgress reports the job's current bytes while it is uploading.
func (q *Queue) emitProgress(j *job) {
	j.emitMu.Lock()
	defer j.emitMu.Unlock()
	j.mu.Lock()
	st := j.state
	j.mu.Unlock()
	if st != Uploading {
		return
	}
	sent, speed, eta := j.prog.snapshot()
	q.opts.OnEvent(Event{ID: j.id, Name: j.src.Name(), State: Uploading, Sent: sent, Total: j.src.Size(), BytesPerSec: speed, ETA: eta})
}

// run drives one job that holds a slot until it is final or parked
// (paused: it gives the slot back and its goroutine ends; resume puts it in
// line again).
func (q *Queue) run(j *job) {
	for {
		if j.ctx.Err() != nil {
			q.turns.give(j)
			q.finish(j, nil, nil)
			return
		}
		j.mu.Lock()
		if j.paused {
			j.mu.Unlock()
			if q.park(j) {
				return
			}
			continue
		}
		actx, stop := context.WithCancelCause(j.ctx)
		j.attempt = stop
		j.mu.Unlock()
		q.emit(j, Event{State: Uploading, Sent: j.prog.sent.Load()})
		res, err := q.transfer(actx, j)
		paused := errors.Is(context.Cause(actx), errPaused)
		j.mu.Lock()
		j.attempt = nil
		j.mu.Unlock()
		stop(nil)
		if err != nil && paused && j.ctx.Err() == nil {
			continue
		}
		q.turns.give(j)
		q.finish(j, res, err)
		return
	}
}

// park reports a paused job as Paused and gives up its slot; false when
// it was resumed meanwhile (it keeps the slot and carries on).
func (q *Queue) park(j *job) bool {
	q.emit(j, Event{State: Paused, Sent: j.prog.sent.Load()})
	q.turns.mu.Lock()
	j.mu.Lock()
	stay := j.paused && j.ctx.Err() == nil
	j.mu.Unlock()
	if stay {
		q.turns.free++
		j.owned = false
		q.turns.dispatchLocked()
	}
	q.turns.mu.Unlock()
	if !stay && j.ctx.Err() == nil {
		q.emit(j, Event{State: Queued, Sent: j.prog.sent.Load()})
	}
	return stay
}

// end emits the job's final event; a cancelled job's upload is aborted.
// The journal keeps a job Close interrupted and a failed job's stored
// upload (both resume when the file is added again) and forgets the rest.
func (q *Queue) end(j *job, res *Result, err error) {
	var backend, origin string
	if q.opts.Journal != nil {
		backend, origin = q.backendID(), j.src.Origin()
	}
	switch cause := context.Cause(j.ctx); {
	case err == nil && res != nil:
		_ = q.opts.Journal.Forget(backend, origin)
		q.emit(j, Event{State: Done, Sent: res.Size, Total: res.Size, Result: res})
	case j.ctx.Err() != nil && errors.Is(cause, ErrClosed):
		q.emit(j, Event{State: Cancelled, Sent: j.prog.sent.Load(), Err: ErrClosed})
	case j.ctx.Err() != nil:
		j.mu.Lock()
		cleanup := j.cleanup
		j.mu.Unlock()
		if cleanup != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			cleanup(ctx)
			cancel()
		}
		_ = q.opts.Journal.Forget(backend, origin)
		q.emit(j, Event{State: Cancelled, Sent: j.prog.sent.Load(), Err: context.Canceled})
	default:
		if e := q.opts.Journal.load(backend, origin); e != nil && e.Protocol == "" {
			_ = q.opts.Journal.Forget(backend, origin) // nothing stored to resume
		}
		q.emit(j, Event{State: Failed, Sent: j.prog.sent.Load(), Err: err})
	}
}

// transfer uploads the job's source with the protocol discovery announced.
func (q *Queue) transfer(ctx context.Context, j *job) (*Result, error) {
	if err := q.rules.checkContent(ctx, j.src); err != nil {
		return nil, err
	}
	size := j.src.Size()
	threshold := q.disc.Upload.MultipartThreshold
	if threshold <= 0 {
		threshold = 100 << 20
	}
	switch {
	case q.disc.Upload.Protocol == api.ProtocolTus:
		return q.uploadTus(ctx, j)
	case size < 0 || size >= threshold:
		return q.uploadMultipart(ctx, j)
	default:
		return q.uploadSingle(ctx, j)
	}
}

// params signs j's single PUT: in a batch with the files queued after it
// when the backend announces batch signing, else alone.
func (q *Queue) params(ctx context.Context, j *job) (*api.ParamsResponse, error) {
	if q.batch != nil {
		return q.batch.params(ctx, j)
	}
	return q.client.Params(ctx, j.src.Name(), j.src.ContentType(), j.src.Size(), nil)
}

// uploadSingle sends the whole file with one presigned PUT, hashing it with
// SHA-256 as it is read (no second pass over the data). A retry re-opens the
// source and starts the hash over.
func (q *Queue) uploadSingle(ctx context.Context, j *job) (*Result, error) {
	q.puts.add(1)
	defer q.puts.add(-1)
	src := j.src
	size := src.Size()
	ctype := src.ContentType()
	var params *api.ParamsResponse
	h := sha256.New()
	j.prog.sent.Store(0)
	err := q.pacer.call(ctx, func() error {
		if params == nil {
			p, err := q.params(ctx, j)
			if err != nil {
				return err
			}
			params = p
		}
		rc, err := src.Open(ctx, 0)
		if err != nil {
			return err
		}
		defer rc.Close()
		h.Reset()
		headers := params.Headers
		if headers["Content-Type"] == "" && headers["content-type"] == "" {
			headers = cloneHeaders(headers)
			headers["Content-Type"] = ctype
		}
		_, err = q.client.send(ctx, params.Method, params.URL, headers, io.TeeReader(rc, h), size, j.prog, q.opts.StallTimeout)
		var ae *api.Error
		if errors.As(err, &ae) && ae.Forbidden() {
			params = nil // sign again
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Result{
		Name:     src.Name(),
		Size:     size,
		Type:     ctype,
		SHA256:   hex.EncodeToString(h.Sum(nil)),
		Key:      params.Key,
		Location: cmp.Or(params.Location, RedactURL(params.URL)),
		Source:   PlaceOf(src),
	}, nil
}
