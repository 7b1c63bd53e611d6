package webdav

import (
	"errors"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodeAll(t *testing.T, doc string) []*davResponse {
	t.Helper()
	d := newPropDecoder(strings.NewReader(doc))
	var out []*davResponse
	for {
		r, err := d.next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out = append(out, r)
	}
}

func TestDecoderMixedPropstat(t *testing.T) {
	b, err := os.ReadFile("testdata/nextcloud.xml")
	require.NoError(t, err)
	rs := decodeAll(t, string(b))
	require.Len(t, rs, 4)
	assert.True(t, rs[0].props.isDir)
	assert.EqualValues(t, -1, rs[0].props.length, "getcontentlength is in the 404 block")
	assert.EqualValues(t, 3421, rs[0].props.folderSize)
	assert.EqualValues(t, 3421, rs[1].props.length)
	assert.EqualValues(t, -1, rs[1].props.folderSize, "oc:size is in the 404 block")
	assert.Equal(t, "131", rs[1].props.fileID)
	assert.True(t, rs[1].props.hasPreview)
	assert.Len(t, rs[1].props.checksums, 3)
}

func TestDecoderRejectsNonMultistatusAndTruncation(t *testing.T) {
	for _, doc := range []string{
		``,
		`<html><body>login</body></html>`,
		`<multistatus xmlns="urn:other"></multistatus>`,
		`<d:multistatus xmlns:d="DAV:"><d:response><d:href>/a</d:href>`,
		`<d:multistatus xmlns:d="DAV:"><d:response><d:propstat></d:response></d:multistatus>`,
		`<?xml version="1.0" encoding="EBCDIC"?><multistatus xmlns="DAV:"/>`,
		`<d:multistatus xmlns:d="DAV:"><d:response><d:propstat><d:prop><d:getetag>` + strings.Repeat("x", maxTextBytes+1) + `</d:getetag></d:prop></d:propstat><d:href>/a</d:href></d:response></d:multistatus>`,
		`<d:multistatus xmlns:d="DAV:">` + strings.Repeat("<d:x>", maxDepth+1),
		`<d:multistatus xmlns:d="DAV:"><d:response><d:status>HTTP/1.1 200 OK</d:status></d:response></d:multistatus>`,
	} {
		d := newPropDecoder(strings.NewReader(doc))
		var err error
		for range 10 {
			if _, err = d.next(); err != nil {
				break
			}
		}
		assert.Error(t, err, "%.80q", doc)
		assert.False(t, errors.Is(err, io.EOF), "%.80q must not look like a clean end", doc)
	}
	// An empty multistatus is a clean, empty answer.
	assert.Empty(t, decodeAll(t, `<multistatus xmlns="DAV:"/>`))
}

// FuzzPropfind: no answer makes the decoder panic, loop or keep more than
// one response; whatever it yields maps to IDs that stay below the base.
func FuzzPropfind(f *testing.F) {
	for _, name := range []string{"nextcloud.xml", "owncloud.xml", "default-ns.xml", "quota.xml"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	p, err := New(Options{URL: "https://cloud.example.com/remote.php/dav/files/ana/"})
	if err != nil {
		f.Fatal(err)
	}
	req, _ := url.Parse("https://cloud.example.com/remote.php/dav/files/ana/Photos/")
	f.Fuzz(func(t *testing.T, doc []byte) {
		d := newPropDecoder(strings.NewReader(string(doc)))
		for range 10000 {
			r, err := d.next()
			if err != nil {
				return
			}
			if segs, ok := p.hrefSegments(req, r.href); ok {
				id := makeID(segs, r.props.isDir)
				got, _, err := segments(id)
				if err != nil || !equalSegs(got, segs) {
					t.Fatalf("href %q gave ID %q that does not round-trip: %v", r.href, id, err)
				}
				u := p.urlFor(segs, r.props.isDir)
				if !strings.HasPrefix(u.EscapedPath(), "/remote.php/dav/files/ana/") || u.Host != "cloud.example.com" {
					t.Fatalf("href %q leads outside the base: %s", r.href, u)
				}
			}
		}
		t.Fatal("decoder yielded 10000 responses from one input")
	})
}
