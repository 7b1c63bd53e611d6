package retry

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errFlaky = errors.New("flaky")

func always(v Verdict) func(error) Verdict { return func(error) Verdict { return v } }

func TestBackoffGrowsWithJitterUpToMax(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	for range 200 {
		for step, full := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond,
			3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
			d := b.Delay(step)
			assert.GreaterOrEqual(t, d, full/2, "step %d", step)
			assert.LessOrEqual(t, d, full, "step %d", step)
		}
	}
	huge := Backoff{Min: time.Hour, Max: 2 * time.Hour}
	assert.LessOrEqual(t, huge.Delay(100), 2*time.Hour, "no overflow past Max")
	assert.Greater(t, huge.Delay(100), time.Duration(0))
}

// failTwice runs p.Do over a call that fails twice, then succeeds, and
// returns how often it was called and the waits before each retry.
func failTwice(t *testing.T, p Policy, v Verdict) (int, []time.Duration) {
	t.Helper()
	var waits []time.Duration
	p.OnRetry = func(_ error, _ int, wait time.Duration) { waits = append(waits, wait) }
	calls := 0
	err := p.Do(t.Context(), func() error {
		if calls++; calls < 3 {
			return errFlaky
		}
		return nil
	}, always(v))
	require.NoError(t, err)
	return calls, waits
}

func TestDoRetriesUntilSuccessHonouringRetryAfter(t *testing.T) {
	p := Policy{Backoff: Backoff{Min: time.Nanosecond, Max: time.Microsecond}, MaxAttempts: 5}
	calls, waits := failTwice(t, p, Verdict{Retry: true, After: 3 * time.Millisecond})
	assert.Equal(t, 3, calls)
	require.Len(t, waits, 2)
	for _, w := range waits {
		assert.GreaterOrEqual(t, w, 3*time.Millisecond, "Retry-After is a floor")
	}
}

func TestDoStopsAtTheCapAndOnPermanentErrors(t *testing.T) {
	p := Policy{Backoff: Backoff{Min: time.Nanosecond, Max: time.Nanosecond}, MaxAttempts: 4}
	calls := 0
	err := p.Do(t.Context(), func() error { calls++; return errFlaky }, always(Verdict{Retry: true}))
	assert.ErrorIs(t, err, errFlaky)
	assert.Equal(t, 4, calls, "attempts, the first included")

	calls = 0
	err = p.Do(t.Context(), func() error { calls++; return errFlaky }, always(Verdict{}))
	assert.ErrorIs(t, err, errFlaky)
	assert.Equal(t, 1, calls, "a permanent failure is not retried")
}

func TestDoGoesAgainAtOnceOutsideTheCap(t *testing.T) {
	p := Policy{Backoff: Backoff{Min: time.Hour, Max: time.Hour}, MaxAttempts: 1}
	calls, waits := failTwice(t, p, Verdict{Retry: true, Now: true})
	assert.Equal(t, 3, calls)
	assert.Equal(t, []time.Duration{0, 0}, waits, "no backoff before a repaired attempt")
}

func TestDoEndsItsWaitWhenTheContextEnds(t *testing.T) {
	paused := errors.New("paused")
	ctx, cancel := context.WithCancelCause(t.Context())
	p := Policy{Backoff: Backoff{Min: time.Hour, Max: time.Hour},
		OnRetry: func(error, int, time.Duration) { cancel(paused) }} // cancelled as the hour-long wait begins
	err := p.Do(ctx, func() error { return errFlaky }, always(Verdict{Retry: true}))
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, paused, "the cause stays findable")

	calls := 0
	err = p.Do(ctx, func() error { calls++; return errFlaky }, always(Verdict{Retry: true}))
	assert.ErrorIs(t, err, context.Canceled, "a failure after the context ended is not retried")
	assert.Equal(t, 1, calls)
}

func TestParseAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	assert.Equal(t, 7*time.Second, ParseAfter("7", now))
	assert.Equal(t, 7*time.Second, ParseAfter(" 7 ", now))
	assert.Equal(t, 30*time.Second, ParseAfter(now.Add(30*time.Second).Format(http.TimeFormat), now))
	assert.Equal(t, 24*time.Hour, ParseAfter("9999999999", now), "at most a day")
	assert.Equal(t, 24*time.Hour, ParseAfter(now.Add(72*time.Hour).Format(http.TimeFormat), now), "at most a day")
	for _, v := range []string{"", "soon", "-3", "0", now.Add(-time.Minute).Format(http.TimeFormat)} {
		assert.Zero(t, ParseAfter(v, now), "%q", v)
	}
}
