package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ErrLinkExpired: a pre-authenticated download URL was refused (401/403):
// it has expired. Only the API can hand out a fresh one; it never means
// the person must sign in again.
var ErrLinkExpired = errors.New("the download link expired")

// maxDownloadHops bounds the redirects FollowDownload follows.
const maxDownloadHops = 5

// FollowDownload returns resp's body from offset, following redirects to
// download hosts (https, or http on loopback) without Authorization: the
// API answers a content request with a 302 to a pre-authenticated URL that
// needs no token (OneDrive, Box). It returns the Content-Type too. A 401
// or 403 from a download host matches ErrLinkExpired: ask the API again.
func (c *Client) FollowDownload(ctx context.Context, resp *http.Response, offset int64) (io.ReadCloser, string, error) {
	for hop := 0; ; hop++ {
		switch resp.StatusCode {
		case http.StatusOK, http.StatusPartialContent:
			rc, err := SkipTo(resp, offset)
			return rc, resp.Header.Get("Content-Type"), err
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			resp.Body.Close()
			return nil, "", fmt.Errorf("unexpected answer %d from %s", resp.StatusCode, RedactURL(resp.Request.URL))
		}
		loc, lerr := resp.Location()
		resp.Body.Close()
		if lerr != nil {
			return nil, "", fmt.Errorf("a redirect without a usable Location: %w", lerr)
		}
		if hop >= maxDownloadHops {
			return nil, "", errors.New("too many redirects")
		}
		if loc.Scheme != "https" && !(loc.Scheme == "http" && IsLoopbackHost(loc.Hostname())) {
			return nil, "", fmt.Errorf("refusing a download redirect to %s", RedactURL(loc))
		}
		var err error
		if resp, err = c.fetchLink(ctx, loc, offset); err != nil {
			var he *HTTPError
			if errors.As(err, &he) && he.StatusCode == http.StatusRequestedRangeNotSatisfiable {
				return io.NopCloser(strings.NewReader("")), "", nil // offset at (or past) the end
			}
			return nil, "", err
		}
	}
}

// fetchLink GETs a download URL: no Authorization header, whatever the
// host. Its 401/403 is an expired link, kept away from Call's sign-in
// handling (which would refresh the API token for nothing).
func (c *Client) fetchLink(ctx context.Context, u *url.URL, offset int64) (*http.Response, error) {
	return c.Call(ctx, func(ctx context.Context) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		if offset > 0 {
			req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
		}
		resp, err := c.HTTP.Do(req)
		if err == nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			resp.Body.Close()
			return nil, fmt.Errorf("%s answered %d: %w", RedactURL(u), resp.StatusCode, ErrLinkExpired)
		}
		return resp, err
	})
}

// SkipTo returns resp's body from offset: a 206 must start there; a 200
// (the server ignored Range) is read past the first offset bytes.
func SkipTo(resp *http.Response, offset int64) (io.ReadCloser, error) {
	if offset == 0 {
		return resp.Body, nil
	}
	if resp.StatusCode == http.StatusPartialContent {
		var start int64 = -1
		if v, ok := strings.CutPrefix(resp.Header.Get("Content-Range"), "bytes "); ok {
			if s, _, ok := strings.Cut(v, "-"); ok {
				start, _ = strconv.ParseInt(s, 10, 64)
			}
		}
		if start != offset {
			resp.Body.Close()
			return nil, fmt.Errorf("the download server answered range %q for offset %d", resp.Header.Get("Content-Range"), offset)
		}
		return resp.Body, nil
	}
	if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
		resp.Body.Close()
		if errors.Is(err, io.EOF) {
			return io.NopCloser(strings.NewReader("")), nil
		}
		return nil, err
	}
	return resp.Body, nil
}
