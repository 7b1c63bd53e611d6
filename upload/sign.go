package upload

import (
	"context"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// signedURL is one presigned storage request.
type signedURL struct {
	url     string
	headers map[string]string
	expires time.Time // zero when unknown
	life    time.Duration
}

// fresh reports whether the URL is still worth trying: a quarter of its
// lifetime (at most 30s) is kept in reserve for the request to arrive.
func (s signedURL) fresh(now time.Time) bool {
	if s.expires.IsZero() {
		return true
	}
	margin := min(s.life/4, 30*time.Second)
	return now.Add(margin).Before(s.expires)
}

// urlExpiry reads a SigV4 presigned URL's X-Amz-Date and X-Amz-Expires; when
// the URL has neither it falls back to the answer's "expires" (seconds from
// now). Both zero: unknown, and the engine relies on re-signing on 403.
func urlExpiry(raw string, expiresIn int64, now time.Time) (time.Time, time.Duration) {
	if u, err := url.Parse(raw); err == nil {
		q := u.Query()
		if t, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date")); err == nil {
			if s, err := strconv.Atoi(q.Get("X-Amz-Expires")); err == nil && s > 0 {
				d := time.Duration(s) * time.Second
				return t.Add(d), d
			}
		}
	}
	if expiresIn > 0 {
		d := time.Duration(expiresIn) * time.Second
		return now.Add(d), d
	}
	return time.Time{}, 0
}

// partSigner signs multipart parts just in time. Without checksums it signs
// a small batch ahead (one backend call for several parts) and hands each URL
// out once; a retried attempt asks again, so an expired URL is never reused.
// With checksums every part is signed alone, bound to its SHA-256.
type partSigner struct {
	c        *Client
	ref      MultipartRef
	batch    bool
	ahead    int
	nparts   int
	isNeeded func(n int) bool // false for parts already stored

	mu    sync.Mutex
	cache map[int]signedURL
}

func (s *partSigner) get(ctx context.Context, n int, checksum string) (signedURL, error) {
	now := time.Now()
	if checksum != "" || !s.batch {
		r, err := s.c.SignPart(ctx, s.ref, n, checksum)
		if err != nil {
			return signedURL{}, err
		}
		exp, life := urlExpiry(r.URL, r.Expires, now)
		return signedURL{url: r.URL, headers: r.Headers, expires: exp, life: life}, nil
	}
	s.mu.Lock()
	if u, ok := s.cache[n]; ok {
		delete(s.cache, n)
		if u.fresh(now) {
			s.mu.Unlock()
			return u, nil
		}
	}
	nums := []int{n}
	for m := n + 1; m <= s.nparts && len(nums) <= s.ahead; m++ {
		if _, ok := s.cache[m]; !ok && s.isNeeded(m) {
			nums = append(nums, m)
		}
	}
	s.mu.Unlock()
	r, err := s.c.SignParts(ctx, s.ref, nums)
	if err != nil {
		return signedURL{}, err
	}
	var mine signedURL
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, raw := range r.PresignedURLs {
		m, err := strconv.Atoi(k)
		if err != nil {
			continue
		}
		exp, life := urlExpiry(raw, 0, now)
		u := signedURL{url: raw, headers: r.Headers, expires: exp, life: life}
		if m == n {
			mine = u
		} else if s.isNeeded(m) {
			s.cache[m] = u
		}
	}
	if mine.url == "" {
		return signedURL{}, errNoURL
	}
	return mine, nil
}
