package backend

import (
	"bytes"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ferry-app/ferry/backend/api"
)

// Seeds live in testdata/fuzz/<FuzzName>/ as well as here.

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(designExample))
	f.Add([]byte("listen = \"127.0.0.1:1\"\n[auth]\ntype = \"none\"\n[storage]\ndriver = \"local\"\ndir = \"/d\"\n[upload]\nurl_lifetime = \"15m\"\n"))
	f.Add([]byte("[upload]\nmax_file_size = \"99999999999999999TiB\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data, "fuzz.toml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.toml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if lt := time.Duration(c.Upload.URLLifetime); lt <= 0 || lt > MaxURLLifetime {
			t.Fatalf("accepted url_lifetime %s", lt)
		}
		if !strings.HasPrefix(c.Upload.KeyTemplate, "{user}/") {
			t.Fatalf("accepted key_template %q", c.Upload.KeyTemplate)
		}
		if c.Auth.Type == "none" {
			host, _, _ := net.SplitHostPort(c.Listen)
			if !isLoopbackHost(host) {
				t.Fatalf("accepted auth none on %q", c.Listen)
			}
		}
	})
}

func FuzzParamsQuery(f *testing.F) {
	f.Add("filename=a.txt&type=text%2Fplain&size=5&metadata%5Bname%5D=a.txt")
	f.Add("filename=..%2F..%2Fetc%2Fpasswd&type=&size=0")
	f.Add("filename=%E2%80%AEgnp.exe&size=-1&metadata[x")
	f.Add("filename=a&size=9223372036854775807&metadata%5BrelativePath%5D=%C3%A4%2Fb")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fr, err := parseParamsQuery(q)
		if err != nil {
			return
		}
		// Without size (Uppy) the size is unknown (-1: a POST policy bounds
		// it); a size given must be a non-negative number.
		if _, given := q["size"]; given && q.Get("size") != "" && fr.Size < 0 {
			t.Fatalf("negative size accepted: %d", fr.Size)
		} else if (!given || q.Get("size") == "") && fr.Size != -1 {
			t.Fatalf("no size given, but size %d", fr.Size)
		}
		for k, v := range fr.Metadata {
			if k != strings.ToLower(k) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
				t.Fatalf("metadata %q=%q not normalised", k, v)
			}
		}
		key, err := objectKey(DefaultKeyTemplate, "user~2F1", fr.Filename, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(key, userSegment("user~2F1")+"/") || checkKey(key) != nil || strings.Count(key, "/") > 3+maxPathSegments {
			t.Fatalf("unsafe key %q from %q", key, fr.Filename)
		}
	})
}

func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{"report.pdf", "../../x", "..", "a\x00b", "invoice\u202Efdp.exe", strings.Repeat("é", 200) + ".tar.gz", "\xff\xfe", " . "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		s := SanitizeFilename(name)
		if s == "" || s == "." || s == ".." || strings.HasPrefix(s, ".") {
			t.Fatalf("%q -> %q", name, s)
		}
		if len(s) > maxFilenameBytes || !utf8.ValidString(s) || strings.ContainsAny(s, "/\\\x00") {
			t.Fatalf("%q -> %q", name, s)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f || isBidiOrInvisible(r) {
				t.Fatalf("%q -> %q keeps %U", name, s, r)
			}
		}
		if SanitizeFilename(s) != s {
			t.Fatalf("not idempotent: %q -> %q -> %q", name, s, SanitizeFilename(s))
		}
	})
}

func FuzzMultipartBodies(f *testing.F) {
	f.Add([]byte(`{"filename":"a.bin","type":"application/octet-stream","size":10,"metadata":{"name":"a"}}`))
	f.Add([]byte(`{"parts":[{"PartNumber":1,"ETag":"\"abc\""},{"PartNumber":2,"ETag":"x"}]}`))
	f.Add([]byte(`{"filename":"","size":-5} {}`))
	f.Add([]byte(`{"parts":[{"PartNumber":2,"ETag":"a"},{"PartNumber":1,"ETag":"b"}]}`))
	s := &Server{cfg: DefaultConfig()}
	f.Fuzz(func(t *testing.T, body []byte) {
		var cr api.CreateMultipartRequest
		if decodeJSON(bytes.NewReader(body), &cr) == nil {
			if fr, err := createRequest(&cr); err == nil {
				if fr.Size < -1 || fr.Size == 0 {
					t.Fatalf("bad size %d", fr.Size)
				}
			}
		}
		var comp api.CompleteRequest
		if decodeJSON(bytes.NewReader(body), &comp) == nil {
			if s.checkCompleteParts(comp.Parts) == nil {
				for i, p := range comp.Parts {
					if p.PartNumber < 1 || p.PartNumber > 10000 || (i > 0 && p.PartNumber <= comp.Parts[i-1].PartNumber) {
						t.Fatalf("accepted parts %+v", comp.Parts)
					}
				}
			}
		}
	})
}

func FuzzTokenForm(f *testing.F) {
	f.Add("grant_type=authorization_code&code=c&code_verifier=v&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb")
	f.Add("grant_type=authorization_code&code=c&code_verifier=" + strings.Repeat("v", 43) + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A5555%2Foauth%2Fcb%2Fbox")
	f.Add("grant_type=refresh_token&refresh_token=r&client_secret=evil")
	f.Add("grant_type=password&username=a")
	f.Fuzz(func(t *testing.T, raw string) {
		in, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		out, err := tokenForm(in, "box", ProviderConfig{ClientID: "cid"}, "sec")
		if err != nil {
			var he *httpError
			if !asHTTPError(err, &he) || he.status != http.StatusBadRequest {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if out.Get("grant_type") == "authorization_code" && checkLoopbackRedirect(out.Get("redirect_uri"), "box", nil) != nil {
			t.Fatalf("forwarded a non-loopback redirect_uri %q", out.Get("redirect_uri"))
		}
		if out.Get("client_secret") != "sec" || out.Get("client_id") != "cid" || len(out["client_secret"]) != 1 {
			t.Fatalf("client credentials not ours: %v", out)
		}
		for k := range out {
			switch k {
			case "grant_type", "code", "code_verifier", "redirect_uri", "refresh_token", "scope", "client_id", "client_secret":
			default:
				t.Fatalf("forwarded unexpected field %q", k)
			}
		}
	})
}

func asHTTPError(err error, target **httpError) bool {
	he, ok := err.(*httpError)
	*target = he
	return ok
}
