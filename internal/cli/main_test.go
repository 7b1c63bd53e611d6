package cli

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/ferry-app/ferry/internal/earlyinit"
)

// TestMain gives the standard logger its output back, as main does.
func TestMain(m *testing.M) {
	earlyinit.Restore()
	os.Exit(m.Run())
}

// testVersion is the version the tests' command lines report.
const testVersion = "1.2.3-test"

// testStdin is what the next run reads as standard input (pasted
// redirect addresses, a password); tests replace it.
var testStdin io.Reader = strings.NewReader("")

// run runs a command line as the ferry binary would, without a window.
func run(args []string, stdout, stderr io.Writer) int {
	return Run(context.Background(), args, Options{Version: testVersion, Stdin: testStdin, Stdout: stdout, Stderr: stderr})
}
