package ui

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/upload"
)

// flaggedDrive hands out its one file only with the person's confirmation,
// as Google Drive does for a file it flagged as malware (a
// providers.ConfirmError carrying Google's warning).
type flaggedDrive struct{ *fakeDrive }

func (d flaggedDrive) Open(ctx context.Context, id string, off int64) (io.ReadCloser, error) {
	if !providers.Confirmed(ctx) {
		return nil, &providers.ConfirmError{Warning: "This file may be malware; it was flagged by Google."}
	}
	return io.NopCloser(bytes.NewReader([]byte("flagged but wanted\n")[off:])), nil
}

// TestFlaggedCloudFileUploadsOnlyAfterConfirmation: a file the service
// warns about is not uploaded on its own; the row says the service's
// warning, and only "Upload anyway" in its details uploads it.
func TestFlaggedCloudFileUploadsOnlyAfterConfirmation(t *testing.T) {
	test.NewTempApp(t)
	connect, storeDir := embeddedConnect(t)
	drive := flaggedDrive{newFakeDrive(1)}
	drive.entries[0].Size = int64(len("flagged but wanted\n"))
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: connect}, StartDir: t.TempDir(), ThumbnailDir: t.TempDir()})
	defer m.Close()
	m.browser.Wait()
	src := &source{Key: "gdrive\x001", Title: "Google Drive", Remote: "gdrive", Account: "1", Prov: drive}
	withUI(func() { m.addRemote(src, drive.entries[:1]) })
	m.Wait()

	rows := m.queue.Rows()
	require.Len(t, rows, 1)
	require.Equal(t, upload.Failed, rows[0].State, "not uploaded without a confirmation")
	assert.Contains(t, rows[0].Problem.What, "This file may be malware; it was flagged by Google.")

	withUI(func() { m.queue.details(0, rows[0]) })
	var tapped bool
	withUI(func() {
		top := w.Canvas().Overlays().Top()
		require.NotNil(t, top, "the details are shown")
		for _, o := range test.LaidOutObjects(top) {
			if b, ok := o.(*widget.Button); ok && b.Text == "Upload anyway" {
				test.Tap(b)
				tapped = true
				break
			}
		}
	})
	require.True(t, tapped, "the details offer Upload anyway")
	m.Wait()
	rows = m.queue.Rows()
	require.Len(t, rows, 1)
	require.Equal(t, upload.Done, rows[0].State, "%s", rows[0].Reason)
	var stored []byte
	require.NoError(t, filepath.Walk(storeDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.HasSuffix(p, "file 0.txt") {
			stored, err = os.ReadFile(p)
		}
		return err
	}))
	assert.Equal(t, "flagged but wanted\n", string(stored))
}
