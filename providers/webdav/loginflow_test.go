package webdav

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	pollToken   = "mQUYQdffOSAMJYtm8pVpkOsVqXt5hglnuSpO5EMbgJMNEPFGaiDe8OUjvrJ2WcYcBSLgqynu9jaPFvZHMl83ybMvp6aDIDARjTFIBpRWod6p32fL9LIpIStvc6k8Wrs1"
	appPassword = "yKTVA4zgxjfivy52WqD8kW3M2pKGQr6srmUXMipRdunxjPFripJn0GMfmtNOqOolYSuJ6sCN"
)

// fakeLoginServer implements Login Flow v2 as Nextcloud documents it:
// POST /index.php/login/v2 starts; POST /login/v2/poll with token= answers
// 404 until granted, then the credentials once.
type fakeLoginServer struct {
	*httptest.Server
	grantAfter int32 // polls answered 404 before granting
	polls      atomic.Int32
	endpoint   string // override the poll endpoint (hostile server)
	gotUA      atomic.Value
}

func newFakeLogin(t *testing.T, grantAfter int32) *fakeLoginServer {
	f := &fakeLoginServer{grantAfter: grantAfter}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /index.php/login/v2", func(w http.ResponseWriter, r *http.Request) {
		f.gotUA.Store(r.UserAgent())
		endpoint := f.URL + "/login/v2/poll"
		if f.endpoint != "" {
			endpoint = f.endpoint
		}
		json.NewEncoder(w).Encode(map[string]any{
			"poll":  map[string]string{"token": pollToken, "endpoint": endpoint},
			"login": f.URL + "/login/v2/flow/ABCDEF",
		})
	})
	mux.HandleFunc("POST /login/v2/poll", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.FormValue("token") != pollToken {
			http.Error(w, "bad token", http.StatusBadRequest)
			return
		}
		n := f.polls.Add(1)
		if n <= f.grantAfter {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte("[]"))
			return
		}
		if n > f.grantAfter+1 { // handed out once only
			w.WriteHeader(http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"server": f.URL, "loginName": "ana", "appPassword": appPassword})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func TestLoginFlowV2(t *testing.T) {
	srv := newFakeLogin(t, 2)
	var logs bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))

	flow, err := StartLogin(context.Background(), srv.URL, LoginOptions{})
	require.NoError(t, err)
	assert.Equal(t, srv.URL+"/login/v2/flow/ABCDEF", flow.LoginURL)
	assert.Regexp(t, `^Ferry/`, srv.gotUA.Load())

	_, err = flow.Poll(context.Background())
	require.ErrorIs(t, err, ErrLoginPending)
	creds, err := flow.Wait(context.Background(), time.Millisecond)
	require.NoError(t, err)
	assert.Equal(t, Credentials{Server: srv.URL, LoginName: "ana", AppPassword: appPassword}, creds)
	assert.Equal(t, srv.URL+"/remote.php/dav/files/", creds.WebDAVURL(), "the user ID is the server's to tell (UserFolder)")
	assert.EqualValues(t, 3, srv.polls.Load())

	// The app password never shows in formatted or logged credentials.
	slog.Info("signed in", "creds", creds)
	assert.NotContains(t, fmt.Sprint(creds), appPassword)
	assert.NotContains(t, fmt.Sprintf("%v %+v", creds, creds), appPassword)
	assert.NotContains(t, logs.String(), appPassword)
	assert.NotContains(t, logs.String(), pollToken)
	assert.Contains(t, logs.String(), "ana")
}

func TestLoginFlowWaitCancelled(t *testing.T) {
	srv := newFakeLogin(t, 1<<30)
	flow, err := StartLogin(context.Background(), srv.URL, LoginOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for srv.polls.Load() < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err = flow.Wait(ctx, time.Millisecond)
	require.ErrorIs(t, err, context.Canceled)
}

func TestLoginFlowRefusesOtherOrigins(t *testing.T) {
	srv := newFakeLogin(t, 0)
	srv.endpoint = "http://127.0.0.2:1/steal"
	_, err := StartLogin(context.Background(), srv.URL, LoginOptions{})
	require.ErrorContains(t, err, "another origin")
	assert.NotContains(t, err.Error(), pollToken)

	_, err = StartLogin(context.Background(), "http://cloud.example.com", LoginOptions{})
	require.ErrorContains(t, err, "https")
}
