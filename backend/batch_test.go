package backend

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

func TestBatchSigningCountsFiles(t *testing.T) {
	iss := newTestIssuer(t)
	c := oidcConfig(iss, t.TempDir())
	c.Upload.MaxFiles = 5
	c.Upload.MaxFileSize = 1 << 20
	_, base := serve(t, c)
	alice := &apiClient{t: t, base: base, token: iss.token(t, "alice")}
	var d api.Discovery
	alice.json(http.MethodGet, api.WellKnownPath, nil, nil, &d)
	assert.Equal(t, MaxBatchFiles, d.Upload.ParamsBatch)

	req := api.BatchParamsRequest{}
	for _, name := range []string{"a.txt", "big.bin", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt"} {
		size := int64(len(name))
		if name == "big.bin" {
			size = 2 << 20
		}
		req.Files = append(req.Files, api.BatchFile{Filename: name, Type: "text/plain", Size: size})
	}
	var out api.BatchParamsResponse
	alice.json(http.MethodPost, api.RouteParamsBatch, nil, req, &out)
	require.Len(t, out.Files, 7)
	assert.Equal(t, api.CodeTooLarge, out.Files[1].Error.Code)
	for _, i := range []int{0, 2, 3, 4, 5} {
		require.Equal(t, http.StatusOK, out.Files[i].Status, "%d: %+v", i, out.Files[i].Error)
	}
	assert.Equal(t, http.StatusTooManyRequests, out.Files[6].Status)
	assert.Equal(t, api.CodeTooManyFiles, out.Files[6].Error.Code)
	assert.Contains(t, out.Files[6].Error.Message, "the limit is 5 files per day")
	p := out.Files[0].Params
	resp, body := put(t, p.URL, p.Headers, []byte("a.txt"))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	// The quota is used up by the batch: a single request is refused too.
	alice.apiError(http.StatusTooManyRequests, http.MethodGet, api.RouteParams, paramsQuery("g.txt", "text/plain", 1), nil)
	// More than the announced maximum is refused as a whole.
	req.Files = make([]api.BatchFile, MaxBatchFiles+1)
	alice.apiError(http.StatusBadRequest, http.MethodPost, api.RouteParamsBatch, nil, req)
}
