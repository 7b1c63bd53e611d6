package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ferry-app/ferry/internal/retry"
)

// defaultStall is how long a body may stand still before the attempt is
// abandoned and retried.
const defaultStall = 60 * time.Second

// expectContinueMin is the body size from which a request first asks the
// storage whether it will take it (as the AWS SDKs do above 2 MB).
const expectContinueMin = 2 << 20

// send makes one storage request (a presigned PUT or a tus PATCH) with body
// of exactly size bytes, counting bytes into p. A body that stops moving for
// stall ends the attempt with errStalled, which the pacer retries. The
// returned error never contains the URL's query string.
func (c *Client) send(ctx context.Context, method, rawURL string, headers map[string]string, body io.Reader, size int64, p *progress, stall time.Duration) (*http.Response, error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if stall <= 0 {
		stall = defaultStall
	}
	timer := time.AfterFunc(stall, func() { cancel(errStalled) })
	defer timer.Stop()
	cr := &countingReader{r: body, p: p, tick: func() { timer.Reset(stall) }}
	var rd io.Reader = cr
	if size == 0 {
		rd = http.NoBody
	}
	req, err := http.NewRequestWithContext(actx, method, rawURL, rd)
	if err != nil {
		return nil, errors.New("backend returned an unusable upload URL")
	}
	req.ContentLength = size
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if size >= expectContinueMin {
		req.Header.Set("Expect", "100-continue")
	}
	resp, err := c.storage.Do(req)
	if err != nil {
		p.add(-cr.stop())
		if errors.Is(context.Cause(actx), errStalled) && ctx.Err() == nil {
			return nil, fmt.Errorf("%w: %w", errStalled, redactURLError(err))
		}
		if ctx.Err() != nil {
			return nil, retry.Err(ctx)
		}
		return nil, redactURLError(err)
	}
	timer.Stop()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	sent := cr.stop()
	if resp.StatusCode/100 != 2 {
		p.add(-sent)
		return nil, decodeError(resp, data)
	}
	if rerr != nil {
		p.add(-sent)
		return nil, redactURLError(rerr)
	}
	if sent != size {
		p.add(-sent)
		return nil, &SourceError{Reason: "The file changed while it was uploading", Err: fmt.Errorf("sent %d of %d bytes", sent, size)}
	}
	return resp, nil
}
