package upload

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a server that notes every Authorization header it receives.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	auth []string
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auth = append(r.auth, req.Header.Get("Authorization"))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"method":"PUT","url":"https://s3.example/x","headers":{},"expires":60}`))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auth...)
}

// The bearer is for the backend's own origin only. Go keeps an
// Authorization header on a redirect to the same host name, whatever the
// scheme or port, and to its subdomains; Ferry refuses any redirect that
// leaves the backend's origin instead.
func TestBackendBearerNeverLeavesItsOrigin(t *testing.T) {
	other := newRecorder(t)
	port := other.URL[strings.LastIndex(other.URL, ":")+1:]
	for name, target := range map[string]string{
		"https to http, same host": "http://127.0.0.1:" + port,
		"another host":             "http://localhost:" + port,
	} {
		t.Run(name, func(t *testing.T) {
			backend := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusTemporaryRedirect)
			}))
			t.Cleanup(backend.Close)
			c, err := NewClient(backend.URL, func(context.Context) (string, error) { return "app-bearer", nil }, backend.Client())
			require.NoError(t, err)
			before := len(other.seen())
			_, err = c.Params(context.Background(), "a.txt", "text/plain", 3, nil)
			for _, a := range other.seen()[before:] {
				assert.Empty(t, a, "the bearer reached another origin")
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "redirect")
			assert.NotContains(t, err.Error(), "app-bearer")
		})
	}
}

// A redirect within the backend's origin still works, with the bearer.
func TestBackendSameOriginRedirectKeepsWorking(t *testing.T) {
	var got string
	mux := http.NewServeMux()
	mux.HandleFunc("/old/s3/params", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/s3/params?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/s3/params", func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		w.Write([]byte(`{"method":"PUT","url":"https://s3.example/x","headers":{},"expires":60}`))
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL+"/old", func(context.Context) (string, error) { return "app-bearer", nil }, srv.Client())
	require.NoError(t, err)
	_, err = c.Params(context.Background(), "a.txt", "text/plain", 3, nil)
	require.NoError(t, err)
	assert.Equal(t, "Bearer app-bearer", got)
}
