package upload

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/ferry-app/ferry/backend/api"
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
func (p *pacer) call(ctx context.Context, fn func() error) error {
	var nTransient, nBusy, nExpired, nDown int
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctxErr(ctx)
		}
		kind, after := classify(err)
		var wait time.Duration
		switch kind {
		case permanent:
			return err
		case expiredURL:
			if nExpired++; nExpired > p.expired {
				return err
			}
			continue
		case busy:
			if nBusy++; nBusy > p.busy {
				return err
			}
			wait = p.backoff(min(nBusy, 4))
		case unavailable:
			// Under 10 s in all (four backoffs of 0.5–4 s), so a person hears within a
			// minute that the service is down instead of a silent wait.
			if nDown++; nDown > p.down {
				return err
			}
			wait, after = p.backoff(nDown), min(after, 5*time.Second)
		case transient:
			if nTransient++; nTransient > p.attempts {
				return err
			}
			wait = p.backoff(nTransient)
		}
		wait = max(wait, min(after, 10*time.Minute))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctxErr(ctx)
		case <-t.C:
		}
	}
}

// backoff is base·2^(n-1) capped at max, with jitter over its upper half so
// that parallel parts do not retry in lockstep.
func (p *pacer) backoff(n int) time.Duration {
	d := p.base << min(n-1, 20)
	if d > p.max || d <= 0 {
		d = p.max
	}
	return d/2 + rand.N(d/2+1)
}

// ctxErr is ctx's error, keeping a cause (errPaused) findable with errors.Is.
func ctxErr(ctx context.Context) error {
	if c := context.Cause(ctx); c != nil && c != ctx.Err() {
		return errors.Join(ctx.Err(), c)
	}
	return ctx.Err()
}

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
		case isExpired(ae):
			return expiredURL, 0
		case ae.Code == api.CodeTooManyFiles:
			// A quota refusal is final for the file; waiting hours in a
			// retry loop would only hide it.
			return permanent, 0
		case ae.Code == api.CodeUnavailable:
			return unavailable, ae.RetryAfter
		case ae.Status == http.StatusTooManyRequests || ae.Status == http.StatusServiceUnavailable || ae.Code == "SlowDown":
			return busy, ae.RetryAfter
		case ae.Status == http.StatusRequestTimeout || ae.Status >= 500:
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

// isExpired reports a presigned URL that outlived its lifetime: S3 answers
// 403 AccessDenied "Request has expired." and the local driver "expired".
func isExpired(ae *api.Error) bool {
	if ae.Status != http.StatusForbidden {
		return false
	}
	return ae.Code == api.CodeExpired || strings.HasPrefix(ae.Message, "Request has expired")
}

// errStalled ends a transfer whose body has not moved for too long.
var errStalled = errors.New("the transfer stalled")
