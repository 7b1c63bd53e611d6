package backend

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// redisStore keeps the per-user buckets in Redis with redis_rate's GCRA
// (one Lua script per decision, so replicas never race), keyed
// "ferry:req:<user>" and "ferry:files:<user>".
type redisStore struct {
	rdb      *redis.Client
	lim      *redis_rate.Limiter
	requests redis_rate.Limit
	files    redis_rate.Limit // zero: no file quota
}

// redisTimeout bounds every Redis call: a limits store that does not answer
// quickly is treated as down rather than stalling uploads.
const redisTimeout = 2 * time.Second

func newRedisStore(cfg *Config) (*redisStore, error) {
	opt, err := redis.ParseURL(cfg.State.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("backend: [state] redis_url is not a Redis URL")
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = redisTimeout, redisTimeout, redisTimeout
	opt.MaxRetries = 1
	rdb := redis.NewClient(opt)
	st := &redisStore{rdb: rdb, lim: redis_rate.NewLimiter(rdb),
		// One token every 1/rps seconds, burst as configured.
		requests: redis_rate.Limit{Rate: 1, Burst: cfg.Limits.Burst,
			Period: time.Duration(float64(time.Second) / cfg.Limits.RequestsPerSecond)}}
	if q := cfg.Upload; q.MaxFiles > 0 {
		st.files = redis_rate.Limit{Rate: q.MaxFiles, Burst: q.MaxFiles, Period: filesWindow(cfg)}
	}
	return st, nil
}

func (r *redisStore) takeRequests(ctx context.Context, user string, n int) (verdict, error) {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	res, err := r.lim.AllowN(ctx, "ferry:req:"+user, r.requests, n)
	if err != nil {
		return verdict{}, fmt.Errorf("redis: %w", err)
	}
	return verdict{allowed: res.Allowed, retryAfter: max(res.RetryAfter, 0)}, nil
}

func (r *redisStore) takeFiles(ctx context.Context, user string, n int) (verdict, error) {
	if r.files.IsZero() {
		return verdict{allowed: n}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	res, err := r.lim.AllowAtMost(ctx, "ferry:files:"+user, r.files, n)
	if err != nil {
		return verdict{}, fmt.Errorf("redis: %w", err)
	}
	v := verdict{allowed: res.Allowed, retryAfter: max(res.RetryAfter, 0)}
	if v.allowed < n && v.retryAfter <= 0 {
		// AllowAtMost reports RetryAfter only when nothing was granted.
		v.retryAfter = r.files.Period / time.Duration(r.files.Rate)
	}
	return v, nil
}

func (r *redisStore) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

func (r *redisStore) close() error { return r.rdb.Close() }
