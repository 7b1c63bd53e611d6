package cli

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestDoctorChecksTheBrowserOpener: `ferry doctor` says which command would
// open sign-in links, and fails the check, naming $BROWSER, when it names
// no installed command.
func TestDoctorChecksTheBrowserOpener(t *testing.T) {
	isolate(t)
	t.Setenv("BROWSER", "/bin/true")
	var stdout bytes.Buffer
	run([]string{"doctor"}, &stdout, &bytes.Buffer{})
	assert.Regexp(t, `\[ok  \] browser +sign-in links open with \$BROWSER: /bin/true`, stdout.String())

	t.Setenv("BROWSER", "no-such-browser-here")
	stdout.Reset()
	assert.Equal(t, ExitFailed, run([]string{"doctor"}, &stdout, &bytes.Buffer{}))
	assert.Regexp(t, `\[FAIL\] browser +.*no command of \$BROWSER \("no-such-browser-here"\) was found`, stdout.String())
}
