package backend

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// userLimiters holds one token bucket per user. Idle buckets are dropped so
// the map cannot grow without bound.
type userLimiters struct {
	mu      sync.Mutex
	rps     rate.Limit
	burst   int
	m       map[string]*userLimiter
	lastGC  time.Time
	maxIdle time.Duration
}

type userLimiter struct {
	lim  *rate.Limiter
	seen time.Time
}

func newUserLimiters(rps float64, burst int) *userLimiters {
	return &userLimiters{rps: rate.Limit(rps), burst: burst, m: map[string]*userLimiter{}, maxIdle: 10 * time.Minute}
}

// allow takes one token for user; when none is left it reports how long to wait.
func (u *userLimiters) allow(user string, now time.Time) (bool, time.Duration) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if now.Sub(u.lastGC) > u.maxIdle {
		for k, v := range u.m {
			if now.Sub(v.seen) > u.maxIdle {
				delete(u.m, k)
			}
		}
		u.lastGC = now
	}
	l := u.m[user]
	if l == nil {
		l = &userLimiter{lim: rate.NewLimiter(u.rps, u.burst)}
		u.m[user] = l
	}
	l.seen = now
	r := l.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// grantCounter limits how many files (upload credentials: single PUTs and
// multipart uploads) one user may start per window.
type grantCounter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	m      map[string][]time.Time
}

func newGrantCounter(max int, window time.Duration) *grantCounter {
	if window <= 0 {
		window = time.Hour
	}
	return &grantCounter{max: max, window: window, m: map[string][]time.Time{}}
}

func (g *grantCounter) take(user string, now time.Time) (bool, time.Duration) {
	if g.max <= 0 {
		return true, 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	ts := g.m[user]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= g.window {
		i++
	}
	ts = ts[i:]
	if len(ts) >= g.max {
		g.m[user] = ts
		return false, g.window - now.Sub(ts[0])
	}
	g.m[user] = append(ts, now)
	return true, 0
}
