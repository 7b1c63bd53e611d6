package onedrive

import (
	"testing"

	"github.com/ferry-app/ferry/providers"
)

// FuzzParseItemPage: any collection answer decodes or errors, and every
// entry built from it keeps the Entry invariants (no panic, usable or
// flagged IDs).
func FuzzParseItemPage(f *testing.F) {
	f.Add([]byte(`{"value":[{"id":"A!1","name":"a.txt","size":3,"file":{"mimeType":"text/plain","hashes":{"quickXorHash":"AAAAAAAAAAAAAAAAAAAAAAAAAAA="}}}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/me/drive/root/children?$skiptoken=x"}`))
	f.Add([]byte(`{"value":[{"id":"1312abc","remoteItem":{"id":"1991210caf!192","name":"March Proposal.docx","file":{},"size":19121,"parentReference":{"driveId":"1991210caf","id":"1991210caf!104"}}}]}`))
	f.Add([]byte(`{"value":[{"id":"x","folder":{"childCount":2},"package":{"type":"oneNote"},"size":-5,"lastModifiedDateTime":"bad"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseItemPage(data)
		if err != nil {
			return
		}
		for _, it := range p.Value {
			e := entry(it, "")
			if e.Err == nil {
				if _, err := parseID(e.ID); err != nil {
					t.Fatalf("entry %q has an unusable ID and no Err", e.ID)
				}
			}
			if e.IsDir && e.Size != -1 {
				t.Fatalf("folder with a size")
			}
		}
	})
}

// FuzzParseGraphError: the error mapper never panics and always yields an
// error for a failure status.
func FuzzParseGraphError(f *testing.F) {
	f.Add([]byte(`{"error":{"code":"itemNotFound","message":"The resource could not be found.","innerError":{"request-id":"1","date":"2024"}}}`), 404)
	f.Add([]byte(`{"error":{"code":"activityLimitReached"}}`), 429)
	f.Add([]byte(`{"error":"invalid_grant"}`), 400)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		if status < 400 || status > 599 {
			return
		}
		resp := &httpResponse{status: status}
		err := mapError(resp.build(), body)
		if err == nil {
			err = providers.DefaultErrorMapper(resp.build(), body)
		}
		if err == nil {
			t.Fatal("no error for a failure status")
		}
	})
}
