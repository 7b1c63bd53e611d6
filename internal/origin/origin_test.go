package origin

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSame(t *testing.T) {
	u := func(s string) *url.URL {
		p, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"https://Backend.example/a", "https://backend.example:443/b?x", true},
		{"http://127.0.0.1:80/", "http://127.0.0.1/", true},
		{"https://backend.example/", "http://backend.example/", false},
		{"https://backend.example/", "https://backend.example:8443/", false},
		{"https://backend.example/", "https://evil.backend.example/", false},
		{"http://127.0.0.1:8080/", "http://localhost:8080/", false},
		{"http://[::1]:8080/", "http://[::1]:8080/x", true},
	} {
		assert.Equal(t, c.same, Same(u(c.a), u(c.b)), "%s vs %s", c.a, c.b)
	}
}
