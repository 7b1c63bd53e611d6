package api

import "testing"

func TestTypeAllowed(t *testing.T) {
	cases := []struct {
		rules       []string
		name, ctype string
		want        bool
	}{
		{nil, "anything.exe", "application/octet-stream", true},
		{[]string{"text/plain"}, "notes.txt", "text/plain; charset=utf-8", true},
		{[]string{"text/plain"}, "notes.txt", "Text/Plain", true},
		{[]string{"TEXT/PLAIN"}, "notes.txt", "text/plain;charset=UTF-8", true},
		{[]string{"text/plain"}, "table.csv", "text/csv; charset=utf-8", false},
		{[]string{"text/plain"}, "page.html", "text/html; charset=utf-8", false},
		{[]string{"image/*"}, "photo.png", "image/png", true},
		{[]string{"image/*"}, "doc.pdf", "application/pdf", false},
		{[]string{"*/*"}, "x", "", true},
		{[]string{".docx"}, "Report.DOCX", "application/octet-stream", true},
		{[]string{".docx"}, "report.doc", "application/msword", false},
		{[]string{"application/pdf", ".docx"}, "a.pdf", "application/pdf", true},
	}
	for _, c := range cases {
		if got := TypeAllowed(c.rules, c.name, c.ctype); got != c.want {
			t.Errorf("TypeAllowed(%q, %q, %q) = %v, want %v", c.rules, c.name, c.ctype, got, c.want)
		}
	}
}

func TestValidTypeRule(t *testing.T) {
	for _, r := range []string{"image/png", "image/*", "*/*", ".pdf"} {
		if !ValidTypeRule(r) {
			t.Errorf("%q refused", r)
		}
	}
	for _, r := range []string{"", ".", "image", "image/", "/png", "text/plain; charset=utf-8", "a/b,c/d", "./x"} {
		if ValidTypeRule(r) {
			t.Errorf("%q accepted", r)
		}
	}
}

func TestErrorMeaning(t *testing.T) {
	type meaning struct{ signIn, forbidden, expired, busy, fault, temporary bool }
	cases := []struct {
		err  Error
		want meaning
	}{
		{Error{Status: 401, Code: CodeUnauthorized}, meaning{signIn: true}},
		{Error{Status: 403, Code: "SignatureDoesNotMatch"}, meaning{forbidden: true}},
		{Error{Status: 403, Code: "AccessDenied", Message: "Request has expired."}, meaning{forbidden: true, expired: true}},
		{Error{Status: 403, Code: CodeExpired}, meaning{forbidden: true, expired: true}},
		{Error{Status: 429, Code: CodeRateLimited}, meaning{busy: true, temporary: true}},
		{Error{Status: 503, Code: "SlowDown"}, meaning{busy: true, fault: true, temporary: true}},
		{Error{Status: 500, Code: CodeInternal}, meaning{fault: true, temporary: true}},
		{Error{Status: 408}, meaning{temporary: true}},
		{Error{Status: 413, Code: CodeTooLarge}, meaning{}},
		{Error{Code: "SlowDown"}, meaning{busy: true, temporary: true}},
	}
	for _, c := range cases {
		got := meaning{c.err.NeedsSignIn(), c.err.Forbidden(), c.err.Expired(), c.err.Busy(), c.err.ServerFault(), c.err.Temporary()}
		if got != c.want {
			t.Errorf("%d %s: got %+v, want %+v", c.err.Status, c.err.Code, got, c.want)
		}
	}
}
