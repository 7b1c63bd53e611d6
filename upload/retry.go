package upload

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"
	"time"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/retry"
)

// pacer is the one retry mechanism of the upload engine, in the manner of
// rclone's pacer: every call to the backend or the storage goes through
// call, and classify decides in one place what is worth retrying.
//
// Network failures and 5xx answers back off exponentially with full jitter;
// 429 and 503 wait at least what Retry-After says; an expired presigned URL
// is retried at once (the callee re-signs, see errExpiredURL). Anything else
// is permanent and returned as it is.
type pacer struct {
	base, max time.Duration // backoff bounds
	attempts  int           // retries for transient failures, per call
	busy      int           // retries for 429/503, per call
	expired   int           // re-signs, per call
	down      int           // retries while the service is unavailable, per call
}

func defaultPacer() *pacer {
	return &pacer{base: 500 * time.Millisecond, max: 30 * time.Second, attempts: 8, busy: 30, expired: 5, down: 4}
}

type retryKind int

const (
	permanent   retryKind = iota
	transient             // network or 5xx: exponential backoff
	busy                  // 429/503: honour Retry-After
	expiredURL            // 403 Request has expired: re-sign and go again
	unavailable           // the service takes no new files now: a few tries, then say so
)

// call runs fn until it succeeds, fails permanently, runs out of retries or
// ctx ends. fn must be safe to call again: it re-opens or rewinds its body.
// Each kind of failure has its own budget; busy answers back off no further
// than the fourth step, so a long run of 429s is paced by Retry-After.
func (p *pacer) call(ctx context.Context, fn func() error) error {
	var nTransient, nBusy, nExpired, nDown int
	policy := retry.Policy{Backoff: p.backoff()}
	return policy.Do(ctx, fn, func(err error) retry.Verdict {
		kind, after := classify(err)
		after = min(after, 10*time.Minute)
		switch kind {
		case expiredURL:
			nExpired++
			return retry.Verdict{Retry: nExpired <= p.expired, Now: true}
		case busy:
			nBusy++
			return retry.Verdict{Retry: nBusy <= p.busy, Step: min(nBusy, 4), After: after}
		case unavailable:
			// Under 10 s in all (four backoffs of 0.5–4 s), so a person hears
			// within a minute that the service is down instead of a silent wait.
			nDown++
			return retry.Verdict{Retry: nDown <= p.down, Step: nDown, After: min(after, 5*time.Second)}
		case transient:
			nTransient++
			return retry.Verdict{Retry: nTransient <= p.attempts, Step: nTransient, After: after}
		}
		return retry.Verdict{}
	})
}

// backoff is the pacer's backoff for transient failures.
func (p *pacer) backoff() retry.Backoff { return retry.Backoff{Min: p.base, Max: p.max} }

// classify is the single place that maps failures to retry decisions.
func classify(err error) (retryKind, time.Duration) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, errStalled) {
		return permanent, 0
	}
	var se *SourceError
	if errors.As(err, &se) && !se.Transient {
		return permanent, 0
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		switch {
		case ae.StorageFault():
			return permanent, 0 // the storage refuses every write until someone acts
		case ae.Expired():
			return expiredURL, 0
		case ae.Code == api.CodeTooManyFiles:
			// A quota refusal is final for the file; waiting hours in a
			// retry loop would only hide it.
			return permanent, 0
		case ae.Code == api.CodeUnavailable:
			return unavailable, ae.RetryAfter
		case ae.Busy():
			return busy, ae.RetryAfter
		case ae.Temporary():
			return transient, ae.RetryAfter
		}
		return permanent, 0
	}
	if errors.Is(err, errStalled) || errors.Is(err, errTusOffset) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, net.ErrClosed) {
		return transient, 0
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return transient, 0
	}
	if se != nil { // a transient source failure (a cloud download broke)
		return transient, 0
	}
	return permanent, 0
}

// errStalled ends a transfer whose body has not moved for too long.
var errStalled = errors.New("the transfer stalled")
