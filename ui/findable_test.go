package ui

import (
	"net/url"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/upload"
)

// TestFinishedUploadCanBeFound is issue 20 item 4: a finished row offers
// Show in folder for a file the built-in backend stored on this computer,
// and Copy link for a web address.
func TestFinishedUploadCanBeFound(t *testing.T) {
	a := test.NewTempApp(t)
	q := newQueueView()
	var opened []string
	q.openURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
	w := test.NewWindow(q.view())
	w.Resize(fyne.NewSize(900, 400))
	q.apply(upload.Event{ID: 1, Name: "trip/a.jpg", State: upload.Done, Sent: 5, Total: 5,
		Result: &upload.Result{Name: "trip/a.jpg", Location: "file:///home/ann/.local/share/ferry/backend/files/local/2026/12/u1/trip/a.jpg"}})
	q.apply(upload.Event{ID: 2, Name: "b.pdf", State: upload.Done, Sent: 5, Total: 5,
		Result: &upload.Result{Name: "b.pdf", Location: "https://uploads.example/ann/b.pdf"}})

	rows := visibleRows(t, q)
	require.Len(t, rows, 2)
	local, web := rows[0], rows[1]
	assert.True(t, local.folder.Visible())
	assert.Equal(t, "Show in folder", local.folder.Text)
	assert.False(t, local.link.Visible())
	assert.True(t, web.link.Visible())
	assert.False(t, web.folder.Visible())

	test.Tap(local.folder)
	assert.Equal(t, []string{"file:///home/ann/.local/share/ferry/backend/files/local/2026/12/u1/trip"}, opened, "the folder holding the file opens")
	test.Tap(web.link)
	assert.Equal(t, "https://uploads.example/ann/b.pdf", a.Clipboard().Content())
}
