package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/upload"
)

// TestEveryErrorSaysWhatAndWhatToDo checks the errors a person can meet:
// each is explained with a remedy, and the raw Go text only ever appears
// in the (redacted) details.
func TestEveryErrorSaysWhatAndWhatToDo(t *testing.T) {
	raw := "dial tcp 10.0.0.1:443: connect: connection refused"
	cases := []struct {
		err    error
		remedy remedy
		what   string
	}{
		{fmt.Errorf("list: %w", providers.ErrNeedsSignIn), remedySignIn, "Your sign-in has expired or was withdrawn. Sign in again."},
		{&api.Error{Status: 401, Code: "unauthorized"}, remedySignIn, "The upload service did not accept your sign-in. Sign in again."},
		{&net.OpError{Op: "dial", Err: errors.New(raw)}, remedyConnection, "The connection failed. Check the connection and retry."},
		{context.DeadlineExceeded, remedyConnection, "The service took too long to answer. Check the connection and retry."},
		{&api.Error{Status: 403, Code: api.CodeTypeNotAllowed}, remedyAdmin, "Your organisation does not accept this type of file."},
		{&api.Error{Status: 500, Code: api.CodeInternal}, remedyAdmin, "The upload service had an internal problem. Retry later, or contact your administrator."},
		{&api.Error{Status: 503, Code: "busy"}, remedyRetry, "The upload service is busy. Retry in a minute."},
		{fmt.Errorf("x: %w", auth.ErrTimeout), remedyRetry, "Nobody came back from the browser in time."},
		{auth.ErrIssuerMismatch, remedyAdmin, "unexpected server"},
		{fmt.Errorf("x: %w", providers.ErrPermissionDenied), remedyAdmin, "You do not have permission to read this."},
		{&providers.RateLimitError{}, remedyRetry, "The service is busy. Retry in a minute."},
		{&vault.RevokeError{Err: errors.New("502")}, remedyOther, "withdraw"},
		{errors.New(raw), remedyAdmin, "Something unexpected went wrong."},
		// Issue 20 item 5: a storage that cannot be written says what and
		// where; the built-in one's advice is for the person.
		{&api.Error{Status: 507, Code: api.CodeStorageUnwritable, Message: "Cannot write to /home/ann/.local/share/ferry/backend/files: permission denied", Local: true},
			remedyRetry, "Cannot write to /home/ann/.local/share/ferry/backend/files: permission denied. Make sure you may write to that folder, then retry."},
		{&api.Error{Status: 507, Code: api.CodeStorageFull, Message: "Cannot write to /home/ann/files: the disk is full", Local: true},
			remedyRetry, "Cannot write to /home/ann/files: the disk is full. Free some space on that disk, then retry."},
		{&api.Error{Status: 507, Code: api.CodeStorageFull, Message: "Cannot write to the upload service's storage: the disk is full"},
			remedyAdmin, "Contact your administrator"},
	}
	for _, c := range cases {
		p := explain(c.err)
		assert.Equal(t, c.remedy, p.Remedy, "%v", c.err)
		assert.Contains(t, p.Text(), c.what, "%v", c.err)
		assert.NotEmpty(t, p.Do, "%v says what to do", c.err)
		assert.NotContains(t, p.Text(), "dial tcp", "no raw Go error text outside Details")
		assert.NotEmpty(t, p.Details)
	}
	assert.Equal(t, "Cancelled.", explain(auth.ErrCancelled).What)
	assert.Equal(t, problem{}, explain(nil))
}

// TestOneSignInSentinel checks that a sign-in that is gone reads the same
// wherever it was found: the vault's refresh, the authorization server's
// invalid_grant and a provider's 401 all ask the person to sign in again,
// in a folder's listing as in a dialog.
func TestOneSignInSentinel(t *testing.T) {
	for _, err := range []error{
		&vault.NeedsSignInError{Provider: "gdrive", Account: "ann@example.com", Reason: "the sign-in was withdrawn"},
		fmt.Errorf("refresh: %w", &auth.OAuthError{Code: "invalid_grant"}),
		fmt.Errorf("list: %w", providers.ErrNeedsSignIn),
	} {
		assert.Equal(t, "you need to sign in again", browseReason(err), "%v", err)
		assert.Equal(t, remedySignIn, explain(err).Remedy, "%v", err)
		assert.ErrorIs(t, err, auth.ErrNeedsSignIn)
		assert.ErrorIs(t, err, vault.ErrNeedsSignIn)
		assert.ErrorIs(t, err, providers.ErrNeedsSignIn)
	}
}

func TestDetailsAreRedacted(t *testing.T) {
	err := fmt.Errorf("PUT https://user:pw@storage.example/bucket/a.jpg?X-Amz-Signature=abcd&X-Amz-Credential=AKIA: 403; "+
		"Authorization: Bearer eyJhbGciOi.payload.sig; refresh_token=rt-1&code=c-2 code_verifier=v-3 \u202Eexe.txt: %w", upload.ErrClosed)
	d := explain(err).Details
	for _, secret := range []string{"abcd", "AKIA", "pw@", "eyJhbGciOi", "rt-1", "c-2", "v-3", "\u202E"} {
		assert.NotContains(t, d, secret)
	}
	assert.Contains(t, d, "https://storage.example/bucket/a.jpg")
	assert.Contains(t, d, "Bearer [redacted]")
	assert.Contains(t, d, "refresh_token=[redacted]")
}

// FuzzRedactDetails: whatever an error says, the details stay valid UTF-8,
// bounded, free of control characters and of the secret parameters.
func FuzzRedactDetails(f *testing.F) {
	f.Add("https://x.example/p?sig=1&token=abc")
	f.Add("Bearer abc.def")
	f.Add("\x00\u202e\xff")
	f.Add(strings.Repeat("é", 3000))
	f.Fuzz(func(t *testing.T, s string) {
		d := redactDetails(errors.New(s + " access_token=SECRETVALUE"))
		if !utf8.ValidString(d) {
			t.Fatalf("invalid UTF-8: %q", d)
		}
		if utf8.RuneCountInString(d) > 2001 {
			t.Fatalf("too long: %d", utf8.RuneCountInString(d))
		}
		if strings.Contains(d, "SECRETVALUE") && utf8.RuneCountInString(d) < 2000 {
			t.Fatalf("secret kept: %q", d)
		}
		for _, r := range d {
			if r < 0x20 || r == 0x7f || isBidiControl(r) {
				t.Fatalf("control character %U kept: %q", r, d)
			}
		}
	})
}
