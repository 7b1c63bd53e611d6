package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/internal/humanize"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/upload"
)

var uploadCommand = command{
	Name: "upload", Args: "[--json] [--resume] PATH…|REMOTE:PATH…",
	Summary: "upload files and folders",
	Help: `
Uploads files and folders of this computer (folders with their relative
paths), or files and folders of a source named as REMOTE:PATH, to the upload
service. Progress goes to stderr: a bar on a terminal, JSON lines otherwise.
An upload that a crash or Ctrl-C interrupted resumes when the same command
runs again, sending only the parts still missing.

  --json      print one JSON object per finished file on stdout
              (name, size, sha256, key, location, source)
  --resume    also resume every unfinished upload of an earlier run

The exit status is 1 if any file was not uploaded.`,
	Flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) int {
		asJSON := fs.Bool("json", false, "")
		resume := fs.Bool("resume", false, "")
		return func(ctx context.Context, e *env, args []string) int { return runUpload(ctx, e, args, *asJSON, *resume) }
	},
}

func runUpload(ctx context.Context, e *env, args []string, asJSON, resume bool) int {
	if len(args) == 0 && !resume {
		fmt.Fprintln(e.Stderr, "ferry upload: name at least one file or folder")
		if j, _ := e.Journal(); j != nil {
			if pending, _ := j.Pending(); len(pending) > 0 {
				fmt.Fprintf(e.Stderr, "%d unfinished uploads can be resumed with `ferry upload --resume`\n", len(pending))
			}
		}
		return ExitUsage
	}
	srcs, closers, err := expandUploadArgs(ctx, e.Session, args)
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	if err != nil {
		fmt.Fprintf(e.Stderr, "ferry upload: %s\n", upload.Reason(err))
		return ExitFailed
	}
	if len(srcs) == 0 && !resume {
		fmt.Fprintln(e.Stderr, "ferry upload: no files found in what you named")
		return ExitFailed
	}
	conn, err := e.Backend(ctx)
	if err != nil {
		fmt.Fprintf(e.Stderr, "ferry upload: %v\n", err)
		return ExitFailed
	}
	if resume {
		more, failed, err := e.Unfinished(ctx, conn, srcs)
		if err != nil {
			fmt.Fprintf(e.Stderr, "ferry upload: reading the unfinished uploads: %v\n", err)
		}
		for _, f := range failed {
			fmt.Fprintf(e.Stderr, "cannot resume %s: %s\n", f.Name, upload.Reason(f.Err))
		}
		srcs = append(srcs, more...)
		if len(srcs) == 0 {
			fmt.Fprintln(e.Stderr, "ferry upload: nothing to resume")
			return ExitOK
		}
	}

	rep := newProgressReporter(e.Stderr, isTerminal(e.Stderr))
	var (
		mu     sync.Mutex
		failed int
		enc    = json.NewEncoder(e.Stdout)
	)
	history, _ := e.History()
	opts := e.QueueOptions(conn)
	opts.OnEvent = func(ev upload.Event) {
		mu.Lock()
		defer mu.Unlock()
		rep.event(ev)
		switch ev.State {
		case upload.Done:
			if history != nil {
				_ = history.Add(*ev.Result) // a lost entry only shortens the history
			}
			if asJSON {
				_ = enc.Encode(ev.Result)
			} else {
				rep.clear()
				fmt.Fprintf(e.Stdout, "uploaded %s (%s) sha256 %s → %s\n", safeName(ev.Result.Name), humanize.Bytes(ev.Result.Size), ev.Result.SHA256, safeName(ev.Result.Key))
			}
		case upload.Failed, upload.Cancelled:
			failed++
			rep.clear()
			fmt.Fprintf(e.Stderr, "failed %s: %s\n", safeName(ev.Name), upload.Reason(ev.Err))
			e.Log.Debug("upload failed", "name", ev.Name, "err", ev.Err)
		}
	}
	q := upload.NewQueue(conn.Client, conn.Discovery, opts)
	q.Add(srcs...)
	done := make(chan struct{})
	go func() { q.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		q.Close()
	}
	rep.clear()
	if failed > 0 || ctx.Err() != nil {
		return ExitFailed
	}
	return ExitOK
}

// expandUploadArgs turns the arguments into sources: local files and folders
// (an existing path always means this computer), and REMOTE:PATH names of
// files or folders in a configured source, streamed from there. It returns
// the providers to close once the uploads are done.
func expandUploadArgs(ctx context.Context, s *app.Session, args []string) ([]upload.Source, []io.Closer, error) {
	var (
		srcs    []upload.Source
		closers []io.Closer
		local   []string
	)
	for _, a := range args {
		if _, err := os.Lstat(a); err == nil {
			local = append(local, a)
			continue
		}
		remote, account, p, err := parseRemotePath(a)
		if err != nil || remote == "local" || len(remote) == 1 { // "C:\x" is a Windows path
			if remote == "local" {
				a = p
			}
			local = append(local, a)
			continue
		}
		prov, err := s.Open(ctx, remote, account)
		if err != nil {
			return nil, closers, err
		}
		if c, ok := prov.(io.Closer); ok {
			closers = append(closers, c)
		}
		e, err := providers.ResolvePath(ctx, prov, p)
		if err != nil {
			return nil, closers, fmt.Errorf("%s: %w", a, err)
		}
		name := remote
		if account != "" {
			name += "@" + account
		}
		more, err := upload.ExpandEntries(ctx, prov, name, []providers.Entry{e})
		if err != nil {
			return nil, closers, err
		}
		srcs = append(srcs, more...)
	}
	if len(local) > 0 {
		more, err := upload.ExpandPaths(local)
		if err != nil {
			return nil, closers, err
		}
		srcs = append(more, srcs...)
	}
	return srcs, closers, nil
}

// progressLine is one progress report on a stderr that is not a terminal.
type progressLine struct {
	Name        string `json:"name"`
	State       string `json:"state"`
	Sent        int64  `json:"sent"`
	Total       int64  `json:"total"`
	BytesPerSec int64  `json:"bytes_per_sec,omitempty"`
	ETASeconds  int64  `json:"eta_seconds,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// progressReporter draws one redrawn line on a terminal, or prints JSON
// lines otherwise (every state change, progress at most once a second).
type progressReporter struct {
	w        io.Writer
	tty      bool
	lastLine map[upload.JobID]time.Time
	jobs     map[upload.JobID]upload.Event
	drawn    bool
	last     time.Time
}

func newProgressReporter(w io.Writer, tty bool) *progressReporter {
	return &progressReporter{w: w, tty: tty, jobs: map[upload.JobID]upload.Event{}}
}

func (p *progressReporter) event(e upload.Event) {
	prev, seen := p.jobs[e.ID]
	p.jobs[e.ID] = e
	if !p.tty {
		// Not a terminal: one JSON object per line, for programs to follow.
		changed := !seen || prev.State != e.State
		if !changed && time.Since(p.lastLine[e.ID]) < time.Second {
			return
		}
		if p.lastLine == nil {
			p.lastLine = map[upload.JobID]time.Time{}
		}
		p.lastLine[e.ID] = time.Now()
		line := progressLine{Name: e.Name, State: e.State.String(), Sent: e.Sent, Total: e.Total,
			BytesPerSec: int64(e.BytesPerSec), ETASeconds: int64(e.ETA.Seconds())}
		if e.Err != nil {
			line.Reason = upload.Reason(e.Err)
		}
		b, _ := json.Marshal(line)
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	if time.Since(p.last) < 100*time.Millisecond && !e.State.Final() {
		return
	}
	p.last = time.Now()
	var sent, total int64
	var speed float64
	var eta time.Duration
	active := 0
	for _, j := range p.jobs {
		sent += j.Sent
		if j.Total > 0 {
			total += j.Total
		}
		if j.State == upload.Uploading {
			active++
			speed += j.BytesPerSec
		}
	}
	if speed > 0 && total > sent {
		eta = time.Duration(float64(total-sent) / speed * float64(time.Second)).Round(time.Second)
	}
	const width = 30
	fill := 0
	if total > 0 {
		fill = int(float64(width) * float64(sent) / float64(total))
	}
	left := ""
	if eta > 0 {
		left = "  " + eta.String() + " left"
	}
	fmt.Fprintf(p.w, "\r[%s%s] %s / %s  %s/s%s  %d active \033[K", strings.Repeat("#", fill), strings.Repeat(".", width-fill),
		humanize.Bytes(sent), humanize.Bytes(total), humanize.Bytes(int64(speed)), left, active)
	p.drawn = true
}

func (p *progressReporter) clear() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
