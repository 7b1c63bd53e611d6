package webdav

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	xwebdav "golang.org/x/net/webdav"

	"github.com/ferry-app/ferry/providers"
)

// nextcloudWithLDAP serves a user whose login name ("ana@example.com")
// is not their user ID (an LDAP GUID): their files live at
// /remote.php/dav/files/<user ID>/, and PROPFIND on /remote.php/dav/ names
// them as the DAV:current-user-principal (RFC 5397). A URL built from the
// login name names nothing, as on a real server (nextcloud/desktop#6662).
func nextcloudWithLDAP(t *testing.T) *httptest.Server {
	const uid = "7f6e4a0c-9d3b-4c7e-b1a2-5e8f9c0d1a2b"
	fs := xwebdav.NewMemFS()
	f, err := fs.OpenFile(context.Background(), "/notes.txt", 0o102, 0o644)
	require.NoError(t, err)
	_, _ = f.Write([]byte("hello"))
	f.Close()
	files := &xwebdav.Handler{Prefix: "/remote.php/dav/files/" + uid, FileSystem: fs, LockSystem: xwebdav.NewMemLS()}
	mux := http.NewServeMux()
	mux.Handle("/remote.php/dav/files/"+uid+"/", files)
	mux.HandleFunc("PROPFIND /remote.php/dav/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		_, _ = w.Write([]byte(`<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:"><d:response><d:href>/remote.php/dav/</d:href><d:propstat><d:prop>
<d:current-user-principal><d:href>/remote.php/dav/principals/users/` + uid + `/</d:href></d:current-user-principal>
</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Principal with name ana@example.com not found", http.StatusNotFound)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, pw, ok := r.BasicAuth(); !ok || u != "ana@example.com" || pw != "app-pass" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A Nextcloud remote configured as the server's …/remote.php/dav/files/
// (no user) shows the signed-in person's files, found by the user ID the
// server reports, not by their login name.
func TestNextcloudFolderFromTheReportedUserID(t *testing.T) {
	srv := nextcloudWithLDAP(t)
	for _, dav := range []string{"/remote.php/dav/files/", "/remote.php/dav/"} {
		p, err := Kind.New(context.Background(), providers.Settings{Name: "cloud", Type: "webdav", URL: srv.URL + dav},
			providers.Deps{User: "ana@example.com", Secret: "app-pass"})
		require.NoError(t, err, dav)
		page, err := p.List(context.Background(), "", "")
		require.NoError(t, err, dav)
		require.Len(t, page.Entries, 1, dav)
		assert.Equal(t, "notes.txt", page.Entries[0].Name)
	}
}
