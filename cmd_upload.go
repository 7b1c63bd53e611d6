package main

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

	"github.com/ferry-app/ferry/internal/humanize"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/upload"
)

func init() {
	register(&command{Name: "upload", Usage: "upload [--json] PATH…", Summary: "upload files and folders", Run: runUpload})
}

func runUpload(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per finished file on stdout")
	resume := fs.Bool("resume", false, "also resume every unfinished upload of a local file (after a crash)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// The journal lets a second run of the same command resume what a
	// crash or Ctrl-C interrupted, sending only the parts still missing.
	journal, jerr := upload.OpenJournal(upload.DefaultJournalDir())
	if jerr != nil {
		env.Log.Warn("uploads cannot resume after a crash", "err", jerr)
	}
	pending, _ := journal.Pending()
	history, herr := upload.OpenHistory(upload.DefaultHistoryPath())
	if herr != nil {
		env.Log.Warn("finished uploads are not kept in a history", "err", herr)
	}
	if fs.NArg() == 0 && !*resume {
		fmt.Fprintln(env.Stderr, "ferry upload: name at least one file or folder")
		if len(pending) > 0 {
			fmt.Fprintf(env.Stderr, "%d unfinished uploads can be resumed with `ferry upload --resume`\n", len(pending))
		}
		return 2
	}
	srcs, closers, err := expandUploadArgs(ctx, env, fs.Args())
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	if err != nil {
		fmt.Fprintf(env.Stderr, "ferry upload: %s\n", upload.Reason(err))
		return 1
	}
	if len(srcs) == 0 && !*resume {
		fmt.Fprintln(env.Stderr, "ferry upload: no files found in what you named")
		return 1
	}
	conn, err := env.Backend(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ferry upload: %v\n", err)
		return 1
	}
	backendID := conn.Client.BaseURL()
	if conn.Embedded {
		backendID = "embedded" // its port changes every run; its storage does not
	}
	if *resume {
		srcs = append(srcs, pendingSources(ctx, env, pending, backendID, srcs)...)
		if len(srcs) == 0 {
			fmt.Fprintln(env.Stderr, "ferry upload: nothing to resume")
			return 0
		}
	}

	cfg, err := env.Config()
	if err != nil {
		fmt.Fprintf(env.Stderr, "ferry upload: %v\n", err)
		return 1
	}
	rep := newProgressReporter(env.Stderr, isTerminal(env.Stderr))
	var (
		mu     sync.Mutex
		failed int
		enc    = json.NewEncoder(env.Stdout)
	)
	q := upload.NewQueue(conn.Client, conn.Discovery, upload.Options{
		Concurrency:     cfg.Upload.Concurrency,
		PartConcurrency: cfg.Upload.PartConcurrency,
		Journal:         journal,
		BackendID:       backendID,
		Logger:          env.Log,
		Restrictions: upload.Restrictions{
			MaxFileSize:  cfg.Upload.MaxFileSize,
			MaxFiles:     cfg.Upload.MaxFiles,
			AllowedTypes: cfg.Upload.AllowedTypes,
		},
		OnEvent: func(e upload.Event) {
			mu.Lock()
			defer mu.Unlock()
			rep.event(e)
			switch e.State {
			case upload.Done:
				_ = history.Add(*e.Result)
				if *asJSON {
					_ = enc.Encode(e.Result)
				} else {
					rep.clear()
					fmt.Fprintf(env.Stdout, "uploaded %s (%s) sha256 %s → %s\n", e.Result.Name, humanize.Bytes(e.Result.Size), e.Result.SHA256, e.Result.Key)
				}
			case upload.Failed, upload.Cancelled:
				failed++
				rep.clear()
				fmt.Fprintf(env.Stderr, "failed %s: %s\n", e.Name, upload.Reason(e.Err))
				env.Log.Debug("upload failed", "name", e.Name, "err", e.Err)
			}
		},
	})
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
		return 1
	}
	return 0
}

// pendingSources rebuilds the journal's unfinished uploads on this backend
// that are not already among srcs: local files, and cloud files through
// their signed-in account (the providers opened for them are closed with
// env).
func pendingSources(ctx context.Context, env *Env, pending []upload.JournalEntry, backendID string, srcs []upload.Source) []upload.Source {
	have := map[string]bool{}
	for _, s := range srcs {
		have[s.Origin()] = true
	}
	var out []upload.Source
	opened := map[string]providers.Provider{}
	for _, e := range pending {
		if e.Backend != backendID || have[e.Origin] {
			continue
		}
		var (
			s   upload.Source
			err error
		)
		if e.LocalPath() != "" {
			s, err = e.Source()
		} else {
			s, err = cloudPending(ctx, env, opened, e)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "cannot resume %s: %s\n", e.Name, upload.Reason(err))
			continue
		}
		have[e.Origin] = true
		out = append(out, s)
	}
	return out
}

// expandUploadArgs turns the arguments into sources: local files and folders
// (an existing path always means this computer), and REMOTE:PATH names of
// files or folders in a configured source, streamed from there. It returns
// the providers to close once the uploads are done.
func expandUploadArgs(ctx context.Context, env *Env, args []string) ([]upload.Source, []io.Closer, error) {
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
		prov, err := env.OpenRemote(ctx, remote, account)
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

// cloudPending rebuilds a cloud file's journal entry: Origin is
// "REMOTE[@ACCOUNT]:FILEID" (upload.ProviderFile.Origin); the file is looked
// up again so a changed revision restarts instead of mixing.
func cloudPending(ctx context.Context, env *Env, opened map[string]providers.Provider, e upload.JournalEntry) (upload.Source, error) {
	name, id, ok := strings.Cut(e.Origin, ":")
	if !ok || name == "" || id == "" {
		return nil, fmt.Errorf("%s: unknown origin", e.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	p := opened[name]
	if p == nil {
		remote, account, _ := strings.Cut(name, "@")
		var err error
		if p, err = env.OpenRemote(ctx, remote, account); err != nil {
			return nil, err
		}
		opened[name] = p
		if c, ok := p.(io.Closer); ok {
			env.closeLater(c)
		}
	}
	entry, err := p.Stat(ctx, id)
	if err != nil {
		return nil, err
	}
	return upload.NewProviderFile(p, name, entry, e.Name), nil
}
