//go:build linux

package cli

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAccountsWithoutKeychainSaysSignInsAreNotKept is issue 20 item 6 on
// the command line: with no keychain to reach, `ferry accounts` says that
// sign-ins are not kept and how to fix it, besides "No accounts".
func TestAccountsWithoutKeychainSaysSignInsAreNotKept(t *testing.T) {
	isolate(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"accounts"}, &stdout, &stderr), stderr.String())
	assert.Contains(t, stdout.String(), "No accounts")
	assert.Contains(t, stderr.String(), "Sign-ins won't be remembered")
	assert.Contains(t, stderr.String(), "gnome-keyring", "says how to fix it")
}
