package cli

import (
	"bytes"
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryCommandHasHandWrittenHelp: `ferry NAME --help` (and `ferry help
// NAME`) prints the command's own usage line and prose, in the style of
// `ferry --help`, on stdout with status 0 — never Go's "Usage of NAME:"
// flag dump — and names each of the command's flags.
func TestEveryCommandHasHandWrittenHelp(t *testing.T) {
	for _, c := range commands {
		for _, args := range [][]string{{c.Name, "--help"}, {c.Name, "-h"}, {"help", c.Name}} {
			var stdout, stderr bytes.Buffer
			require.Equal(t, ExitOK, run(args, &stdout, &stderr), "%v: %s", args, stderr.String())
			out := stdout.String()
			assert.True(t, strings.HasPrefix(out, "Usage: ferry [global flags] "+c.Name), "%v starts with the usage line:\n%s", args, out)
			assert.NotContains(t, out, "Usage of", "%v", args)
			assert.Contains(t, out, "Exit status: 0 done", "%v", args)
			assert.Empty(t, stderr.String(), "%v", args)
		}
		var stdout bytes.Buffer
		run([]string{c.Name, "--help"}, &stdout, &bytes.Buffer{})
		fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
		c.Flags(fs)
		fs.VisitAll(func(f *flag.Flag) {
			assert.Contains(t, stdout.String(), "-"+f.Name, "ferry %s --help names its flag -%s", c.Name, f.Name)
		})
	}
}

// TestTopLevelHelpListsEveryCommand: `ferry --help` lists each command of
// the table with its summary, and the exit statuses.
func TestTopLevelHelpListsEveryCommand(t *testing.T) {
	var stdout bytes.Buffer
	require.Equal(t, ExitOK, run([]string{"--help"}, &stdout, &bytes.Buffer{}))
	for _, c := range commands {
		assert.Contains(t, stdout.String(), "ferry "+c.Name+" ")
		assert.Contains(t, stdout.String(), c.Summary)
	}
	assert.Contains(t, stdout.String(), "Exit status:")
}

// TestGlobalFlagAfterCommandSaysWhereItGoes: `ferry ls --verbose local:`
// is refused with a message that says to put --verbose before the
// command; an unknown flag is named as such.
func TestGlobalFlagAfterCommandSaysWhereItGoes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, ExitUsage, run([]string{"ls", "--verbose", "local:"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "--verbose is a global flag: put it before the command")
	assert.Empty(t, stdout.String())

	stderr.Reset()
	assert.Equal(t, ExitUsage, run([]string{"ls", "--frobnicate", "local:"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "unknown flag --frobnicate")
	assert.Contains(t, stderr.String(), "Usage: ferry ls REMOTE:PATH")
}

// TestWindowlessBuildSaysSo: without a window (a build that injects none)
// `ferry` and `ferry pick` fail with a message instead of crashing.
func TestWindowlessBuildSaysSo(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{nil, {"pick"}} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, ExitFailed, run(args, &stdout, &stderr), "%v", args)
		assert.Contains(t, stderr.String(), "has no window", "%v", args)
	}
}
