// Command backend benchmarks ferry-backend's two hottest contract routes at
// concurrency 16: creating multipart uploads (POST /s3/multipart, which calls
// the storage's CreateMultipartUpload) and signing parts
// (GET /s3/multipart/{uploadId}/{partNumber}). The real ferry-backend binary
// runs with the s3 driver in front of versitygw, or with the local driver,
// on 127.0.0.1 with auth "none" and limits raised out of the way; a fresh
// backend per run. Reported per route: requests per second, p50 and p99
// latency; per run: the backend's peak RSS (VmHWM). Median and spread
// (min–max) over the runs.
//
//	go run ./bench/backend [-runs 3] [-c 16] [-creates 2000] [-signs 20000] [-versitygw bin/versitygw] [-backend bin/ferry-backend]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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

type result struct {
	rps, p50, p99 float64 // req/s, ms, ms
}

type runResult struct {
	create, sign result
	rssMiB       float64
}

func main() {
	runs := flag.Int("runs", 3, "runs per driver (median and spread reported)")
	conc := flag.Int("c", 16, "concurrent clients")
	creates := flag.Int("creates", 2000, "multipart creates per run")
	signs := flag.Int("signs", 20000, "part signatures per run")
	gwBin := flag.String("versitygw", "bin/versitygw", "versitygw binary (make tools builds it)")
	beBin := flag.String("backend", "bin/ferry-backend", "ferry-backend binary")
	drivers := flag.String("drivers", "s3,local", "storage drivers to run")
	flag.Parse()
	ctx := context.Background()
	fmt.Printf("ferry-backend at concurrency %d, %d runs per driver (median, min–max)\n\n", *conc, *runs)
	fmt.Printf("| driver | route | req/s | p50 ms | p99 ms | peak RSS MiB |\n|---|---|---|---|---|---|\n")
	failed := false
	for _, drv := range strings.Split(*drivers, ",") {
		var rs []runResult
		for i := 0; i < *runs; i++ {
			r, err := oneRun(ctx, drv, *gwBin, *beBin, *conc, *creates, *signs)
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench/backend: %s run %d: %v\n", drv, i+1, err)
				failed = true
				break
			}
			fmt.Fprintf(os.Stderr, "%s run %d: create %.0f req/s p50 %.2f p99 %.2f; sign %.0f req/s p50 %.2f p99 %.2f; RSS %.1f MiB\n",
				drv, i+1, r.create.rps, r.create.p50, r.create.p99, r.sign.rps, r.sign.p50, r.sign.p99, r.rssMiB)
			rs = append(rs, r)
		}
		if len(rs) == 0 {
			continue
		}
		rss := stat(rs, func(r runResult) float64 { return r.rssMiB })
		for _, route := range []struct {
			name string
			get  func(runResult) result
		}{
			{"create multipart", func(r runResult) result { return r.create }},
			{"sign part", func(r runResult) result { return r.sign }},
		} {
			fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", drv, route.name,
				stat(rs, func(r runResult) float64 { return route.get(r).rps }),
				stat(rs, func(r runResult) float64 { return route.get(r).p50 }),
				stat(rs, func(r runResult) float64 { return route.get(r).p99 }), rss)
		}
	}
	if failed {
		os.Exit(1)
	}
}

// stat formats the median and the min–max of f over rs.
func stat(rs []runResult, f func(runResult) float64) string {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	format := func(x float64) string {
		if x >= 100 {
			return strconv.FormatFloat(x, 'f', 0, 64)
		}
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
	return fmt.Sprintf("%s (%s–%s)", format(v[len(v)/2]), format(v[0]), format(v[len(v)-1]))
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitHTTP(u string) error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			return nil
		}
	}
	return fmt.Errorf("%s did not answer", u)
}

func oneRun(ctx context.Context, drv, gwBin, beBin string, conc, creates, signs int) (runResult, error) {
	dir, err := os.MkdirTemp("", "ferry-bench-backend-")
	if err != nil {
		return runResult{}, err
	}
	defer os.RemoveAll(dir)
	addr, err := freeAddr()
	if err != nil {
		return runResult{}, err
	}
	cfg := fmt.Sprintf("listen = %q\nname = \"bench\"\n[auth]\ntype = \"none\"\n[upload]\nmax_files = 0\n[limits]\nrequests_per_second = 1000000\nburst = 1000000\n", addr)
	env := os.Environ()
	switch drv {
	case "s3":
		gwAddr, err := freeAddr()
		if err != nil {
			return runResult{}, err
		}
		root := filepath.Join(dir, "s3")
		if err := os.MkdirAll(root, 0o755); err != nil {
			return runResult{}, err
		}
		gw := exec.Command(gwBin, "--port", gwAddr, "--quiet", "posix", root)
		gw.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+access, "ROOT_SECRET_ACCESS_KEY="+secret)
		gw.Stderr = os.Stderr
		if err := gw.Start(); err != nil {
			return runResult{}, fmt.Errorf("versitygw (run `make tools`): %w", err)
		}
		defer func() { _ = gw.Process.Kill(); _ = gw.Wait() }()
		if err := waitHTTP("http://" + gwAddr + "/"); err != nil {
			return runResult{}, err
		}
		client := s3.New(s3.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(access, secret, "")},
			backend.S3ClientOptions(backend.StorageConfig{Endpoint: "http://" + gwAddr, PathStyle: true}))
		if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			return runResult{}, err
		}
		cfg += fmt.Sprintf("[storage]\ndriver = \"s3\"\nendpoint = \"http://%s\"\nbucket = %q\npath_style = true\n", gwAddr, bucket)
		env = append(env, "AWS_ACCESS_KEY_ID="+access, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_EC2_METADATA_DISABLED=true",
			"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"))
	case "local":
		cfg += fmt.Sprintf("[storage]\ndriver = \"local\"\ndir = %q\n", filepath.Join(dir, "files"))
	default:
		return runResult{}, fmt.Errorf("unknown driver %q", drv)
	}
	cfgFile := filepath.Join(dir, "backend.toml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		return runResult{}, err
	}
	be := exec.Command(beBin, "--config", cfgFile)
	be.Env = env
	be.Stdout, be.Stderr = io.Discard, io.Discard // access logs: one line per request
	if err := be.Start(); err != nil {
		return runResult{}, fmt.Errorf("ferry-backend (make build): %w", err)
	}
	defer func() { _ = be.Process.Kill(); _ = be.Wait() }()
	base := "http://" + addr
	if err := waitHTTP(base + api.RouteHealth); err != nil {
		return runResult{}, err
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2}}

	var r runResult
	var one api.CreateMultipartResponse
	r.create, err = load(conc, creates, func(i int) error {
		body, _ := json.Marshal(api.CreateMultipartRequest{Filename: fmt.Sprintf("f%d.bin", i), Type: "application/octet-stream"})
		var cr api.CreateMultipartResponse
		if err := call(hc, http.MethodPost, base+api.RouteMultipart, body, &cr); err != nil {
			return err
		}
		if i == 0 {
			one = cr
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("create: %w", err)
	}
	q := "?" + url.Values{"key": {one.Key}}.Encode()
	r.sign, err = load(conc, signs, func(i int) error {
		var sp api.SignPartResponse
		return call(hc, http.MethodGet, base+api.RouteMultipart+"/"+url.PathEscape(one.UploadID)+"/"+strconv.Itoa(i%1000+1)+q, nil, &sp)
	})
	if err != nil {
		return r, fmt.Errorf("sign: %w", err)
	}
	r.rssMiB, err = peakRSS(be.Process.Pid)
	return r, err
}

func call(hc *http.Client, method, u string, body []byte, out any) error {
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, req.URL.Path, resp.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}

// load runs n calls of fn on conc workers and measures each call.
func load(conc, n int, fn func(i int) error) (result, error) {
	lat := make([]time.Duration, n)
	var next int
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := firstErr != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				t := time.Now()
				err := fn(i)
				lat[i] = time.Since(t)
				if err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return result{}, firstErr
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return result{rps: float64(n) / elapsed.Seconds(), p50: ms(lat[n/2]), p99: ms(lat[n*99/100])}, nil
}

// peakRSS reads the process's VmHWM from /proc.
func peakRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			return kb / 1024, err
		}
	}
	return 0, errors.New("no VmHWM")
}
