package backend

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ferry-app/ferry/backend/api"
)

// Per-user limits: a request rate (token bucket: requests_per_second, burst)
// and a file quota (max_files per files_window, refilling evenly: after the
// quota is used up one more file is granted every files_window/max_files).
// Both count files where a request names several (batch signing).
//
// The buckets live in a limitStore: in process (one per replica, the
// default) or in Redis ([state] redis_url), where all replicas share them.
// When Redis cannot be reached the request rate falls back to this
// replica's own buckets, so uploads already under way finish; new files are
// refused with 503 (errLimitsDown), because a per-replica quota would grant
// N times the quota.

// limitStore keeps the per-user buckets.
type limitStore interface {
	// takeRequests takes n request tokens of user, all or none.
	takeRequests(ctx context.Context, user string, n int) (verdict, error)
	// takeFiles grants up to n files of user's quota (possibly fewer).
	takeFiles(ctx context.Context, user string, n int) (verdict, error)
	// ping reports whether the store can be reached.
	ping(ctx context.Context) error
	close() error
}

// verdict is a store's answer.
type verdict struct {
	allowed    int           // how many of the n asked were granted
	retryAfter time.Duration // when allowed < n: until the next one would be
}

// errLimitsDown answers a new file while the shared limit store is unreachable.
var errLimitsDown = errorf(http.StatusServiceUnavailable, api.CodeUnavailable,
	"the upload service is unavailable: it cannot check upload limits right now; try again in a few minutes")

// memStore is the in-process limitStore.
type memStore struct {
	now      func() time.Time
	requests *buckets
	files    *buckets // nil: no file quota
}

func newMemStore(cfg *Config, now func() time.Time) *memStore {
	m := &memStore{now: now, requests: newBuckets(rate.Limit(cfg.Limits.RequestsPerSecond), cfg.Limits.Burst)}
	if q := cfg.Upload; q.MaxFiles > 0 {
		m.files = newBuckets(rate.Limit(float64(q.MaxFiles)/filesWindow(cfg).Seconds()), q.MaxFiles)
	}
	return m
}

func (m *memStore) takeRequests(_ context.Context, user string, n int) (verdict, error) {
	return m.requests.take(user, n, true, m.now()), nil
}

func (m *memStore) takeFiles(_ context.Context, user string, n int) (verdict, error) {
	if m.files == nil {
		return verdict{allowed: n}, nil
	}
	return m.files.take(user, n, false, m.now()), nil
}

func (m *memStore) ping(context.Context) error { return nil }
func (m *memStore) close() error               { return nil }

// buckets holds one token bucket per user. Full buckets idle for a while are
// dropped so the map cannot grow without bound.
type buckets struct {
	mu     sync.Mutex
	r      rate.Limit
	burst  int
	m      map[string]*bucket
	lastGC time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newBuckets(r rate.Limit, burst int) *buckets {
	return &buckets{r: r, burst: burst, m: map[string]*bucket{}}
}

// take takes n tokens of user's bucket: all or none when whole, else as
// many as there are.
func (b *buckets) take(user string, n int, whole bool, now time.Time) verdict {
	b.mu.Lock()
	defer b.mu.Unlock()
	idle := time.Duration(float64(b.burst)/float64(b.r)*float64(time.Second)) + time.Minute
	if now.Sub(b.lastGC) > time.Minute {
		for k, v := range b.m {
			if now.Sub(v.seen) > idle {
				delete(b.m, k)
			}
		}
		b.lastGC = now
	}
	u := b.m[user]
	if u == nil {
		u = &bucket{lim: rate.NewLimiter(b.r, b.burst)}
		b.m[user] = u
	}
	u.seen = now
	k := n
	if !whole {
		k = min(n, int(math.Floor(u.lim.TokensAt(now))))
	}
	if k > 0 && k <= b.burst {
		r := u.lim.ReserveN(now, k)
		if r.OK() && r.DelayFrom(now) == 0 {
			return verdict{allowed: k, retryAfter: b.wait(u, now)}
		}
		r.CancelAt(now)
	}
	return verdict{allowed: 0, retryAfter: b.wait(u, now)}
}

// wait is how long until user's bucket holds one more token.
func (b *buckets) wait(u *bucket, now time.Time) time.Duration {
	missing := 1 - u.lim.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(missing / float64(b.r) * float64(time.Second))
}

func filesWindow(cfg *Config) time.Duration {
	if w := time.Duration(cfg.Upload.FilesWindow); w > 0 {
		return w
	}
	return 24 * time.Hour
}

// allowRequests applies user's request rate for a request that costs n
// (files signed in one batch count one each). A shared store that cannot be
// reached falls back to this replica's own buckets.
func (s *Server) allowRequests(ctx context.Context, user string, n int) (bool, time.Duration) {
	v, err := s.limits.takeRequests(ctx, user, n)
	if err != nil {
		s.limitsDown(ctx, err)
		v, _ = s.fallback.takeRequests(ctx, user, n)
	}
	if v.allowed < n {
		s.metrics.refusal("rate")
		return false, max(v.retryAfter, time.Second)
	}
	return true, 0
}

// takeFiles grants up to n new files of user's quota; the error, when fewer
// than one is granted, names the limit, its window and when it resets.
func (s *Server) takeFiles(ctx context.Context, user string, n int) (int, error) {
	v, err := s.limits.takeFiles(ctx, user, n)
	if err != nil {
		s.limitsDown(ctx, err)
		s.metrics.refusal("limits_unavailable")
		return 0, errLimitsDown
	}
	s.metrics.grants(v.allowed)
	if v.allowed == 0 {
		s.metrics.refusal("quota")
		return 0, s.quotaError(v.retryAfter)
	}
	return v.allowed, nil
}

func (s *Server) quotaError(retry time.Duration) error {
	retry = max(retry.Round(time.Second), time.Second)
	at := s.now().Add(retry).UTC()
	he := errorf(http.StatusTooManyRequests, api.CodeTooManyFiles,
		"the limit is %d files per %s; the next file can start at %s UTC (in %s)",
		s.cfg.Upload.MaxFiles, windowText(filesWindow(s.cfg)), at.Format("2006-01-02 15:04"), retry)
	he.retryAfter = retry
	return he
}

// windowText says a window the way people do: "day", "3 hours", "90m0s".
func windowText(d time.Duration) string {
	switch {
	case d == 24*time.Hour:
		return "day"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d == time.Hour:
		return "hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

// limitsDown logs that the shared store failed, at most once every 10s.
func (s *Server) limitsDown(ctx context.Context, err error) {
	s.downMu.Lock()
	defer s.downMu.Unlock()
	if now := time.Now(); now.Sub(s.downLogged) > 10*time.Second {
		s.downLogged = now
		s.log.ErrorContext(ctx, "limits store unreachable: new files refused with 503, request rates per replica", "err", err.Error())
	}
}
