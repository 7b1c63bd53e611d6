//go:build unix

package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ChromiumOpener returns the "system browser" of end-to-end sign-in tests:
// each call starts Debian's headless Chromium on the URL with a fresh
// profile, in its own process group. When the test ends the whole group
// (browser, renderers, crashpad) is killed and waited for, so nothing still
// writes into the profile when t.TempDir is removed. Chromium's output is
// logged when the test failed.
func ChromiumOpener(t testing.TB) func(ctx context.Context, url string) error {
	bin := Chromium(t)
	return func(_ context.Context, u string) error {
		var out bytes.Buffer
		cmd := exec.Command(bin, append(ChromiumArgs(t.TempDir()), u)...)
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return err
		}
		t.Cleanup(func() {
			KillGroup(t, cmd.Process.Pid)
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("chromium output:\n%s", out.String())
			}
		})
		return nil
	}
}

// ChromiumAsBROWSER sets $BROWSER to a script that runs headless Chromium
// on the URL it is given, for code that opens the system browser itself
// (the CLI's `ferry login`). Every call gets a fresh profile and a new
// session of its own; all of them are killed and waited for when the test
// ends.
func ChromiumAsBROWSER(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pids")
	var q []string
	for _, a := range append([]string{Chromium(t)}, ChromiumArgs("PROFILE")...) {
		if a == "--user-data-dir=PROFILE" {
			a = `--user-data-dir=$profile`
			q = append(q, `"`+a+`"`)
			continue
		}
		q = append(q, "'"+a+"'")
	}
	// setsid makes the browser a session and process-group leader; the
	// inner shell records that group's ID before it becomes Chromium.
	inner := fmt.Sprintf(`echo $$ >> '%s'; exec %s "$1" >/dev/null 2>&1`, pidFile, strings.Join(q, " "))
	body := fmt.Sprintf("#!/bin/sh\nprofile=$(mktemp -d '%s/profile.XXXXXX')\nexport profile\nexec setsid sh -c %s sh \"$1\"\n",
		dir, shellQuote(inner))
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BROWSER", script)
	t.Cleanup(func() {
		b, _ := os.ReadFile(pidFile)
		for _, l := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(l); err == nil {
				KillGroup(t, pid)
			}
		}
	})
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// KillGroup sends SIGKILL to process group pgid and waits (up to 10 s)
// until no live process of the group is left.
func KillGroup(t testing.TB, pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if !groupAlive(pgid) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("testenv: process group %d still alive after SIGKILL", pgid)
}

// groupAlive reports whether a process that is not a zombie belongs to
// process group pgid, reading /proc/*/stat.
func groupAlive(pgid int) bool {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parens.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g == pgid {
			return true
		}
	}
	return false
}
