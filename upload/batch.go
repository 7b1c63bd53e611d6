package upload

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/retry"
)

// ParamsBatch asks a backend that announces upload.params_batch for single
// PUTs of several files at once. A file the backend refuses comes back as
// its *api.Error in errs; err is for the request as a whole.
func (c *Client) ParamsBatch(ctx context.Context, files []api.BatchFile) (params []*api.ParamsResponse, errs []error, err error) {
	var out api.BatchParamsResponse
	if err := c.call(ctx, http.MethodPost, api.RouteParamsBatch, nil, api.BatchParamsRequest{Files: files}, &out, true); err != nil {
		return nil, nil, err
	}
	if len(out.Files) != len(files) {
		return nil, nil, &api.Error{Code: api.CodeInternal, Message: "the backend answered a batch with the wrong number of files", Status: http.StatusBadGateway}
	}
	params, errs = make([]*api.ParamsResponse, len(files)), make([]error, len(files))
	for i, r := range out.Files {
		switch {
		case r.Params != nil && r.Status == http.StatusOK:
			if err := checkStorageURL(r.Params.URL); err != nil {
				return nil, nil, err
			}
			if r.Params.Method == "" {
				r.Params.Method = http.MethodPut
			}
			params[i] = r.Params
		case r.Error != nil:
			e := *r.Error
			e.Status = r.Status
			errs[i] = &e
		default:
			errs[i] = &api.Error{Code: api.CodeInternal, Message: "the backend answered a batch entry with neither credential nor error", Status: http.StatusBadGateway}
		}
	}
	return params, errs, nil
}

// paramsBatcher signs single PUTs for small queued files in batches: the
// first file that needs a credential signs itself and the files queued after
// it (up to the announced maximum) in one request, and those pick theirs up
// when they start. A credential that is no longer fresh when its file starts
// is signed again alone; a failed batch leaves each file to try again.
type paramsBatcher struct {
	q   *Queue
	max int

	mu       sync.Mutex
	ready    map[JobID]batched
	inFlight map[JobID]chan struct{}
}

type batched struct {
	p   *api.ParamsResponse
	err error
	url signedURL
}

func newParamsBatcher(q *Queue, max int) *paramsBatcher {
	return &paramsBatcher{q: q, max: max, ready: map[JobID]batched{}, inFlight: map[JobID]chan struct{}{}}
}

// params returns j's credential, from a batch when one covers it.
func (b *paramsBatcher) params(ctx context.Context, j *job) (*api.ParamsResponse, error) {
	for {
		b.mu.Lock()
		if r, ok := b.ready[j.id]; ok {
			delete(b.ready, j.id)
			b.mu.Unlock()
			if r.err != nil {
				return nil, r.err
			}
			if r.url.fresh(time.Now()) {
				return r.p, nil
			}
			return b.single(ctx, j)
		}
		if ch, ok := b.inFlight[j.id]; ok {
			b.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, retry.Err(ctx)
			}
		}
		members := append([]*job{j}, b.q.queuedSmall(j, b.max-1, func(id JobID) bool {
			_, r := b.ready[id]
			_, f := b.inFlight[id]
			return r || f
		})...)
		done := make(chan struct{})
		for _, m := range members {
			b.inFlight[m.id] = done
		}
		b.mu.Unlock()
		return b.sign(ctx, j, members, done)
	}
}

func (b *paramsBatcher) single(ctx context.Context, j *job) (*api.ParamsResponse, error) {
	return b.q.client.Params(ctx, j.src.Name(), j.src.ContentType(), j.src.Size(), nil)
}

func (b *paramsBatcher) sign(ctx context.Context, j *job, members []*job, done chan struct{}) (*api.ParamsResponse, error) {
	files := make([]api.BatchFile, len(members))
	for i, m := range members {
		files[i] = api.BatchFile{Filename: m.src.Name(), Type: m.src.ContentType(), Size: m.src.Size()}
	}
	now := time.Now()
	params, errs, err := b.q.client.ParamsBatch(ctx, files)
	b.mu.Lock()
	defer b.mu.Unlock()
	defer close(done)
	for i, m := range members {
		delete(b.inFlight, m.id)
		if err != nil || m == j {
			continue
		}
		r := batched{p: params[i], err: errs[i]}
		if r.p != nil {
			exp, life := urlExpiry(r.p.URL, r.p.Expires, now)
			r.url = signedURL{expires: exp, life: life}
		}
		b.ready[m.id] = r
	}
	if err != nil {
		return nil, err
	}
	if errs[0] != nil {
		return nil, errs[0]
	}
	return params[0], nil
}

// queuedSmall lists up to n jobs queued after j (in the order they were
// added) that will go up in one PUT and that skip does not exclude.
func (q *Queue) queuedSmall(j *job, n int, skip func(JobID) bool) []*job {
	if n <= 0 {
		return nil
	}
	return q.turns.after(j, n, func(o *job) bool {
		return !skip(o.id) && o.currentState() == Queued && q.single(o.src.Size())
	})
}

// single reports whether a file of size goes up in one PUT.
func (q *Queue) single(size int64) bool {
	if q.disc.Upload.Protocol == api.ProtocolTus {
		return false
	}
	threshold := q.disc.Upload.MultipartThreshold
	if threshold <= 0 {
		threshold = 100 << 20
	}
	return size >= 0 && size < threshold
}
