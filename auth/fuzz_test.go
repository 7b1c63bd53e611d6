package auth

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzCallback throws arbitrary request targets and pasted text at a flow. A
// response that does not carry this attempt's state must never end the flow
// or reach the token endpoint (here unreachable: a call would fail the flow),
// and nothing may panic.
func FuzzCallback(f *testing.F) {
	f.Add("/oauth/cb/fuzz?code=abc&state=def")
	f.Add("/oauth/cb/fuzz?error=access_denied&error_description=%3Cscript%3E")
	f.Add("/oauth/cb/fuzz?state=&state=x&iss=https%3A%2F%2Fevil")
	f.Add("/favicon.ico")
	f.Add("/oauth/cb/fuzz?%zz")
	cfg := &Config{ID: "fuzz", ClientID: "c", AuthURL: "http://127.0.0.1:1/a", TokenURL: "http://127.0.0.1:1/t"}
	flow, err := cfg.Begin(context.Background(), time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	defer func() { flow.Cancel(); flow.Wait() }()
	f.Fuzz(func(t *testing.T, target string) {
		if strings.Contains(target, flow.state) {
			return
		}
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		req := httptest.NewRequest("GET", "http://127.0.0.1/", nil)
		if u, err := req.URL.Parse(target); err == nil {
			req.URL = u
			req.RequestURI = target
		}
		req.Host = flow.host
		rec := httptest.NewRecorder()
		flow.ServeHTTP(rec, req)
		if rec.Code == 200 {
			t.Fatalf("a response without the state was accepted: %q", target)
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatal("callback answer without Cache-Control: no-store")
		}
		if err := flow.Paste(flow.RedirectURI() + target); err == nil {
			t.Fatalf("paste without the state was accepted: %q", target)
		}
		select {
		case <-flow.Done():
			t.Fatalf("flow ended on %q", target)
		default:
		}
	})
}
