package backend

import (
	"fmt"
	"net"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/internal/testenv"
)

// redisServer is Debian's redis-server on a loopback port, without
// persistence, that a test can kill and start again on the same port.
type redisServer struct {
	t    testing.TB
	Addr string
	URL  string
	dir  string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func startRedis(t testing.TB) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server not found: run scripts/install-deps.sh test")
	}
	port := testenv.FreePort(t)
	r := &redisServer{t: t, Addr: fmt.Sprintf("127.0.0.1:%d", port), dir: t.TempDir()}
	r.URL = "redis://" + r.Addr + "/0"
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *redisServer) start() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	_, port, _ := net.SplitHostPort(r.Addr)
	logs := &logBuffer{}
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no",
		"--dir", r.dir, "--protected-mode", "no")
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(r.t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r.cmd, r.done = cmd, done
	testenv.WaitPort(r.t, r.Addr, 20*time.Second)
}

// kill stops the server with SIGKILL, as a crash would, and waits for it.
func (r *redisServer) kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}
