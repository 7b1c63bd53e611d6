package backend

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
)

// Operating the backend: /healthz (the process answers), /readyz (storage
// and the limits store answer), Prometheus /metrics, and a request ID on
// every log line of a request.

// Routes for operators. /metrics and /readyz carry no user data; put them
// behind the load balancer's own access rules if they should stay internal.
const (
	RouteReady   = "/readyz"
	RouteMetrics = "/metrics"
)

// requestIDHeader is taken from the load balancer (nginx: $request_id) when
// it sends one, and answered back.
const requestIDHeader = "X-Request-ID"

// setupLimits picks the limit store: Redis when [state] redis_url is set,
// else this process (and says so, since N replicas then grant N quotas).
func (s *Server) setupLimits() error {
	s.metrics = newMetrics()
	s.fallback = newMemStore(s.cfg, s.now)
	if s.cfg.State.RedisURL == "" {
		s.limits = s.fallback
		s.log.Info("limits are per replica: rate limits and file quotas are kept in this process; set [state] redis_url to share them between replicas")
		return nil
	}
	rs, err := newRedisStore(s.cfg)
	if err != nil {
		return err
	}
	s.limits = rs
	s.log.Info("limits are shared in Redis", "redis", redisAddr(s.cfg.State.RedisURL))
	return nil
}

// redisAddr is the host:port of a Redis URL, never its password.
func redisAddr(raw string) string {
	if o, err := redis.ParseURL(raw); err == nil {
		return o.Addr
	}
	return "(unparsable)"
}

// pinger is a storage driver that can tell whether its storage answers.
type pinger interface {
	ping(ctx context.Context) error
}

func (d *s3Driver) ping(ctx context.Context) error {
	_, err := d.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(d.bucket)})
	return err
}

func (d *localDriver) ping(context.Context) error {
	_, err := d.root.Stat(".")
	return err
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	if p, is := s.drv.(pinger); is {
		if err := p.ping(ctx); err != nil {
			s.log.WarnContext(ctx, "readyz: storage unreachable", "err", err)
			checks["storage"], ok = "unreachable", false
		} else {
			checks["storage"] = "ok"
		}
	}
	if err := s.limits.ping(ctx); err != nil {
		s.log.WarnContext(ctx, "readyz: limits store unreachable", "err", err)
		checks["limits"], ok = "unreachable", false
	} else {
		checks["limits"] = "ok"
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"ready": ok, "checks": checks})
}

// metrics are the backend's Prometheus collectors, in a registry of its own
// so that several servers in one process (tests, the embedded backend) do
// not collide.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	granted   prometheus.Counter
	refusals  *prometheus.CounterVec
	inFlight  prometheus.Gauge
	handlerFn http.Handler
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ferry_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		granted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ferry_upload_grants_total", Help: "Files admitted for upload (counted against quotas).",
		}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_limit_refusals_total", Help: "Requests or files refused by a limit, by reason (rate, quota, limits_unavailable).",
		}, []string{"reason"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ferry_http_requests_in_flight", Help: "Requests being served.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.granted, m.refusals, m.inFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range []string{"rate", "quota", "limits_unavailable"} {
		m.refusals.WithLabelValues(r)
	}
	m.handlerFn = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) grants(n int) {
	if n > 0 {
		m.granted.Add(float64(n))
	}
}

func (m *metrics) refusal(reason string) { m.refusals.WithLabelValues(reason).Inc() }

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	s.metrics.handlerFn.ServeHTTP(w, r)
}

type requestIDKey struct{}

// requestID returns the load balancer's X-Request-ID when it looks like one
// (short, printable, no spaces), else a fresh random one.
func requestID(r *http.Request) string {
	if v := r.Header.Get(requestIDHeader); v != "" && len(v) <= 64 {
		good := true
		for i := 0; i < len(v); i++ {
			if c := v[i]; c <= ' ' || c > '~' {
				good = false
				break
			}
		}
		if good {
			return v
		}
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// requestIDHandler adds the request ID of the context to every record
// logged with a context (…Context and LogAttrs calls).
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		rec.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// withRequestID wraps a logger so that records carry the request ID.
func withRequestID(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(requestIDHandler); ok {
		return l
	}
	return slog.New(requestIDHandler{l.Handler()})
}
