package box

import (
	"net/http"
	"testing"

	"github.com/ferry-app/ferry/providers"
)

// FuzzParseItemsPage: any listing answer decodes or errors, and every entry
// built from it either has a usable ID or says why not.
func FuzzParseItemsPage(f *testing.F) {
	f.Add([]byte(`{"entries":[{"type":"file","id":"12345","etag":"1","sha1":"85136C79CBF9FE36BB9D05D0639C70C265C18D37","name":"Contract.pdf","size":629644,"modified_at":"2012-12-12T10:53:43-08:00","file_version":{"type":"file_version","id":"12345","sha1":"85136c79"}}],"limit":1000,"next_marker":"JV9IRGZmieiBasejOG9yDCRNgd2ymoZIbjsxbJMjIs3kioVii"}`))
	f.Add([]byte(`{"entries":[{"type":"folder","id":"0","etag":null,"name":"All Files"},{"type":"web_link","id":"7","name":"l"}],"limit":100,"next_marker":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseItemsPage(data)
		if err != nil {
			return
		}
		for _, it := range p.Entries {
			e := entry(it)
			if e.Err == nil {
				if _, _, err := parseID(e.ID); err != nil {
					t.Fatalf("entry %q has an unusable ID and no Err", e.ID)
				}
			}
			if e.IsDir && e.Size != -1 {
				t.Fatal("folder with a size")
			}
		}
	})
}

// FuzzParseBoxError: the mapper never panics and every failure maps to an
// error.
func FuzzParseBoxError(f *testing.F) {
	f.Add([]byte(`{"type":"error","status":404,"code":"not_found","message":"Not Found","request_id":"abc"}`), 404)
	f.Add([]byte(`{"type":"error","status":429,"code":"rate_limit_exceeded"}`), 429)
	f.Add([]byte(``), 401)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		if status < 400 || status > 599 {
			return
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}}
		err := mapError(resp, body)
		if err == nil {
			err = providers.DefaultErrorMapper(resp, body)
		}
		if err == nil {
			t.Fatal("no error for a failure status")
		}
	})
}
