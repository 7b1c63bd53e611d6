// Package instance keeps Ferry to one window per person: the first `ferry`
// listens on a private socket, and a later `ferry` hands it its files
// (and asks it to come to the front) instead of opening a second window
// with a queue of its own.
package instance

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ferry-app/ferry/internal/appdirs"
)

// Request is what a later start hands the running window: absolute paths
// of files and folders to add (none: just come to the front).
type Request struct {
	Files []string `json:"files"`
}

// maxRequest bounds one request: a socket anyone of this user can write to
// must not make the window allocate without limit.
const maxRequest = 4 << 20

// DefaultPath is the socket of this user's Ferry: in $XDG_RUNTIME_DIR when
// the session has one (private to the user, gone at log-out), else in the
// user's cache folder.
func DefaultPath() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "ferry", "instance.sock")
	}
	return filepath.Join(appdirs.CacheDir(), "instance.sock")
}

// Server is the running window's end: Requests delivers what later starts
// send, until Close.
type Server struct {
	ln       net.Listener
	path     string
	requests chan Request
	wg       sync.WaitGroup
	once     sync.Once
}

// ErrRunning says another Ferry holds the socket and took the request.
var ErrRunning = errors.New("Ferry is already running")

// Claim makes this process the one Ferry of the user: when another already
// runs, req is handed to it and ErrRunning is returned; otherwise the
// socket at path is taken (a stale one left by a killed Ferry is replaced)
// and the Server returned.
func Claim(ctx context.Context, path string, req Request) (*Server, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("the single-window socket's folder: %w", err)
	}
	for attempt := 0; attempt < 3; attempt++ {
		if err := send(ctx, path, req); err == nil {
			return nil, ErrRunning
		}
		ln, err := net.Listen("unix", path)
		if err == nil {
			s := &Server{ln: ln, path: path, requests: make(chan Request, 16)}
			s.wg.Add(1)
			go s.serve()
			return s, nil
		}
		// Nobody answered but the name is taken: a socket left by a Ferry
		// that was killed. Remove it and try again; if another start
		// raced us to it, the next round's send reaches that one.
		if rmErr := os.Remove(path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			return nil, fmt.Errorf("the single-window socket %s: %w", path, err)
		}
	}
	return nil, fmt.Errorf("the single-window socket %s could not be taken", path)
}

// send hands req to the Ferry listening at path and waits for its answer.
func send(ctx context.Context, path string, req Request) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return err
	}
	line, err := bufio.NewReader(io.LimitReader(c, 64)).ReadString('\n')
	if err != nil {
		return fmt.Errorf("the running Ferry did not answer: %w", err)
	}
	if line != "ok\n" {
		return fmt.Errorf("the running Ferry answered %q", line)
	}
	return nil
}

// Requests delivers the requests of later starts, in order.
func (s *Server) Requests() <-chan Request { return s.requests }

func (s *Server) serve() {
	defer s.wg.Done()
	defer close(s.requests)
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.handle(c)
	}
}

// handle reads one request and acknowledges it once it is delivered.
func (s *Server) handle(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var req Request
	if err := json.NewDecoder(io.LimitReader(c, maxRequest)).Decode(&req); err != nil {
		return
	}
	// A sender resolves paths against its own folder; a relative one would
	// mean the window's folder, which is nothing the person named.
	files := req.Files[:0]
	for _, f := range req.Files {
		if filepath.IsAbs(f) {
			files = append(files, f)
		}
	}
	req.Files = files
	select {
	case s.requests <- req:
		_, _ = io.WriteString(c, "ok\n")
	case <-time.After(5 * time.Second): // the window is not taking requests
	}
}

// Close stops listening and removes the socket.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		err = s.ln.Close()
		s.wg.Wait()
		_ = os.Remove(s.path)
	})
	return err
}
