// Package retry is Ferry's one retry core: exponential backoff with jitter,
// a service's Retry-After honoured as a floor, an attempt cap, and waits that
// end when the context does. What is worth retrying is not decided here:
// each caller passes its own classifier (providers.Client maps HTTP answers
// of cloud APIs, the upload engine's pacer those of the backend and the
// storage), in the manner of rclone's pacer.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff is exponential backoff with jitter.
type Backoff struct {
	// Min is the base wait of the first retry; Max caps every wait.
	Min, Max time.Duration
}

// Delay is the wait before retry number step (1 for the first): between half
// and all of Min·2^(step-1), capped at Max. The jitter keeps callers that
// failed together (parallel parts, a burst of listings) from retrying in
// lockstep.
func (b Backoff) Delay(step int) time.Duration {
	d := b.Min
	for i := 1; i < step && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// Verdict is a classifier's answer about one failed attempt.
type Verdict struct {
	// Retry: the same call may succeed if done again.
	Retry bool
	// Now: go again at once, without waiting and whatever the attempt cap
	// (the failure was repaired: credentials refreshed, a URL to be signed
	// again). The classifier bounds these itself.
	Now bool
	// Step is the backoff step to wait for; 0 means the attempt number.
	Step int
	// After is what the service asked to wait (Retry-After); the wait is
	// never shorter.
	After time.Duration
}

// Policy says how long to wait between attempts and how many to make.
type Policy struct {
	Backoff
	// MaxAttempts caps the attempts of one call, the first included; 0
	// leaves the cap to the classifier.
	MaxAttempts int
	// OnRetry, if set, is told of every retry before its wait (for logs,
	// or to pause other calls during a Retry-After).
	OnRetry func(err error, attempt int, wait time.Duration)
}

// Do calls fn until it succeeds, classify says a failure is not worth
// retrying, MaxAttempts are used up, or ctx ends. It returns nil, fn's last
// error, or ctx's error (see Err). fn may be called many times: it must be
// safe to repeat (build its request and body afresh each time).
func (p Policy) Do(ctx context.Context, fn func() error, classify func(error) Verdict) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return Err(ctx)
		}
		v := classify(err)
		if !v.Retry || !v.Now && p.MaxAttempts > 0 && attempt >= p.MaxAttempts {
			return err
		}
		var wait time.Duration
		if !v.Now {
			step := v.Step
			if step <= 0 {
				step = attempt
			}
			wait = max(p.Delay(step), v.After)
		}
		if p.OnRetry != nil {
			p.OnRetry(err, attempt, wait)
		}
		if err := Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// maxAfter bounds a Retry-After: a longer one is a misconfigured or hostile
// server, and a day is already past what any caller waits.
const maxAfter = 24 * time.Hour

// ParseAfter reads a Retry-After header's value: delay-seconds or an HTTP
// date (RFC 9110 §10.2.3), at most a day. It returns 0 when the value is
// empty, in the past or unusable.
func ParseAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, int64(maxAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxAfter)
	}
	return 0
}

// Sleep waits for d, or until ctx ends; then it returns Err(ctx).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return Err(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return Err(ctx)
	case <-t.C:
		return nil
	}
}

// Err is ctx's error, nil while ctx runs. A cause given to a
// context.CancelCauseFunc (the upload engine's "paused") stays findable
// with errors.Is beside context.Canceled.
func Err(ctx context.Context) error {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	if c := context.Cause(ctx); c != nil && c != err {
		return errors.Join(err, c)
	}
	return err
}
