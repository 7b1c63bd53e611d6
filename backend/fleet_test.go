package backend

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/testenv"
	"github.com/ferry-app/ferry/upload"
)

// The fleet test runs what an organisation would: three ferry-backend
// processes (the real binary) behind Debian's nginx (round robin), sharing
// the upload-token secret and Redis, storing into versitygw.

const fleetSecretEnv = "FERRY_FLEET_UPLOAD_SECRET"

type fleet struct {
	t        *testing.T
	dir      string
	bin      string
	URL      string // nginx
	iss      *testIssuer
	g        *gateway
	rds      *redisServer
	replicas []*replica
	nginxLog string
}

type replica struct {
	addr string
	cmd  *exec.Cmd
	logs *logBuffer
	done chan struct{}
}

var buildOnce struct {
	sync.Once
	dir string
	bin string
	err error
	out []byte
}

// TestMain removes the ferry-backend binary the fleet tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildOnce.dir != "" {
		os.RemoveAll(buildOnce.dir)
	}
	os.Exit(code)
}

// buildBackend builds cmd/ferry-backend once per test binary.
func buildBackend(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ferry-fleet-bin-")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.dir = dir
		buildOnce.bin = filepath.Join(dir, "ferry-backend")
		cmd := exec.Command("go", "build", "-o", buildOnce.bin, "./cmd/ferry-backend")
		cmd.Dir = testenv.RepoRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		buildOnce.out, buildOnce.err = cmd.CombinedOutput()
	})
	require.NoError(t, buildOnce.err, "building ferry-backend: %s", buildOnce.out)
	return buildOnce.bin
}

func startFleet(t *testing.T, maxFiles int) *fleet {
	t.Helper()
	if _, err := exec.LookPath("nginx"); err != nil {
		t.Fatal("nginx not found: run scripts/install-deps.sh test")
	}
	f := &fleet{t: t, dir: t.TempDir(), bin: buildBackend(t), iss: newTestIssuer(t), g: startGateway(t), rds: startRedis(t)}
	nginxAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	f.URL = "http://" + nginxAddr
	var upstreams []string
	for i := range 3 {
		addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
		upstreams = append(upstreams, addr)
		cfg := fmt.Sprintf(`listen = %q
public_url = %q
name = "Fleet test"
[auth]
type = "oidc"
issuer = %q
client_id = %q
[storage]
driver = "s3"
endpoint = %q
region = "us-east-1"
bucket = %q
path_style = true
[upload]
max_files = %d
[state]
secret_env = %q
redis_url = %q
`, addr, f.URL, f.iss.URL, testClientID, f.g.Endpoint, f.g.Bucket, maxFiles, fleetSecretEnv, f.rds.URL)
		path := filepath.Join(f.dir, fmt.Sprintf("backend%d.toml", i))
		require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
		f.replicas = append(f.replicas, f.startReplica(path, addr))
	}
	f.startNginx(nginxAddr, upstreams)
	return f
}

func (f *fleet) startReplica(cfgPath, addr string) *replica {
	t := f.t
	r := &replica{addr: addr, logs: &logBuffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(f.bin, "--config", cfgPath, "--log-json")
	r.cmd.Env = append(os.Environ(),
		fleetSecretEnv+"="+strings.Repeat("fleet-secret-", 4),
		"AWS_ACCESS_KEY_ID="+f.g.Access, "AWS_SECRET_ACCESS_KEY="+f.g.Secret,
		"AWS_CONFIG_FILE="+filepath.Join(f.dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(f.dir, "none"),
		"AWS_EC2_METADATA_DISABLED=true")
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	require.NoError(t, r.cmd.Start())
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(r.kill)
	testenv.WaitPort(t, addr, 30*time.Second)
	return r
}

// kill ends the replica with SIGKILL, as a crashed machine would.
func (r *replica) kill() {
	_ = r.cmd.Process.Kill()
	<-r.done
}

// nginxConfig is the load balancer config of backend/README-config.md ("Running several replicas") with the paths
// of a test: round robin over the replicas, the request ID passed on, and a
// replica that fails to answer skipped for a few seconds.
func nginxConfig(dir, listen string, upstreams []string, runAs string) string {
	var b strings.Builder
	if runAs != "" {
		fmt.Fprintf(&b, "user %s;\n", runAs)
	}
	fmt.Fprintf(&b, `worker_processes 1;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log notice;
events { worker_connections 512; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    upstream ferry_backend {
`, dir)
	for _, u := range upstreams {
		fmt.Fprintf(&b, "        server %s max_fails=1 fail_timeout=5s;\n", u)
	}
	fmt.Fprintf(&b, `        keepalive 16;
    }
    server {
        listen %s;
        client_max_body_size 2m;
        location / {
            proxy_pass http://ferry_backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Request-ID $request_id;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_connect_timeout 2s;
            proxy_next_upstream error timeout http_502;
            proxy_next_upstream_tries 3;
        }
    }
}
`, listen)
	return b.String()
}

func (f *fleet) startNginx(listen string, upstreams []string) {
	t := f.t
	dir := filepath.Join(f.dir, "nginx")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	runAs := ""
	if os.Geteuid() == 0 {
		// As root nginx would hand its workers to "nobody", who cannot
		// use the test's private temp dir.
		u, err := user.Current()
		require.NoError(t, err)
		runAs = u.Username
	}
	conf := filepath.Join(dir, "nginx.conf")
	require.NoError(t, os.WriteFile(conf, []byte(nginxConfig(dir, listen, upstreams, runAs)), 0o600))
	// Output to a file, not a pipe: nginx's worker inherits it, and a pipe
	// would keep Wait waiting for the worker.
	out, err := os.Create(filepath.Join(dir, "stderr.log"))
	require.NoError(t, err)
	defer out.Close()
	cmd := exec.Command("nginx", "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		// SIGTERM: the master stops its workers, then exits.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-done
	})
	f.nginxLog = filepath.Join(dir, "access.log")
	testenv.WaitPort(t, listen, 20*time.Second)
}

func (f *fleet) client(user string) *upload.Client {
	f.t.Helper()
	c, err := upload.NewClient(f.URL, func(context.Context) (string, error) { return f.iss.token(f.t, user), nil }, nil)
	require.NoError(f.t, err)
	return c
}

// queue uploads through the fleet as `ferry upload` does and collects the
// final event of each file.
type fleetQueue struct {
	*upload.Queue
	mu    sync.Mutex
	final map[upload.JobID]upload.Event
}

func (f *fleet) queue(user string, opts upload.Options, onEvent func(upload.Event)) *fleetQueue {
	f.t.Helper()
	c := f.client(user)
	d, err := c.Discover(context.Background())
	require.NoError(f.t, err)
	fq := &fleetQueue{final: map[upload.JobID]upload.Event{}}
	opts.OnEvent = func(e upload.Event) {
		if onEvent != nil {
			onEvent(e)
		}
		if e.State.Final() {
			fq.mu.Lock()
			fq.final[e.ID] = e
			fq.mu.Unlock()
		}
	}
	fq.Queue = upload.NewQueue(c, d, opts)
	f.t.Cleanup(fq.Close)
	return fq
}

func (q *fleetQueue) run(t *testing.T, paths ...string) []upload.Event {
	t.Helper()
	var srcs []upload.Source
	for _, p := range paths {
		s, err := upload.NewLocalFile(p, "")
		require.NoError(t, err)
		srcs = append(srcs, s)
	}
	ids := q.Add(srcs...)
	q.Wait()
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]upload.Event, len(ids))
	for i, id := range ids {
		out[i] = q.final[id]
	}
	return out
}

// writeGenerated writes size bytes of a seeded pseudo-random stream to a
// file, a chunk at a time, and returns its path and SHA-256.
func writeGenerated(t *testing.T, dir, name string, size int64, seed uint64) (string, string) {
	t.Helper()
	p := filepath.Join(dir, name)
	fh, err := os.Create(p)
	require.NoError(t, err)
	defer fh.Close()
	h := sha256.New()
	rng := rand.NewChaCha8([32]byte{byte(seed), 1, 2, 3})
	_, err = io.Copy(io.MultiWriter(fh, h), io.LimitReader(rng, size))
	require.NoError(t, err)
	return p, hex.EncodeToString(h.Sum(nil))
}

// objectSHA256 streams the stored object and hashes it.
func (g *gateway) objectSHA256(t *testing.T, key string) (int64, string) {
	t.Helper()
	out, err := g.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(g.Bucket), Key: aws.String(key)})
	require.NoError(t, err)
	defer out.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, out.Body)
	require.NoError(t, err)
	return n, hex.EncodeToString(h.Sum(nil))
}

// servedBy counts, per replica, the JSON log lines of requests whose path
// starts with prefix.
func (f *fleet) servedBy(prefix string) []int {
	out := make([]int, len(f.replicas))
	for i, r := range f.replicas {
		for _, line := range strings.Split(r.logs.String(), "\n") {
			if strings.Contains(line, `"msg":"http"`) && strings.Contains(line, `"path":"`+prefix) {
				out[i]++
			}
		}
	}
	return out
}

func TestFleet(t *testing.T) {
	f := startFleet(t, 10)

	t.Run("multipart upload across replicas survives losing one", func(t *testing.T) {
		// 320 MiB in 5 MiB parts: 64 parts, each signed through the load
		// balancer, enough for every replica to serve many of them and for
		// one to die half way; 1 GiB would only add disk time on CI.
		const size = 320 << 20
		path, sum := writeGenerated(t, t.TempDir(), "big.bin", size, 1)
		var killed atomic.Bool
		q := f.queue("alice", upload.Options{PartSize: 5 << 20, PartConcurrency: 4}, func(e upload.Event) {
			if e.State == upload.Uploading && e.Sent > size/2 && killed.CompareAndSwap(false, true) {
				f.replicas[2].kill()
			}
		})
		before := f.servedBy(api.RouteMultipart)
		e := q.run(t, path)[0]
		require.Equal(t, upload.Done, e.State, "%v", e.Err)
		require.True(t, killed.Load())
		n, got := f.g.objectSHA256(t, e.Result.Key)
		assert.Equal(t, int64(size), n)
		assert.Equal(t, sum, got, "stored object is byte-identical")
		after := f.servedBy(api.RouteMultipart)
		for i := range after {
			assert.Positive(t, after[i]-before[i], "replica %d served requests of the upload", i)
		}
	})

	t.Run("max_files = 10 holds across replicas", func(t *testing.T) {
		c := f.client("bob")
		for i := range 10 {
			_, err := c.Params(context.Background(), fmt.Sprintf("%d.txt", i), "text/plain", 1, nil)
			require.NoError(t, err, "file %d", i+1)
		}
		path, _ := writeGenerated(t, t.TempDir(), "eleventh.txt", 100, 2)
		q := f.queue("bob", upload.Options{}, nil)
		e := q.run(t, path)[0]
		require.Equal(t, upload.Failed, e.State)
		assert.Contains(t, upload.Reason(e.Err), "the limit is 10 files per day")
		data, err := os.ReadFile(f.nginxLog)
		require.NoError(t, err)
		// Refused once, not retried.
		assert.Equal(t, 1, strings.Count(string(data), "POST "+api.RouteParamsBatch+" "))
		served := f.servedBy(api.RouteParams)
		assert.Positive(t, served[0])
		assert.Positive(t, served[1], "the ten passed on whichever replica they hit")
	})

	t.Run("Redis down: new files refused, admitted uploads finish, recovery", func(t *testing.T) {
		c := f.client("carol")
		ctx := context.Background()
		single, err := c.Params(ctx, "signed.txt", "text/plain", 5, nil)
		require.NoError(t, err)
		cr, err := c.CreateMultipart(ctx, api.CreateMultipartRequest{Filename: "m.bin", Type: "application/octet-stream", Size: 6})
		require.NoError(t, err)

		f.rds.kill()
		_, err = c.Params(ctx, "new.txt", "text/plain", 1, nil)
		var ae *api.Error
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, http.StatusServiceUnavailable, ae.Status)
		assert.Contains(t, ae.Message, "the upload service is unavailable")
		resp, err := http.Get(f.URL + api.RouteHealth)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)

		// What was signed before finishes.
		put := func(method, u string, h map[string]string, body string) string {
			req, err := http.NewRequest(method, u, strings.NewReader(body))
			require.NoError(t, err)
			for k, v := range h {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
			return resp.Header.Get("ETag")
		}
		put(single.Method, single.URL, single.Headers, "hello")
		ref := upload.MultipartRef{Key: cr.Key, UploadID: cr.UploadID, Token: cr.Token}
		sp, err := c.SignPart(ctx, ref, 1, "")
		require.NoError(t, err)
		etag := put(http.MethodPut, sp.URL, sp.Headers, "sixsix")
		_, err = c.Complete(ctx, ref, []api.Part{{PartNumber: 1, ETag: etag}})
		require.NoError(t, err)

		// A new upload gives up soon, saying why.
		path, _ := writeGenerated(t, t.TempDir(), "later.txt", 100, 3)
		start := time.Now()
		e := f.queue("carol", upload.Options{}, nil).run(t, path)[0]
		require.Equal(t, upload.Failed, e.State)
		assert.Less(t, time.Since(start), time.Minute)
		assert.Contains(t, upload.Reason(e.Err), "The upload service is unavailable")

		f.rds.start()
		e = f.queue("carol", upload.Options{}, nil).run(t, path)[0]
		require.Equal(t, upload.Done, e.State, "%v", e.Err)
	})
}
