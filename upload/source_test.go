package upload

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

func TestExpandPathsKeepsRelativeStructureAndSkipsLinks(t *testing.T) {
	root := t.TempDir()
	must := func(err error) { t.Helper(); require.NoError(t, err) }
	must(os.MkdirAll(filepath.Join(root, "album", "2026", "june"), 0o755))
	must(os.WriteFile(filepath.Join(root, "album", "cover.png"), []byte("png"), 0o644))
	must(os.WriteFile(filepath.Join(root, "album", "2026", "june", "a.jpg"), []byte("jpg"), 0o644))
	must(os.WriteFile(filepath.Join(root, "single.txt"), []byte("hi"), 0o644))
	secret := t.TempDir()
	must(os.WriteFile(filepath.Join(secret, "passwords.txt"), []byte("x"), 0o600))
	must(os.Symlink(secret, filepath.Join(root, "album", "escape")))
	must(os.Symlink(filepath.Join(secret, "passwords.txt"), filepath.Join(root, "album", "link.txt")))

	srcs, err := ExpandPaths([]string{filepath.Join(root, "album"), filepath.Join(root, "single.txt")})
	require.NoError(t, err)
	var names []string
	for _, s := range srcs {
		names = append(names, s.Name())
	}
	sort.Strings(names)
	assert.Equal(t, []string{"album/2026/june/a.jpg", "album/cover.png", "single.txt"}, names, "links inside a folder are not followed")
}

func TestLocalFileRefusesAChangedFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "doc.txt")
	require.NoError(t, os.WriteFile(p, []byte("version one"), 0o644))
	f, err := NewLocalFile(p, "")
	require.NoError(t, err)
	rc, err := f.Open(context.Background(), 8)
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "one", string(b), "opens at an offset")

	require.NoError(t, os.WriteFile(p, []byte("version two!"), 0o644))
	_, err = f.Open(context.Background(), 0)
	var se *SourceError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "The file changed after it was queued", se.Reason)
}

func TestNewLocalFileRefusesFolders(t *testing.T) {
	_, err := NewLocalFile(t.TempDir(), "")
	assert.ErrorContains(t, err, "Only regular files can be uploaded")
}

func TestReasonNeverLeaksAndSaysWhatToDo(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{&api.Error{Code: api.CodeUnauthorized, Status: 401}, "The upload service did not accept your sign-in. Sign in again."},
		{&api.Error{Code: "AccessDenied", Message: "Request has expired", Status: 403}, "The upload link expired. Retry to get a fresh one."},
		{&api.Error{Code: api.CodeTypeNotAllowed, Status: 400}, "Your organisation does not accept this type of file."},
		{&api.Error{Code: api.CodeRateLimited, Status: 429}, "The upload service is busy. Ferry will retry; you can also retry later."},
		{&api.Error{Code: api.CodeUpstream, Status: 502}, "The upload service had an internal problem. Retry later or contact your administrator."},
		{context.Canceled, "Cancelled."},
		{errors.New("x-amz-signature=abcd"), "The upload failed. Retry, or contact your administrator if it keeps failing."},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, Reason(c.err))
	}
}

func TestRedactURLDropsSignatureAndUser(t *testing.T) {
	assert.Equal(t, "https://s3.example/bucket/key.bin",
		RedactURL("https://user:pw@s3.example/bucket/key.bin?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA#frag"))
}
