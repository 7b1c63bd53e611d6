package upload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/testenv"
)

// logBuffer is testenv.Buffer: output written by several goroutines.
type logBuffer = testenv.Buffer

// writeRandomFile writes size pseudo-random bytes and returns the path and
// the hex SHA-256 computed independently of the engine.
func writeRandomFile(t testing.TB, dir, name string, size int64, seed uint64) (string, string) {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	require.NoError(t, err)
	defer f.Close()
	rng := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 7})
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		n := min(int64(len(buf)), left)
		_, _ = rng.Read(buf[:n])
		_, err := f.Write(buf[:n])
		require.NoError(t, err)
		h.Write(buf[:n])
		left -= n
	}
	require.NoError(t, f.Close())
	return p, hex.EncodeToString(h.Sum(nil))
}

// gateway is a versitygw S3 server on a loopback port with a posix backend in
// a temp dir: a real S3 implementation that checks SigV4 signatures, expiry,
// signed headers and part checksums itself.
type gateway struct {
	Endpoint string
	Access   string
	Secret   string
	Bucket   string
	Client   *s3.Client
}

func startGateway(t testing.TB) *gateway {
	t.Helper()
	bin := testenv.Tool(t, "versitygw")
	root := filepath.Join(t.TempDir(), "root")
	require.NoError(t, os.MkdirAll(root, 0o755))
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	g := &gateway{Endpoint: "http://" + addr, Access: "ferrytestaccess", Secret: "ferrytestsecret0123456789", Bucket: "uploads"}
	logs := &logBuffer{}
	cmd := exec.Command(bin, "--port", addr, "--quiet", "posix", root)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+g.Access, "ROOT_SECRET_ACCESS_KEY="+g.Secret)
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	testenv.WaitPort(t, addr, 20*time.Second)
	g.Client = s3.New(s3.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(g.Access, g.Secret, "")},
		backend.S3ClientOptions(backend.StorageConfig{Endpoint: g.Endpoint, PathStyle: true}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := g.Client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(g.Bucket)})
	require.NoError(t, err, "versitygw: create bucket\n%s", logs.String())
	return g
}

// objectSHA256 streams an object and returns its size and hex SHA-256.
func (g *gateway) objectSHA256(t testing.TB, key string) (int64, string) {
	t.Helper()
	out, err := g.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(g.Bucket), Key: aws.String(key)})
	require.NoError(t, err, key)
	defer out.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, out.Body)
	require.NoError(t, err)
	return n, hex.EncodeToString(h.Sum(nil))
}

// pendingUploads counts the multipart uploads the bucket still holds.
func (g *gateway) pendingUploads(t testing.TB) int {
	t.Helper()
	out, err := g.Client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(g.Bucket)})
	require.NoError(t, err)
	return len(out.Uploads)
}

// testBackend is the reference backend with the s3 driver in front of a
// gateway (through storageEndpoint, which may be a proxy), auth "none" on
// 127.0.0.1.
type testBackend struct {
	URL  string
	Logs *logBuffer
}

func startS3Backend(t *testing.T, g *gateway, storageEndpoint string, mod func(*backend.Config)) *testBackend {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": g.Access, "AWS_SECRET_ACCESS_KEY": g.Secret, "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	cfg := backend.DefaultConfig()
	cfg.Filename = "(test)"
	cfg.Listen = "127.0.0.1:0"
	cfg.StateDir = filepath.Join(dir, "state")
	cfg.Auth = backend.AuthConfig{Type: api.AuthNone}
	cfg.Storage = backend.StorageConfig{Driver: "s3", Endpoint: storageEndpoint, Region: "us-east-1", Bucket: g.Bucket, PathStyle: true}
	cfg.Upload.MultipartThreshold = 16 << 20
	cfg.Upload.MaxFiles = 0
	cfg.Limits.RequestsPerSecond = 1000
	cfg.Limits.Burst = 1000
	if mod != nil {
		mod(cfg)
	}
	logs := &logBuffer{}
	srv, err := backend.New(cfg, backend.WithLogger(logs.Logger()))
	require.NoError(t, err)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return &testBackend{URL: "http://" + l.Addr().String(), Logs: logs}
}

// startEmbedded runs the embedded local backend and returns a client for it.
func startEmbedded(t testing.TB) (*Client, *api.Discovery, string) {
	c, d, dir, _ := startEmbeddedToken(t)
	return c, d, dir
}

// startEmbeddedToken also returns the backend's bearer secret, so tests can
// check it never reaches a log.
func startEmbeddedToken(t testing.TB) (*Client, *api.Discovery, string, string) {
	t.Helper()
	dir := t.TempDir()
	e, err := backend.StartEmbedded(context.Background(), dir, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Close(ctx)
	})
	tok := e.Token
	c, err := NewClient(e.URL, func(context.Context) (string, error) { return tok, nil }, nil)
	require.NoError(t, err)
	d, err := c.Discover(context.Background())
	require.NoError(t, err)
	return c, d, filepath.Join(dir, "files"), tok
}

// tcpProxy forwards raw TCP to target and cuts every connection that is
// carrying data when the total upstream byte count passes another dropEvery
// bytes: a flaky link, not a polite HTTP error.
type tcpProxy struct {
	Addr      string
	dropEvery int64
	sent      atomic.Int64
	Drops     atomic.Int64
	l         net.Listener
}

func startTCPProxy(t testing.TB, target string, dropEvery int64) *tcpProxy {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	p := &tcpProxy{Addr: l.Addr().String(), dropEvery: dropEvery, l: l}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.serve(c, target)
		}
	}()
	return p
}

func (p *tcpProxy) serve(c net.Conn, target string) {
	defer c.Close()
	up, err := net.Dial("tcp4", target)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { _, _ = io.Copy(c, up); c.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			before := p.sent.Add(int64(n)) - int64(n)
			if p.dropEvery > 0 && before/p.dropEvery != (before+int64(n))/p.dropEvery {
				p.Drops.Add(1)
				return // both sides close: the request dies mid-body
			}
			if _, werr := up.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// record is one request seen by an httpProxy.
type record struct {
	Method, Path string
	Part         string // partNumber query parameter, "" for other requests
	UploadID     string
	Signed       string // X-Amz-Date of a presigned URL
	Status       int
}

// httpProxy is a reverse proxy in front of S3 that keeps the Host header
// (SigV4 signs it), records every request, and can delay, refuse or throttle
// them.
type httpProxy struct {
	URL string
	// hook decides per request: a status to answer instead of forwarding
	// (0: forward), extra response headers, and a delay before doing so.
	hook func(r *http.Request, n int) (status int, header http.Header, delay time.Duration)
	lim  *rate.Limiter

	mu      sync.Mutex
	n       int
	records []record
}

func startHTTPProxy(t testing.TB, target string) *httpProxy {
	t.Helper()
	tu, err := url.Parse(target)
	require.NoError(t, err)
	p := &httpProxy{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = tu.Scheme, tu.Host
			r.Out.Host = r.In.Host
			// Go's server consumes the client's Expect: ask the storage the
			// same way, so its early refusals (403) arrive as answers.
			if r.In.ContentLength > 1<<20 {
				r.Out.Header.Set("Expect", "100-continue")
			}
		},
		ErrorLog: nil,
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	p.URL = "http://" + l.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.n++
		n := p.n
		hook, lim := p.hook, p.lim
		p.mu.Unlock()
		rec := record{Method: r.Method, Path: r.URL.Path, Part: r.URL.Query().Get("partNumber"),
			UploadID: r.URL.Query().Get("uploadId"), Signed: r.URL.Query().Get("X-Amz-Date")}
		if hook != nil {
			status, hdr, delay := hook(r, n)
			if delay > 0 {
				time.Sleep(delay)
			}
			if status != 0 {
				for k, v := range hdr {
					w.Header()[k] = v
				}
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(status)
				fmt.Fprintf(w, "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>")
				rec.Status = status
				p.add(rec)
				return
			}
		}
		if lim != nil && r.Body != nil {
			r.Body = &limitedBody{rc: r.Body, lim: lim, ctx: r.Context()}
		}
		sw := &statusRecorder{ResponseWriter: w}
		rp.ServeHTTP(sw, r)
		rec.Status = sw.status
		p.add(rec)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return p
}

func (p *httpProxy) add(r record) {
	p.mu.Lock()
	p.records = append(p.records, r)
	p.mu.Unlock()
}

func (p *httpProxy) setHook(h func(r *http.Request, n int) (int, http.Header, time.Duration)) {
	p.mu.Lock()
	p.hook = h
	p.mu.Unlock()
}

func (p *httpProxy) throttle(bytesPerSec int) {
	p.mu.Lock()
	p.lim = rate.NewLimiter(rate.Limit(bytesPerSec), 256<<10)
	p.mu.Unlock()
}

func (p *httpProxy) seen() []record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]record(nil), p.records...)
}

// partPuts counts PUTs per part number with the given outcome class (2 for
// 2xx, 4 for 4xx, 0 for any).
func (p *httpProxy) partPuts(class int) map[string]int {
	out := map[string]int{}
	for _, r := range p.seen() {
		if r.Method == http.MethodPut && r.Part != "" && (class == 0 || r.Status/100 == class) {
			out[r.Part]++
		}
	}
	return out
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 && code >= 200 { // 100 Continue is not the answer
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// limitedBody reads at most the limiter's rate.
type limitedBody struct {
	rc  io.ReadCloser
	lim *rate.Limiter
	ctx context.Context
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if len(p) > 64<<10 {
		p = p[:64<<10]
	}
	n, err := b.rc.Read(p)
	if n > 0 {
		if werr := b.lim.WaitN(b.ctx, n); werr != nil {
			return n, werr
		}
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// collector gathers a queue's events.
type collector struct {
	mu     sync.Mutex
	events []Event
	on     func(Event)
}

func (c *collector) add(e Event) {
	c.mu.Lock()
	c.events = append(c.events, e)
	on := c.on
	c.mu.Unlock()
	if on != nil {
		on(e)
	}
}

func (c *collector) final(id JobID) Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.events) - 1; i >= 0; i-- {
		if c.events[i].ID == id && c.events[i].State.Final() {
			return c.events[i]
		}
	}
	return Event{}
}

func (c *collector) states(id JobID) []State {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []State
	for _, e := range c.events {
		if e.ID == id && (len(out) == 0 || out[len(out)-1] != e.State) {
			out = append(out, e.State)
		}
	}
	return out
}

// fastPacer keeps retry waits short in tests.
func fastPacer() *pacer {
	return &pacer{base: 20 * time.Millisecond, max: 500 * time.Millisecond, attempts: 10, busy: 40, expired: 8}
}
