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
