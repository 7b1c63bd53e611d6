package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// TestDoctorSaysWhichAdminFilesWereRead: the platform admin file is always
// looked for, and a second one named by FERRY_ADMIN_CONFIG is shown as
// adding to it, read or not.
func TestDoctorSaysWhichAdminFilesWereRead(t *testing.T) {
	home := isolate(t)
	extra := filepath.Join(home, "extra-admin.toml")
	require.NoError(t, os.WriteFile(extra, []byte("[upload]\nconcurrency = 2\n"), 0o644))
	t.Setenv("FERRY_ADMIN_CONFIG", extra)
	var stdout bytes.Buffer
	run([]string{"doctor"}, &stdout, &bytes.Buffer{})
	out := stdout.String()
	assert.Contains(t, out, "Admin files:\n  /etc/ferry/config.toml: ")
	assert.Contains(t, out, extra+": read (named by FERRY_ADMIN_CONFIG: adds to the platform file, cannot override it)")
}
