package providertest

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Faults lets the suite make a provider's test server misbehave.
type Faults interface {
	// RateLimit makes the next n requests answer 429 Too Many Requests with
	// Retry-After: retryAfter (whole seconds, as HTTP carries it).
	RateLimit(n int, retryAfter time.Duration)
	// Hang makes the next request block until its client goes away (the
	// suite cancels its context).
	Hang()
	// Requests counts the requests the server received so far.
	Requests() int
}

// FaultInjector is an http.Handler around a fake service's handler that
// implements Faults. Fake servers of any provider wrap themselves in one:
//
//	fi := providertest.NewFaultInjector(fakeDrive)
//	srv := httptest.NewServer(fi)
//	... Fixture{Faults: fi}
//
// RateLimit answers can be given in the service's own shape by setting
// RateLimitResponse (Drive's JSON error body, Dropbox's too_many_requests).
type FaultInjector struct {
	next http.Handler
	// RateLimitResponse, if set, writes the rate-limit answer; it must set
	// the Retry-After header it receives. Default: 429 with an empty body.
	RateLimitResponse func(w http.ResponseWriter, r *http.Request, retryAfter string)

	mu         sync.Mutex
	limitN     int
	retryAfter time.Duration
	hang       bool
	requests   int
}

// NewFaultInjector wraps next.
func NewFaultInjector(next http.Handler) *FaultInjector { return &FaultInjector{next: next} }

// RateLimit implements Faults.
func (f *FaultInjector) RateLimit(n int, retryAfter time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limitN, f.retryAfter = n, retryAfter
}

// Hang implements Faults.
func (f *FaultInjector) Hang() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hang = true
}

// Requests implements Faults.
func (f *FaultInjector) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func (f *FaultInjector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	limit, hang := f.limitN > 0, f.hang
	if limit {
		f.limitN--
	} else if hang {
		f.hang = false
	}
	ra := f.retryAfter
	f.mu.Unlock()
	switch {
	case limit:
		secs := strconv.Itoa(int((ra + time.Second - 1) / time.Second))
		if f.RateLimitResponse != nil {
			f.RateLimitResponse(w, r, secs)
			return
		}
		w.Header().Set("Retry-After", secs)
		w.WriteHeader(http.StatusTooManyRequests)
	case hang:
		// The server notices a client hanging up only once the request
		// body is consumed; the minute bounds a client that never does.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	default:
		f.next.ServeHTTP(w, r)
	}
}
