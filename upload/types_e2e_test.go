package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/backend/api"
)

// TestAllowedTypesClientAndBackendAgree runs the real backend library (local
// driver, allowed_types = ["text/plain"]) with the upload engine as its
// client. The engine declares a .txt as "text/plain; charset=utf-8": the
// backend must store it, not answer 415 after the client let it through. A
// .csv and an .html are refused by the client with a reason before any
// request names them, and the backend refuses them too.
func TestAllowedTypesClientAndBackendAgree(t *testing.T) {
	dir := t.TempDir()
	cfg := backend.EmbeddedConfig(dir)
	cfg.Upload.AllowedTypes = []string{"text/plain"}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	cfg.Listen = l.Addr().String() // the URLs the local driver hands out point here
	srv, err := backend.New(cfg, backend.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	var mu sync.Mutex
	var named []string // the filename of every request that carried one
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		names := []string{r.URL.Query().Get("filename")}
		if r.URL.Path == api.RouteParamsBatch { // the files of a batch are in its body
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var req api.BatchParamsRequest
			_ = json.Unmarshal(body, &req)
			for _, f := range req.Files {
				names = append(names, f.Filename)
			}
		}
		mu.Lock()
		for _, f := range names {
			if f != "" {
				named = append(named, f)
			}
		}
		mu.Unlock()
		srv.Handler().ServeHTTP(w, r)
	})}
	go func() { _ = hs.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		_ = srv.Shutdown(ctx)
	})

	c, err := NewClient("http://"+cfg.Listen, nil, nil)
	require.NoError(t, err)
	d, err := c.Discover(t.Context())
	require.NoError(t, err)
	require.Equal(t, []string{"text/plain"}, d.Upload.AllowedTypes)

	files := t.TempDir()
	txt := localFile(t, files, "notes.txt", []byte("shopping list\n"))
	csv := localFile(t, files, "table.csv", []byte("a,b\n1,2\n"))
	html := localFile(t, files, "page.html", []byte("<!doctype html><p>hi</p>\n"))
	require.Equal(t, "text/plain; charset=utf-8", txt.ContentType(), "what the engine declares")

	events := &collector{}
	q := NewQueue(c, d, Options{OnEvent: events.add, Logger: slog.New(slog.DiscardHandler)})
	q.pacer = fastPacer()
	ids := q.Add(txt, csv, html)
	q.Wait()
	q.Close()

	e := events.final(ids[0])
	require.Equal(t, Done, e.State, "the .txt is stored, not refused: %v", e.Err)
	stored, err := os.ReadFile(filepath.Join(dir, "files", filepath.FromSlash(e.Result.Key)))
	require.NoError(t, err)
	assert.Equal(t, "shopping list\n", string(stored))

	for i, ext := range []string{".csv", ".html"} {
		e := events.final(ids[i+1])
		require.Equal(t, Failed, e.State)
		assert.Equal(t, "The upload service does not accept this type of file ("+ext+"); it accepts text/plain.", Reason(e.Err))
		assert.Equal(t, []State{Queued, Failed}, events.states(ids[i+1]), "refused before it started")
	}
	mu.Lock()
	assert.Equal(t, []string{"notes.txt"}, named, "no request named a refused file")
	mu.Unlock()

	// The backend draws the same line when asked directly.
	_, err = c.Params(t.Context(), "notes.txt", "text/plain; charset=utf-8", 14, nil)
	assert.NoError(t, err)
	for _, f := range []*LocalFile{csv, html} {
		_, err := c.Params(t.Context(), f.Name(), f.ContentType(), f.Size(), nil)
		var ae *api.Error
		require.ErrorAs(t, err, &ae, f.Name())
		assert.Equal(t, http.StatusUnsupportedMediaType, ae.Status, f.Name())
		assert.Equal(t, api.CodeTypeNotAllowed, ae.Code, f.Name())
	}
}
