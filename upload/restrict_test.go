package upload

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

func localFile(t *testing.T, dir, name string, data []byte) *LocalFile {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, data, 0o644))
	f, err := NewLocalFile(p, name)
	require.NoError(t, err)
	return f
}

var pngHeader = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")

func TestRestrictionsGiveAReasonPerFileBeforeSending(t *testing.T) {
	dir := t.TempDir()
	r := RestrictionsFrom(api.UploadInfo{MaxFileSize: 100, MinFileSize: 2, MaxFiles: 4, MaxTotalSize: 150,
		AllowedTypes: []string{"image/*", ".pdf", "text/plain"}})
	photo := localFile(t, dir, "photo.png", pngHeader)
	big := localFile(t, dir, "big.png", make([]byte, 101))
	tiny := localFile(t, dir, "tiny.txt", []byte("x"))
	exe := localFile(t, dir, "tool.exe", []byte("MZ......"))
	doc := localFile(t, dir, "doc.pdf", append([]byte("%PDF-1.7\n"), make([]byte, 70)...))
	notes := localFile(t, dir, "notes.txt", make([]byte, 30))
	more := localFile(t, dir, "more.txt", make([]byte, 20))
	again := localFile(t, dir, "photo.png", pngHeader) // the same file twice

	errs := r.Check([]Source{photo, big, tiny, exe, doc, notes, again, more}, nil)
	require.Len(t, errs, 8)
	assert.NoError(t, errs[0])
	assert.Equal(t, "The file is 101 B; the upload service accepts at most 100 B.", Reason(errs[1]))
	assert.Contains(t, Reason(errs[2]), "needs at least 2 B")
	assert.Contains(t, Reason(errs[3]), "does not accept this type of file (.exe)")
	assert.NoError(t, errs[4])
	assert.NoError(t, errs[5])
	assert.ErrorIs(t, errs[6], ErrDuplicate)
	assert.Equal(t, "This file is already being uploaded.", Reason(errs[6]))
	assert.Contains(t, Reason(errs[7]), "would pass the 150 B", "total size of the batch")

	// Count limit, and duplicates of what the queue is already uploading.
	r2 := Restrictions{MaxFiles: 1}
	errs = r2.Check([]Source{doc, notes}, []Source{photo})
	assert.NoError(t, errs[0])
	assert.Equal(t, "Only 1 files can be uploaded at once.", Reason(errs[1]))
	errs = r2.Check([]Source{photo}, []Source{photo})
	assert.ErrorIs(t, errs[0], ErrDuplicate)
}

func TestContentSniffingCatchesMislabelledFiles(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	r := Restrictions{AllowedTypes: []string{"image/*", "text/plain", ".docx"}}

	assert.NoError(t, r.checkContent(ctx, localFile(t, dir, "ok.png", pngHeader)))
	err := r.checkContent(ctx, localFile(t, dir, "fake.png", []byte("#!/bin/sh\nrm -rf ~\n")))
	assert.Equal(t, "The file's content does not match its name: it is named as image/png but looks like text/plain.", Reason(err))
	err = r.checkContent(ctx, localFile(t, dir, "invoice.txt", append([]byte("%PDF-1.4\n"), make([]byte, 40)...)))
	assert.Equal(t, "The file's content is application/pdf, which the upload service does not accept.", Reason(err))
	// A .docx is a zip inside: allowed by its extension, so its zip content is fine.
	assert.NoError(t, r.checkContent(ctx, localFile(t, dir, "report.docx", []byte("PK\x03\x04rest-of-zip"))))
	// No type restriction: nothing is sniffed.
	assert.NoError(t, Restrictions{}.checkContent(ctx, localFile(t, dir, "any.png", []byte("text"))))
}

func TestMergeKeepsTheStricterLimit(t *testing.T) {
	disc := Restrictions{MaxFileSize: 100, MaxFiles: 0, AllowedTypes: []string{"image/*", "application/pdf"}}
	admin := Restrictions{MaxFileSize: 0, MaxFiles: 5, MinFileSize: 3, AllowedTypes: []string{"application/pdf"}}
	m := disc.Merge(admin)
	assert.EqualValues(t, 100, m.MaxFileSize)
	assert.Equal(t, 5, m.MaxFiles)
	assert.EqualValues(t, 3, m.MinFileSize)
	assert.True(t, m.typeAllowed("a.pdf", "application/pdf"))
	assert.False(t, m.typeAllowed("a.png", "image/png"), "both lists must admit a file")
	m = Restrictions{MaxFileSize: 50}.Merge(Restrictions{MaxFileSize: 80})
	assert.EqualValues(t, 50, m.MaxFileSize)
}

func TestQueueRefusesRestrictedFilesWithoutContactingTheBackend(t *testing.T) {
	// A backend URL nobody listens on: any request would fail differently.
	c, err := NewClient("http://127.0.0.1:1", nil, nil)
	require.NoError(t, err)
	d := &api.Discovery{Version: 1, Upload: api.UploadInfo{Protocol: api.ProtocolS3, MaxFileSize: 10}}
	events := &collector{}
	q := NewQueue(c, d, Options{OnEvent: events.add})
	defer q.Close()
	src := localFile(t, t.TempDir(), "big.bin", make([]byte, 11))
	id := q.Add(src)[0]
	q.Wait()
	e := events.final(id)
	require.Equal(t, Failed, e.State)
	assert.Equal(t, "The file is 11 B; the upload service accepts at most 10 B.", Reason(e.Err))
	assert.Equal(t, []State{Queued, Failed}, events.states(id))
}
