// Command backend benchmarks ferry-backend as a fleet: the real binary,
// replicas behind Debian's nginx (round robin), limits in Redis, versitygw
// as S3 — the setup of backend/README-config.md ("Running several replicas") and the fleet test.
//
//	go run ./bench/backend [-runs 3] [-files 2000] [-file-size 100KB] [-signs 20000]
//
// It measures, each run repeated and reported as median and spread:
//   - a folder of small files (2 000 × 100 KB) uploaded with Ferry's upload
//     engine through 3 replicas with the backend's DEFAULT limits, against
//     rclone copying the same folder to the same S3 server (when
//     bin/rclone exists; `make bench-tools` builds it);
//   - part signing (GET /s3/multipart/{id}/{n}) through nginx with 1 and
//     with 3 replicas at concurrency 16: requests per second, p50 and p99.
//
// Every replica runs with auth "none" (it listens on 127.0.0.1 only).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/upload"
)

const (
	access = "ferrybenchaccess"
	secret = "ferrybenchsecret0123456789"
	bucket = "bench"
)

func main() {
	runs := flag.Int("runs", 3, "runs of each measurement")
	files := flag.Int("files", 2000, "files in the folder")
	fileSize := flag.String("file-size", "100KB", "size of each file")
	signs := flag.Int("signs", 20000, "part-signing requests per run")
	conc := flag.Int("concurrency", 16, "concurrent signing clients")
	gwBin := flag.String("versitygw", "bin/versitygw", "versitygw binary")
	rclone := flag.String("rclone", "bin/rclone", "rclone binary (skipped when absent)")
	flag.Parse()
	fs, err := backend.ParseByteSize(*fileSize)
	check(err)
	check(run(*runs, *files, fs, *signs, *conc, *gwBin, *rclone))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/backend:", err)
		os.Exit(1)
	}
}

type env struct {
	dir, bin, gw string
	s3           *s3.Client
	redis        string // redis://host:port, without the database
	db           int    // the next fleet's Redis database: fleets share no buckets
	procs        []*exec.Cmd
}

func (e *env) stop() {
	for _, p := range slices.Backward(e.procs) {
		_ = p.Process.Signal(os.Interrupt)
		_ = p.Wait()
	}
}

func freeAddr() string {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().String()
}

func waitPort(addr string) error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp4", addr); err == nil {
			c.Close()
			return nil
		}
	}
	return fmt.Errorf("%s did not start listening", addr)
}

func (e *env) start(name string, args []string, extraEnv []string, addr string) error {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), extraEnv...)
	out, err := os.Create(filepath.Join(e.dir, filepath.Base(name)+"-"+strings.ReplaceAll(addr, ":", "_")+".log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	e.procs = append(e.procs, cmd)
	return waitPort(addr)
}

func run(runs, nfiles int, fileSize int64, signs, conc int, gwBin, rclone string) error {
	dir, err := os.MkdirTemp("", "ferry-bench-backend-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	e := &env{dir: dir}
	defer e.stop()
	e.bin = filepath.Join(dir, "ferry-backend")
	if out, err := exec.Command("go", "build", "-o", e.bin, "./cmd/ferry-backend").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	gwAddr := freeAddr()
	root := filepath.Join(dir, "s3")
	check(os.MkdirAll(root, 0o755))
	if err := e.start(gwBin, []string{"--port", gwAddr, "--quiet", "posix", root},
		[]string{"ROOT_ACCESS_KEY_ID=" + access, "ROOT_SECRET_ACCESS_KEY=" + secret}, gwAddr); err != nil {
		return err
	}
	e.gw = "http://" + gwAddr
	e.s3 = s3.New(s3.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(access, secret, "")},
		backend.S3ClientOptions(backend.StorageConfig{Endpoint: e.gw, PathStyle: true}))
	if _, err := e.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return err
	}
	redisAddr := freeAddr()
	_, port, _ := net.SplitHostPort(redisAddr)
	if err := e.start("redis-server", []string{"--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no", "--dir", dir}, nil, redisAddr); err != nil {
		return err
	}
	e.redis = "redis://" + redisAddr

	folder := filepath.Join(dir, "folder")
	check(os.MkdirAll(folder, 0o755))
	buf := make([]byte, fileSize)
	for i := range nfiles {
		for j := range buf {
			buf[j] = byte(i*31 + j*7)
		}
		check(os.WriteFile(filepath.Join(folder, fmt.Sprintf("photo-%04d.jpg", i)), buf, 0o644))
	}

	// Default limits for the folder; signing measures the service, not the
	// limiter, so its rate limit is lifted (Redis is still asked every time).
	fleet3, err := e.fleet(3, false)
	if err != nil {
		return err
	}
	fmt.Printf("folder: %d files × %d bytes; %d runs; %d CPUs shared with whatever else runs\n", nfiles, fileSize, runs, runtimeCPUs())
	var ferryT, rcloneT []float64
	for i := range runs {
		d, failed, err := uploadFolder(fleet3, folder)
		if err != nil {
			return err
		}
		ferryT = append(ferryT, d.Seconds())
		line := fmt.Sprintf("run %d: ferry %.2fs (%d failed)", i+1, d.Seconds(), failed)
		if _, err := os.Stat(rclone); err == nil {
			rd, err := rcloneCopy(e, rclone, folder, i)
			if err != nil {
				return err
			}
			rcloneT = append(rcloneT, rd.Seconds())
			line += fmt.Sprintf(" | rclone %.2fs", rd.Seconds())
		}
		fmt.Println(line)
		if failed > 0 {
			return fmt.Errorf("%d files failed with the default config", failed)
		}
	}
	fmt.Printf("folder, ferry (3 replicas, default limits): %s\n", summary(ferryT, "s"))
	if len(rcloneT) > 0 {
		fmt.Printf("folder, rclone copy: %s; ratio of medians %.2f (target ≤ 0.6)\n", summary(rcloneT, "s"), median(ferryT)/median(rcloneT))
	} else {
		fmt.Printf("folder, rclone: not measured (%s absent)\n", rclone)
	}

	for _, n := range []int{1, 3} {
		url, err := e.fleet(n, true)
		if err != nil {
			return err
		}
		var rps, p50, p99 []float64
		for range runs {
			r, a, b, err := signParts(url, signs, conc)
			if err != nil {
				return err
			}
			rps, p50, p99 = append(rps, r), append(p50, a), append(p99, b)
		}
		fmt.Printf("part signing, %d replica(s), concurrency %d: %s; p50 %s; p99 %s\n", n, conc,
			summary(rps, " req/s"), summary(p50, " ms"), summary(p99, " ms"))
	}
	return nil
}

func runtimeCPUs() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

// fleet starts n replicas and nginx in front, and returns nginx's URL.
func (e *env) fleet(n int, liftRate bool) (string, error) {
	lb := freeAddr()
	redisURL := fmt.Sprintf("%s/%d", e.redis, e.db)
	e.db++
	var ups []string
	for range n {
		addr := freeAddr()
		ups = append(ups, addr)
		cfg := fmt.Sprintf("listen = %q\npublic_url = %q\n[auth]\ntype = \"none\"\n[storage]\ndriver = \"s3\"\nendpoint = %q\nregion = \"us-east-1\"\nbucket = %q\npath_style = true\n[state]\nsecret_env = \"FERRY_BENCH_SECRET\"\nredis_url = %q\n",
			addr, "http://"+lb, e.gw, bucket, redisURL)
		if liftRate {
			cfg += "[limits]\nrequests_per_second = 1000000\nburst = 1000000\n"
		}
		p := filepath.Join(e.dir, "backend-"+strings.ReplaceAll(addr, ":", "_")+".toml")
		if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
			return "", err
		}
		if err := e.start(e.bin, []string{"--config", p}, []string{"FERRY_BENCH_SECRET=" + strings.Repeat("b", 40),
			"AWS_ACCESS_KEY_ID=" + access, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_EC2_METADATA_DISABLED=true",
			"AWS_CONFIG_FILE=" + filepath.Join(e.dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(e.dir, "none")}, addr); err != nil {
			return "", err
		}
	}
	nd := filepath.Join(e.dir, "nginx-"+strings.ReplaceAll(lb, ":", "_"))
	if err := os.MkdirAll(nd, 0o700); err != nil {
		return "", err
	}
	var b strings.Builder
	if os.Geteuid() == 0 {
		b.WriteString("user root;\n")
	}
	fmt.Fprintf(&b, "worker_processes 1;\ndaemon off;\npid %[1]s/nginx.pid;\nerror_log %[1]s/error.log;\nevents { worker_connections 1024; }\nhttp {\n access_log off;\n client_body_temp_path %[1]s/cb; proxy_temp_path %[1]s/px; fastcgi_temp_path %[1]s/fc; uwsgi_temp_path %[1]s/uw; scgi_temp_path %[1]s/sc;\n upstream ferry_backend {\n", nd)
	for _, u := range ups {
		fmt.Fprintf(&b, "  server %s max_fails=1 fail_timeout=5s;\n", u)
	}
	fmt.Fprintf(&b, "  keepalive 32;\n }\n server {\n  listen %s;\n  location / {\n   proxy_pass http://ferry_backend;\n   proxy_http_version 1.1;\n   proxy_set_header Connection \"\";\n   proxy_set_header Host $host;\n   proxy_set_header X-Request-ID $request_id;\n   proxy_next_upstream error timeout http_502;\n  }\n }\n}\n", lb)
	conf := filepath.Join(nd, "nginx.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		return "", err
	}
	if err := e.start("nginx", []string{"-p", nd, "-c", conf, "-e", filepath.Join(nd, "error.log")}, nil, lb); err != nil {
		return "", err
	}
	return "http://" + lb, nil
}

// uploadFolder uploads every file of folder with Ferry's engine (what
// `ferry upload FOLDER` runs) and returns the wall time and failures.
func uploadFolder(url, folder string) (time.Duration, int, error) {
	c, err := upload.NewClient(url, nil, nil)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	d, err := c.Discover(context.Background())
	if err != nil {
		return 0, 0, err
	}
	ents, err := os.ReadDir(folder)
	if err != nil {
		return 0, 0, err
	}
	var srcs []upload.Source
	for _, en := range ents {
		s, err := upload.NewLocalFile(filepath.Join(folder, en.Name()), en.Name())
		if err != nil {
			return 0, 0, err
		}
		srcs = append(srcs, s)
	}
	var failed atomic.Int64
	var firstErr atomic.Value
	q := upload.NewQueue(c, d, upload.Options{Concurrency: 16, Logger: slog.New(slog.DiscardHandler), OnEvent: func(ev upload.Event) {
		if ev.State == upload.Failed {
			failed.Add(1)
			firstErr.CompareAndSwap(nil, upload.Reason(ev.Err))
		}
	}})
	defer q.Close()
	q.Add(srcs...)
	q.Wait()
	if r := firstErr.Load(); r != nil {
		fmt.Println("first failure:", r)
	}
	return time.Since(start), int(failed.Load()), nil
}

func rcloneCopy(e *env, bin, folder string, run int) (time.Duration, error) {
	conf := filepath.Join(e.dir, "rclone.conf")
	cfg := fmt.Sprintf("[bench]\ntype = s3\nprovider = Other\naccess_key_id = %s\nsecret_access_key = %s\nendpoint = %s\nregion = us-east-1\nforce_path_style = true\n", access, secret, e.gw)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		return 0, err
	}
	start := time.Now()
	cmd := exec.Command(bin, "--config", conf, "copy", "--transfers", "16", "--checkers", "16", "--s3-no-check-bucket",
		folder, fmt.Sprintf("bench:%s/rclone-%d", bucket, run))
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("rclone: %v\n%s", err, out)
	}
	return time.Since(start), nil
}

// signParts starts one multipart upload and signs its parts from conc
// clients until n requests are done.
func signParts(base string, n, conc int) (rps, p50, p99 float64, err error) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	resp, err := hc.Post(base+api.RouteMultipart, "application/json", strings.NewReader(`{"filename":"big.bin","type":"application/octet-stream","size":1073741824}`))
	if err != nil {
		return 0, 0, 0, err
	}
	var cr api.CreateMultipartResponse
	err = json.NewDecoder(resp.Body).Decode(&cr)
	resp.Body.Close()
	if err != nil || cr.UploadID == "" {
		return 0, 0, 0, fmt.Errorf("create multipart: %d %v", resp.StatusCode, err)
	}
	q := url.Values{"key": {cr.Key}, "token": {cr.Token}}.Encode()
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				r, err := hc.Get(fmt.Sprintf("%s%s/%s/%d?%s", base, api.RouteMultipart, url.PathEscape(cr.UploadID), i%100+1, q))
				if err != nil {
					failed.CompareAndSwap(nil, err.Error())
					return
				}
				_, _ = io.Copy(io.Discard, r.Body)
				r.Body.Close()
				if r.StatusCode != http.StatusOK {
					failed.CompareAndSwap(nil, r.Status)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if f := failed.Load(); f != nil {
		return 0, 0, 0, fmt.Errorf("signing failed: %v", f)
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return float64(n) / wall.Seconds(), ms(lat[n/2]), ms(lat[n*99/100]), nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// summary is "median X (min–max) unit".
func summary(v []float64, unit string) string {
	return fmt.Sprintf("median %.2f%s (%.2f–%.2f)", median(v), unit, slices.Min(v), slices.Max(v))
}
