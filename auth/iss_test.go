package auth

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 9207 for every provider, not only those configured by issuer: a
// provider with explicit endpoints (Google, Dropbox, Microsoft, Box) whose
// response carries iss must name its own authorization server, so a
// mix-up (a response from another server delivered to this callback) ends
// the flow before the code is redeemed.
func TestIssCheckedForProvidersWithExplicitEndpoints(t *testing.T) {
	for name, c := range map[string]struct {
		iss  string // "" uses the authorization endpoint's origin
		want error
	}{
		"another server":                          {iss: "https://evil.example", want: ErrIssuerMismatch},
		"the same host on another port":           {iss: "http://127.0.0.1:1", want: ErrIssuerMismatch},
		"not a URL":                               {iss: "as", want: ErrIssuerMismatch},
		"the authorization endpoint's own server": {},
	} {
		t.Run(name, func(t *testing.T) {
			as := newFakeAS(t, "ferry-test")
			cfg := as.config("test")
			require.Empty(t, cfg.Issuer)
			f := begin(t, cfg)
			good := as.authorize(f.URL())
			iss := c.iss
			if iss == "" {
				u, err := url.Parse(cfg.AuthURL)
				require.NoError(t, err)
				iss = u.Scheme + "://" + u.Host
			}
			good.Set("iss", iss)
			resp := send(t, f, "GET", f.callbackPath, good, "")
			res, err := f.Wait()
			if c.want == nil {
				require.NoError(t, err)
				assert.Equal(t, 200, resp.StatusCode)
				assert.NotEmpty(t, res.Token.AccessToken)
				return
			}
			require.ErrorIs(t, err, c.want)
			assert.Equal(t, 400, resp.StatusCode)
			assert.Zero(t, as.tokenRequests(), "a refused response must not reach the token endpoint")
		})
	}
}
