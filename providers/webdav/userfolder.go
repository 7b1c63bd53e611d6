package webdav

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/ferry-app/ferry/providers"
)

// needsUserFolder reports whether u is a Nextcloud/ownCloud DAV root that
// does not name a user yet: …/remote.php/dav/ or …/remote.php/dav/files/.
func needsUserFolder(u *url.URL) bool {
	p := strings.TrimSuffix(u.Path, "/")
	return strings.HasSuffix(p, "/remote.php/dav") || strings.HasSuffix(p, "/remote.php/dav/files")
}

const propfindPrincipal = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>`

// UserFolder returns the signed-in user's files folder on the Nextcloud or
// ownCloud server server (its web root): …/remote.php/dav/files/<user ID>/.
// The user ID is the last segment of the DAV:current-user-principal the
// server reports (RFC 5397; Nextcloud: /remote.php/dav/principals/users/<ID>/).
// It is not always the login name: with LDAP or SSO back ends it is a GUID,
// and a folder named after the login name does not exist
// (nextcloud/desktop#6662). opts carries the credentials and client.
func UserFolder(ctx context.Context, server *url.URL, opts Options) (*url.URL, error) {
	dav := *ServerRoot(server)
	dav.Path = strings.TrimSuffix(dav.Path, "/") + "/remote.php/dav/"
	opts.URL = dav.String()
	p, err := New(opts)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	resp, err := p.propfind(ctx, p.base, "0", propfindPrincipal)
	if err != nil {
		return nil, fmt.Errorf("webdav: asking %s who is signed in: %w", providers.RedactURL(&dav), err)
	}
	defer resp.Body.Close()
	var ms struct {
		Responses []struct {
			Propstat []struct {
				Href string `xml:"prop>current-user-principal>href"`
			} `xml:"propstat"`
		} `xml:"response"`
	}
	if err := xml.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ms); err != nil {
		return nil, fmt.Errorf("webdav: reading the current user principal: %w", err)
	}
	for _, r := range ms.Responses {
		for _, ps := range r.Propstat {
			h, err := url.Parse(strings.TrimSpace(ps.Href))
			if err != nil {
				continue
			}
			segs := splitEscaped(strings.TrimSuffix(h.EscapedPath(), "/"))
			if n := len(segs); n >= 2 && segs[n-2] == "users" && segs[n-1] != "" && segs[n-1] != "." && segs[n-1] != ".." &&
				!strings.Contains(segs[n-1], "/") {
				out := dav
				out.Path += "files/" + segs[n-1] + "/"
				out.RawPath = ""
				return &out, nil
			}
		}
	}
	return nil, fmt.Errorf("webdav: %s named no user principal: %w", providers.RedactURL(&dav), providers.ErrNotSupported)
}
