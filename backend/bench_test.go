package backend

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

// BenchmarkMultipart1GiB uploads 1 GiB, generated on the fly, through
// ferry-backend's multipart routes into versitygw (16 parts of 64 MiB, 3 in
// flight), completes it, and checks the stored object's SHA-256 against what
// was sent. Run it with:
//
//	go test ./backend -run '^$' -bench Multipart1GiB -benchtime 1x
func BenchmarkMultipart1GiB(b *testing.B) {
	const (
		total    = 1 << 30
		partSize = 64 << 20
		inFlight = 3
	)
	g := startGateway(b)
	g.useCredentials(b)
	cfg := EmbeddedConfig(b.TempDir())
	cfg.Storage = StorageConfig{Driver: "s3", Endpoint: g.Endpoint, Region: "us-east-1", Bucket: g.Bucket, PathStyle: true}
	_, base := serve(b, cfg)
	c := &apiClient{t: b, base: base}
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var cr api.CreateMultipartResponse
		c.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "1GiB.bin", Type: "application/octet-stream", Size: total}, &cr)
		kq := url.Values{"key": {cr.Key}}
		nParts := total / partSize

		// Part n's bytes come from a generator seeded with n, so the whole
		// file's hash can be computed in order without keeping it in memory.
		partData := func(n int) []byte {
			buf := make([]byte, partSize)
			r := rand.NewChaCha8([32]byte{byte(n), byte(i)})
			_, _ = r.Read(buf)
			return buf
		}
		etags := make([]string, nParts+1)
		sem := make(chan struct{}, inFlight)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failed error
		for n := 1; n <= nParts; n++ {
			var sp api.SignPartResponse
			c.json(http.MethodGet, partPath(cr.UploadID, "/"+strconv.Itoa(n)), kq, nil, &sp)
			sem <- struct{}{}
			wg.Add(1)
			go func(n int, u string) {
				defer wg.Done()
				defer func() { <-sem }()
				req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(partData(n)))
				if err == nil {
					var resp *http.Response
					resp, err = http.DefaultClient.Do(req)
					if err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							err = &api.Error{Code: resp.Status}
						}
						mu.Lock()
						etags[n] = resp.Header.Get("ETag")
						mu.Unlock()
					}
				}
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			}(n, sp.URL)
		}
		wg.Wait()
		require.NoError(b, failed)
		var parts []api.Part
		for n := 1; n <= nParts; n++ {
			parts = append(parts, api.Part{PartNumber: n, ETag: etags[n]})
		}
		c.json(http.MethodPost, partPath(cr.UploadID, "/complete"), kq, api.CompleteRequest{Parts: parts}, nil)

		b.StopTimer()
		want := sha256.New()
		for n := 1; n <= nParts; n++ {
			want.Write(partData(n))
		}
		out, err := g.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(g.Bucket), Key: aws.String(cr.Key)})
		require.NoError(b, err)
		got := sha256.New()
		n, err := io.Copy(got, out.Body)
		out.Body.Close()
		require.NoError(b, err)
		require.Equal(b, int64(total), n)
		require.Equal(b, want.Sum(nil), got.Sum(nil), "stored 1 GiB object differs")
		b.StartTimer()
	}
}
