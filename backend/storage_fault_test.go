package backend

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

// TestPermanentStorageErrorsSayWhatAndWhere is issue 20 item 5: a write the
// storage will keep refusing is answered as such (not as a 500 the client
// retries for minutes), naming the folder when it is the person's own.
func TestPermanentStorageErrorsSayWhatAndWhere(t *testing.T) {
	d := &localDriver{dir: "/home/ann/.local/share/ferry/backend/files", personal: true}
	answer := func(err error) (int, api.Error) {
		rec := httptest.NewRecorder()
		d.receiveError(rec, err)
		var e api.Error
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
		return rec.Code, e
	}
	cases := []struct {
		err  error
		code string
		msg  string
	}{
		{&fs.PathError{Op: "mkdir", Path: "local/2026", Err: syscall.EACCES}, api.CodeStorageUnwritable, "Cannot write to /home/ann/.local/share/ferry/backend/files: permission denied"},
		{&fs.PathError{Op: "write", Path: ".tmp/x", Err: syscall.ENOSPC}, api.CodeStorageFull, "Cannot write to /home/ann/.local/share/ferry/backend/files: the disk is full"},
		{&fs.PathError{Op: "open", Path: ".tmp/x", Err: syscall.EROFS}, api.CodeStorageUnwritable, "Cannot write to /home/ann/.local/share/ferry/backend/files: the disk is read-only"},
	}
	for _, c := range cases {
		status, e := answer(c.err)
		assert.Equal(t, http.StatusInsufficientStorage, status, "%v", c.err)
		assert.Equal(t, c.code, e.Code)
		assert.Equal(t, c.msg, e.Message)
		assert.True(t, e.Local, "the person can fix their own folder")
	}

	d.personal = false
	_, e := answer(&fs.PathError{Op: "mkdir", Path: "x", Err: syscall.EACCES})
	assert.Equal(t, "Cannot write to the upload service's storage: permission denied", e.Message, "a shared backend does not show its folders")
	assert.False(t, e.Local)

	status, e := answer(io.ErrUnexpectedEOF)
	assert.Equal(t, http.StatusInternalServerError, status, "other failures stay what they were")
	assert.Equal(t, api.CodeInternal, e.Code)
}
