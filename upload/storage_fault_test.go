package upload

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

// TestStorageThatCannotBeWrittenFailsTheFileAtOnce is issue 20 item 5: a
// storage error the backend knows is permanent fails the file after one
// attempt (not minutes of retries that look like a slow upload), saying
// what happened, where, and what the person can do.
func TestStorageThatCannotBeWrittenFailsTheFileAtOnce(t *testing.T) {
	for _, c := range []struct {
		code   string
		local  bool
		reason string
	}{
		{api.CodeStorageUnwritable, true, "Cannot write to /home/ann/files: permission denied. Make sure you may write to that folder, then retry."},
		{api.CodeStorageFull, true, "Cannot write to /home/ann/files: the disk is full. Free some space on that disk, then retry."},
		{api.CodeStorageFull, false, "Cannot write to the upload service's storage: the disk is full. Contact your administrator."},
	} {
		var puts atomic.Int32
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.URL.Path == "/s3/params":
				_ = json.NewEncoder(w).Encode(api.ParamsResponse{Method: http.MethodPut, URL: srv.URL + "/storage/k", Key: "k"})
			case r.Method == http.MethodPut:
				puts.Add(1)
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(http.StatusInsufficientStorage)
				where := "/home/ann/files"
				if !c.local {
					where = "the upload service's storage"
				}
				why := "permission denied"
				if c.code == api.CodeStorageFull {
					why = "the disk is full"
				}
				_ = json.NewEncoder(w).Encode(api.Error{Code: c.code, Message: "Cannot write to " + where + ": " + why, Local: c.local})
			default:
				http.NotFound(w, r)
			}
		}))
		client, err := NewClient(srv.URL, func(context.Context) (string, error) { return "t", nil }, nil)
		require.NoError(t, err)
		path, _ := writeRandomFile(t, t.TempDir(), "photo.jpg", 1000, 5)
		src, err := NewLocalFile(path, "")
		require.NoError(t, err)
		events := &collector{}
		q := NewQueue(client, &api.Discovery{Version: api.Version, Upload: api.UploadInfo{Protocol: api.ProtocolS3}}, Options{OnEvent: events.add})
		id := q.Add(src)[0]
		q.Wait()
		q.Close()
		srv.Close()
		e := events.final(id)
		require.Equal(t, Failed, e.State)
		assert.EqualValues(t, 1, puts.Load(), "no retry: retrying cannot help")
		assert.Equal(t, c.reason, Reason(e.Err))
	}
}
