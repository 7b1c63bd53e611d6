// Command upload benchmarks `ferry upload` of a large file against a single
// presigned PUT of the same file with curl, to the same versitygw, in the
// same run: wall time and peak RSS of each client.
//
//	go run ./bench/upload [-size 1GiB] [-runs 3] [-versitygw bin/versitygw]
//
// Both clients go through the reference backend (s3 driver, auth "none" on
// 127.0.0.1): curl gets its URL from /s3/params, ferry uses its normal engine
// (multipart above the backend's 100 MiB threshold). Targets: ferry at most
// 1.15× curl's time and at most 48 MiB peak RSS.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/backend/api"
)

const (
	access = "ferrybenchaccess"
	secret = "ferrybenchsecret0123456789"
	bucket = "bench"
)

func main() {
	sizeFlag := flag.String("size", "1GiB", "file size")
	runs := flag.Int("runs", 3, "runs of each client (the median is reported)")
	gwBin := flag.String("versitygw", "bin/versitygw", "versitygw binary (make tools builds it)")
	maxRatio := flag.Float64("max-ratio", 1.15, "fail when ferry's median time exceeds curl's by more than this factor")
	maxRSS := flag.Int64("max-rss-mib", 48, "fail when ferry's peak RSS exceeds this")
	flag.BoolVar(&verbose, "verbose", false, "run ferry with --verbose and show its log")
	flag.BoolVar(&noCopyFileRange, "disable-copy-file-range", false,
		"start versitygw with --disable-copy-file-range (it then assembles multipart objects with read/write instead of copy_file_range)")
	flag.Parse()
	size, err := backend.ParseByteSize(*sizeFlag)
	check(err)
	if err := run(size, *runs, *gwBin, *maxRatio, *maxRSS); err != nil {
		fmt.Fprintln(os.Stderr, "bench/upload:", err)
		os.Exit(1)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/upload:", err)
		os.Exit(1)
	}
}

var verbose, noCopyFileRange bool

type sample struct {
	wall     time.Duration
	rss      int64 // KiB
	cpu      time.Duration
	complete time.Duration // ferry: the backend's CompleteMultipartUpload
}

func run(size int64, runs int, gwBin string, maxRatio float64, maxRSSMiB int64) error {
	dir, err := os.MkdirTemp("", "ferry-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	gw, stop, err := startGateway(ctx, gwBin, dir)
	if err != nil {
		return err
	}
	defer stop()
	beURL, err := startBackend(dir, gw)
	if err != nil {
		return err
	}
	ferry := filepath.Join(dir, "ferry")
	build := exec.Command("go", "build", "-tags", "ci", "-o", ferry, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build -tags ci: %v\n%s", err, out)
	}
	file := filepath.Join(dir, "bench.bin")
	sum, err := writeFile(file, size)
	if err != nil {
		return err
	}
	fmt.Printf("file %d bytes, sha256 %s\n", size, sum)

	home := filepath.Join(dir, "home")
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"FERRY_ADMIN_CONFIG="+filepath.Join(home, "none.toml"), "FERRY_BACKEND="+beURL)

	var curlS, ferryS []sample
	for i := range runs {
		c, err := curlPut(ctx, beURL, file, size)
		if err != nil {
			return err
		}
		f, key, got, err := ferryUpload(ferry, file, env)
		if err != nil {
			return err
		}
		if got != sum {
			return fmt.Errorf("ferry reported sha256 %s, want %s", got, sum)
		}
		if stored, err := objectSHA256(ctx, gw, key); err != nil || stored != sum {
			return fmt.Errorf("stored object %s: sha256 %s (%v), want %s", key, stored, err, sum)
		}
		fmt.Printf("run %d: curl %5.2fs %5.1f MiB RSS %4.2fs CPU | ferry %5.2fs (parts %4.2fs + complete %4.2fs) %5.1f MiB RSS %4.2fs CPU\n", i+1,
			c.wall.Seconds(), float64(c.rss)/1024, c.cpu.Seconds(), f.wall.Seconds(), (f.wall - f.complete).Seconds(),
			f.complete.Seconds(), float64(f.rss)/1024, f.cpu.Seconds())
		// Keep the disk as empty as at the start for the next run.
		for _, k := range []string{key, "curl"} {
			deleteObjects(ctx, gw, k)
		}
		curlS, ferryS = append(curlS, c), append(ferryS, f)
	}
	cm, fm := median(curlS), median(ferryS)
	var peak int64
	for _, s := range ferryS {
		peak = max(peak, s.rss)
	}
	ratio := fm.wall.Seconds() / cm.wall.Seconds()
	fmt.Printf("median: curl %.2fs (%.0f MB/s), ferry %.2fs (%.0f MB/s), ratio %.3f (target ≤ %.2f); ferry peak RSS %.1f MiB (target ≤ %d)\n",
		cm.wall.Seconds(), float64(size)/cm.wall.Seconds()/1e6, fm.wall.Seconds(), float64(size)/fm.wall.Seconds()/1e6,
		ratio, maxRatio, float64(peak)/1024, maxRSSMiB)
	fmt.Printf("ferry without the storage's multipart assembly (CompleteMultipartUpload): %.2fs, ratio %.3f\n",
		(fm.wall - fm.complete).Seconds(), (fm.wall-fm.complete).Seconds()/cm.wall.Seconds())
	if ratio > maxRatio || peak > maxRSSMiB*1024 {
		return fmt.Errorf("targets missed")
	}
	return nil
}

func median(s []sample) sample {
	c := slices.Clone(s)
	slices.SortFunc(c, func(a, b sample) int { return int(a.wall - b.wall) })
	return c[len(c)/2]
}

func cpu(ps *os.ProcessState) time.Duration { return ps.UserTime() + ps.SystemTime() }

// timed wraps a command in GNU time, which reports the child's own peak RSS
// (KiB) in rssFile; the wait status rusage alone is not trusted for that.
func timed(rssFile, name string, args ...string) *exec.Cmd {
	return exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", rssFile, name}, args...)...)
}

func readRSS(rssFile string) int64 {
	b, err := os.ReadFile(rssFile)
	if err != nil {
		return -1
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	n, _ := strconv.ParseInt(string(lines[len(lines)-1]), 10, 64)
	return n
}

// curlPut asks the backend for a single presigned PUT and sends the file
// with curl.
func curlPut(ctx context.Context, beURL, file string, size int64) (sample, error) {
	q := url.Values{"filename": {"curl.bin"}, "type": {"application/octet-stream"}, "size": {strconv.FormatInt(size, 10)}}
	resp, err := http.Get(beURL + api.RouteParams + "?" + q.Encode())
	if err != nil {
		return sample{}, err
	}
	defer resp.Body.Close()
	var p api.ParamsResponse
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.StatusCode != 200 {
		return sample{}, fmt.Errorf("params: %d %v", resp.StatusCode, err)
	}
	args := []string{"-sS", "-f", "-X", "PUT", "-T", file, "-o", "/dev/null", "-H", "Expect:"}
	for k, v := range p.Headers {
		args = append(args, "-H", k+": "+v)
	}
	args = append(args, p.URL)
	rssFile := filepath.Join(os.TempDir(), fmt.Sprintf("ferry-bench-rss-%d", os.Getpid()))
	defer os.Remove(rssFile)
	syscall.Sync()
	cmd := timed(rssFile, "curl", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("curl: %v: %s", err, stderr.String())
	}
	return sample{wall: time.Since(start), rss: readRSS(rssFile), cpu: cpu(cmd.ProcessState)}, nil
}

func ferryUpload(bin, file string, env []string) (sample, string, string, error) {
	args := []string{"--verbose", "upload", "--json", file}
	syscall.Sync() // earlier runs' dirty pages must not slow this one
	rssFile := filepath.Join(os.TempDir(), fmt.Sprintf("ferry-bench-rss-%d", os.Getpid()))
	defer os.Remove(rssFile)
	cmd := timed(rssFile, bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return sample{}, "", "", fmt.Errorf("ferry upload: %v: %s", err, stderr.String())
	}
	s := sample{wall: time.Since(start), rss: readRSS(rssFile), cpu: cpu(cmd.ProcessState)}
	for _, l := range bytes.Split(stderr.Bytes(), []byte("\n")) {
		if bytes.Contains(l, []byte(`msg="multipart upload completed"`)) {
			if i := bytes.Index(l, []byte("dur=")); i >= 0 {
				s.complete, _ = time.ParseDuration(string(bytes.Fields(l[i+4:])[0]))
			}
		}
		if verbose && bytes.Contains(l, []byte("level=")) && !bytes.Contains(l, []byte("part stored")) {
			fmt.Printf("  ferry: %s\n", l)
		}
	}
	var res struct {
		Key    string `json:"key"`
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return sample{}, "", "", fmt.Errorf("ferry output %q: %v", stdout.String(), err)
	}
	return s, res.Key, res.SHA256, nil
}

type gateway struct {
	endpoint string
	client   *s3.Client
}

func startGateway(ctx context.Context, bin, dir string) (*gateway, func(), error) {
	root := filepath.Join(dir, "s3")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, nil, err
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	addr := l.Addr().String()
	l.Close()
	args := []string{"--port", addr, "--quiet", "posix"}
	if noCopyFileRange {
		args = append(args, "--disable-copy-file-range")
	}
	cmd := exec.Command(bin, append(args, root)...)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+access, "ROOT_SECRET_ACCESS_KEY="+secret)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("versitygw (run `make tools`): %w", err)
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := net.Dial("tcp4", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, fmt.Errorf("versitygw did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	g := &gateway{endpoint: "http://" + addr}
	g.client = s3.New(s3.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(access, secret, "")},
		backend.S3ClientOptions(backend.StorageConfig{Endpoint: g.endpoint, PathStyle: true}))
	if _, err := g.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		stop()
		return nil, nil, err
	}
	return g, stop, nil
}

func startBackend(dir string, g *gateway) (string, error) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret,
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_EC2_METADATA_DISABLED": "true"} {
		os.Setenv(k, v)
	}
	os.Unsetenv("AWS_PROFILE")
	os.Unsetenv("AWS_SESSION_TOKEN")
	cfg := backend.DefaultConfig()
	cfg.Filename = "(bench)"
	cfg.Listen = "127.0.0.1:0"
	cfg.StateDir = filepath.Join(dir, "state")
	cfg.Auth = backend.AuthConfig{Type: api.AuthNone}
	cfg.Storage = backend.StorageConfig{Driver: "s3", Endpoint: g.endpoint, Region: "us-east-1", Bucket: bucket, PathStyle: true}
	cfg.Upload.MaxFiles = 0
	srv, err := backend.New(cfg, backend.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return "", err
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String(), nil
}

// deleteObjects removes the object key, or every object whose key contains
// the word (curl's key is chosen by the backend).
func deleteObjects(ctx context.Context, g *gateway, key string) {
	out, err := g.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		return
	}
	for _, o := range out.Contents {
		if k := aws.ToString(o.Key); k == key || strings.Contains(k, key+".bin") {
			_, _ = g.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		}
	}
}

func writeFile(p string, size int64) (string, error) {
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	rng := rand.NewChaCha8([32]byte{42})
	h := sha256.New()
	buf := make([]byte, 4<<20)
	for left := size; left > 0; {
		n := min(int64(len(buf)), left)
		_, _ = rng.Read(buf[:n])
		if _, err := f.Write(buf[:n]); err != nil {
			return "", err
		}
		h.Write(buf[:n])
		left -= n
	}
	return hex.EncodeToString(h.Sum(nil)), f.Close()
}

func objectSHA256(ctx context.Context, g *gateway, key string) (string, error) {
	out, err := g.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, out.Body); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
