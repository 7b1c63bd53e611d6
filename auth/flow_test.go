package auth

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func begin(t *testing.T, cfg *Config) *Flow {
	t.Helper()
	f, err := cfg.Begin(context.Background(), time.Minute)
	require.NoError(t, err)
	t.Cleanup(func() { f.Cancel(); f.Wait() })
	return f
}

// send makes one request to the flow's listener; host "" means the right one.
func send(t *testing.T, f *Flow, method, path string, q url.Values, host string) *http.Response {
	t.Helper()
	u := "http://" + f.host + path
	if q != nil {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, u, nil)
	require.NoError(t, err)
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp
}

func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func requireClosed(t *testing.T, f *Flow) {
	t.Helper()
	c, err := net.Dial("tcp4", f.host)
	if err == nil {
		c.Close()
	}
	require.Error(t, err, "the loopback listener must be closed once the flow ended")
}

func requirePrivatePage(t *testing.T, resp *http.Response) {
	t.Helper()
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	assert.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
}

// TestHostileCallbacks: every response that is not this attempt's callback is
// refused without ending the flow (which then completes normally), and the
// ones that legitimately end it end it with the right typed error.
func TestHostileCallbacks(t *testing.T) {
	type hostile func(t *testing.T, f *Flow, good url.Values) *http.Response
	with := func(good url.Values, set map[string]string, del ...string) url.Values {
		q := url.Values{}
		for k, v := range good {
			q[k] = v
		}
		for k, v := range set {
			q.Set(k, v)
		}
		for _, k := range del {
			q.Del(k)
		}
		return q
	}
	cases := []struct {
		name   string
		issuer string // Config.Issuer (for iss checks)
		do     hostile
		status int
		ends   error // nil: the flow goes on and the good callback completes it
		page   string
	}{
		{name: "missing state", status: 400, page: "another sign-in",
			do: func(t *testing.T, f *Flow, good url.Values) *http.Response {
				return send(t, f, "GET", f.callbackPath, with(good, nil, "state"), "")
			}},
		{name: "wrong state", status: 400, page: "another sign-in",
			do: func(t *testing.T, f *Flow, good url.Values) *http.Response {
				return send(t, f, "GET", f.callbackPath, with(good, map[string]string{"state": randomString()}), "")
			}},
		{name: "access_denied with a wrong state is not trusted", status: 400,
			do: func(t *testing.T, f *Flow, good url.Values) *http.Response {
				q := url.Values{"error": {"access_denied"}, "state": {"forged"}}
				return send(t, f, "GET", f.callbackPath, q, "")
			}},
		{name: "wrong Host (DNS rebinding)", status: 400,
			do: func(t *testing.T, f *Flow, good url.Values) *http.Response {
				return send(t, f, "GET", f.callbackPath, good, "localhost:"+strings.Split(f.host, ":")[1])
			}},
		{name: "Host without port", status: 400,
			do: func(t *testing.T, f *Flow, good url.Values) *http.Response {
				return send(t, f, "GET", f.callbackPath, good, "127.0.0.1")
			}},
		{name: "favicon", status: 404,
			do: func(t *testing.T, f *Flow, good url.Values) *http.Response {
				return send(t, f, "GET", "/favicon.ico", nil, "")
			}},
		{name: "another provider's callback path", status: 404,
			do: func(t *testing.T, f *Flow, good url.Values) *http.Response {
				return send(t, f, "GET", CallbackPathPrefix+"other", good, "")
			}},
		{name: "POST instead of GET", status: 405,
			do: func(t *testing.T, f *Flow, good url.Values) *http.Response {
				return send(t, f, "POST", f.callbackPath, good, "")
			}},
		{name: "error=access_denied", status: 200, ends: ErrCancelled, page: "cancelled",
			do: func(t *testing.T, f *Flow, good url.Values) *http.Response {
				return send(t, f, "GET", f.callbackPath, with(good, map[string]string{"error": "access_denied"}, "code"), "")
			}},
		{name: "error=invalid_scope with description", status: 200, ends: &OAuthError{Code: "invalid_scope"}, page: "Scope files.read is not allowed",
			do: func(t *testing.T, f *Flow, good url.Values) *http.Response {
				return send(t, f, "GET", f.callbackPath, with(good, map[string]string{
					"error": "invalid_scope", "error_description": "Scope files.read is not allowed <b>"}, "code"), "")
			}},
		{name: "no code", status: 200, ends: &OAuthError{Code: "invalid_request"},
			do: func(t *testing.T, f *Flow, good url.Values) *http.Response {
				return send(t, f, "GET", f.callbackPath, with(good, nil, "code"), "")
			}},
		{name: "iss mismatch (RFC 9207)", issuer: "https://as.example", status: 400, ends: ErrIssuerMismatch,
			do: func(t *testing.T, f *Flow, good url.Values) *http.Response {
				return send(t, f, "GET", f.callbackPath, with(good, map[string]string{"iss": "https://as.example.evil"}), "")
			}},
		{name: "iss differing only by a trailing slash", issuer: "https://as.example", status: 400, ends: ErrIssuerMismatch,
			do: func(t *testing.T, f *Flow, good url.Values) *http.Response {
				return send(t, f, "GET", f.callbackPath, with(good, map[string]string{"iss": "https://as.example/"}), "")
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			as := newFakeAS(t, "ferry-test")
			cfg := as.config("test")
			cfg.Issuer = tc.issuer
			f := begin(t, cfg)
			good := as.authorize(f.URL())
			if tc.issuer != "" {
				good.Set("iss", tc.issuer)
			}

			resp := tc.do(t, f, good)
			assert.Equal(t, tc.status, resp.StatusCode)
			requirePrivatePage(t, resp)
			if tc.page != "" {
				assert.Contains(t, body(resp), tc.page)
			}
			assert.NotContains(t, body(resp), "<b>", "server text is escaped")

			if tc.ends != nil {
				res, err := f.Wait()
				require.Nil(t, res)
				var want *OAuthError
				if errors.As(tc.ends, &want) {
					var got *OAuthError
					require.ErrorAs(t, err, &got)
					assert.Equal(t, want.Code, got.Code)
				} else {
					require.ErrorIs(t, err, tc.ends)
				}
				assert.Zero(t, as.tokenRequests(), "a refused response must not reach the token endpoint")
				requireClosed(t, f)
				return
			}
			assert.Zero(t, as.tokenRequests(), "a refused response must not reach the token endpoint")
			ok := send(t, f, "GET", f.callbackPath, good, "")
			assert.Equal(t, 200, ok.StatusCode)
			assert.Contains(t, body(ok), "You are signed in")
			res, err := f.Wait()
			require.NoError(t, err)
			assert.NotEmpty(t, res.Token.AccessToken)
			requireClosed(t, f)
		})
	}
}

// TestSlowClientDoesNotBlock: a client that connects and never finishes its
// request neither stops the real callback nor keeps the listener alive.
func TestSlowClientDoesNotBlock(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	f := begin(t, as.config("test"))
	good := as.authorize(f.URL())

	slow, err := net.Dial("tcp4", f.host)
	require.NoError(t, err)
	defer slow.Close()
	_, err = io.WriteString(slow, "GET "+f.callbackPath+"?state="+good.Get("state")+"&code=")
	require.NoError(t, err) // ...and never the rest of the request line or headers

	resp := send(t, f, "GET", f.callbackPath, good, "")
	require.Equal(t, 200, resp.StatusCode)
	_, err = f.Wait()
	require.NoError(t, err)
	requireClosed(t, f)

	// Shutdown dropped the stuck connection instead of waiting for it.
	_, err = bufio.NewReader(slow).ReadByte()
	require.Error(t, err)
}

// TestSlowClientIsCutOff: a client that connects and never finishes its
// request headers is disconnected by the listener once the header timeout
// passes, while the flow goes on waiting for the real callback.
func TestSlowClientIsCutOff(t *testing.T) {
	old := readHeaderTimeout
	readHeaderTimeout = 200 * time.Millisecond
	t.Cleanup(func() { readHeaderTimeout = old })
	as := newFakeAS(t, "ferry-test")
	f := begin(t, as.config("test"))
	good := as.authorize(f.URL())

	slow, err := net.Dial("tcp4", f.host)
	require.NoError(t, err)
	defer slow.Close()
	_, err = io.WriteString(slow, "GET "+f.callbackPath+" HTTP/1.1\r\nHost: "+f.host+"\r\n") // no blank line: the headers never end
	require.NoError(t, err)
	// A safety net only: the listener must close long before it.
	require.NoError(t, slow.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = io.ReadAll(slow)
	require.NoError(t, err, "the listener closed the stalled connection")

	resp := send(t, f, "GET", f.callbackPath, good, "")
	require.Equal(t, 200, resp.StatusCode)
	_, err = f.Wait()
	require.NoError(t, err)
}

// TestSecondCallbackRefused: once a response was accepted, the same callback
// (a replayed code) is refused, by the handler and by Paste, and the token
// endpoint sees exactly one exchange.
func TestSecondCallbackRefused(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	f := begin(t, as.config("test"))
	good := as.authorize(f.URL())
	require.Equal(t, 200, send(t, f, "GET", f.callbackPath, good, "").StatusCode)
	_, err := f.Wait()
	require.NoError(t, err)

	// The listener is gone; the handler behind it refuses too.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", f.callbackPath+"?"+good.Encode(), nil)
	req.Host = f.host
	f.ServeHTTP(rec, req)
	assert.Equal(t, 400, rec.Code)
	assert.Contains(t, rec.Body.String(), "already finished")
	require.ErrorIs(t, f.Paste(f.RedirectURI()+"?"+good.Encode()), ErrAlreadyDone)
	assert.Equal(t, 1, as.tokenRequests())
}

// TestConcurrentCallbacksOneWins: two identical callbacks racing: exactly
// one is redeemed.
func TestConcurrentCallbacksOneWins(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	f := begin(t, as.config("test"))
	good := as.authorize(f.URL())
	codes := make(chan int, 2)
	for range 2 {
		go func() {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", f.callbackPath+"?"+good.Encode(), nil)
			req.Host = f.host
			f.ServeHTTP(rec, req)
			codes <- rec.Code
		}()
	}
	got := []int{<-codes, <-codes}
	assert.ElementsMatch(t, []int{200, 400}, got)
	_, err := f.Wait()
	require.NoError(t, err)
	assert.Equal(t, 1, as.tokenRequests())
}

func TestExchangeFailureEndsFlowAndIsShown(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	f := begin(t, as.config("test"))
	good := as.authorize(f.URL())
	good.Set("code", "code-never-issued")
	resp := send(t, f, "GET", f.callbackPath, good, "")
	assert.Contains(t, body(resp), "invalid_grant")
	_, err := f.Wait()
	var oe *OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_grant", oe.Code)
	assert.Equal(t, 400, oe.Status)
	require.ErrorIs(t, err, ErrNeedsSignIn)
	requireClosed(t, f)
}

// TestListenerLoopbackOnly: bound to the IPv4 loopback literal only.
func TestListenerLoopbackOnly(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	f := begin(t, as.config("test"))
	u, err := url.Parse(f.RedirectURI())
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", u.Hostname())
	assert.Equal(t, "/oauth/cb/test", u.Path)
	port := u.Port()
	assert.NotEqual(t, "0", port)

	// Reachable on 127.0.0.1 ...
	c, err := net.Dial("tcp4", "127.0.0.1:"+port)
	require.NoError(t, err)
	c.Close()
	// ... but not on other loopback addresses (a 0.0.0.0 listener would
	// answer 127.0.0.2), not on ::1, and not on any interface address.
	others := []string{"127.0.0.2", "::1"}
	addrs, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
			others = append(others, ipn.IP.String())
		}
	}
	for _, h := range others {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(h, port), 2*time.Second)
		if err == nil {
			c.Close()
		}
		assert.Error(t, err, "listener must not be reachable via %s", h)
	}
	// The authorization request carries exactly this redirect URI.
	au, err := url.Parse(f.URL())
	require.NoError(t, err)
	assert.Equal(t, f.RedirectURI(), au.Query().Get("redirect_uri"))
}

func TestFixedPortsFirstFree(t *testing.T) {
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	free, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	freePort := free.Addr().(*net.TCPAddr).Port
	free.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	as := newFakeAS(t, "ferry-test")
	cfg := as.config("box")
	cfg.Ports = []int{busyPort, freePort}
	f := begin(t, cfg)
	assert.Equal(t, "http://127.0.0.1:"+strconv.Itoa(freePort)+"/oauth/cb/box", f.RedirectURI())

	cfg2 := as.config("box")
	cfg2.Ports = []int{busyPort}
	_, err = cfg2.Begin(context.Background(), time.Minute)
	require.ErrorContains(t, err, "registered callback ports")
}

// TestFreshSecretsPerAttempt: state, verifier (S256 challenge) and nonce are
// new for every attempt and 256 bits long.
func TestFreshSecretsPerAttempt(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	cfg := as.config("test")
	cfg.Scopes = []string{"openid", "email"}
	cfg.AuthParams = map[string]string{"access_type": "offline", "prompt": "consent"}
	seen := map[string]bool{}
	for range 3 {
		f := begin(t, cfg)
		q, err := url.ParseQuery(f.URL()[strings.Index(f.URL(), "?")+1:])
		require.NoError(t, err)
		assert.Equal(t, "S256", q.Get("code_challenge_method"))
		assert.Equal(t, "offline", q.Get("access_type"))
		assert.Equal(t, "consent", q.Get("prompt"))
		assert.Equal(t, "openid email", q.Get("scope"))
		for _, v := range []string{q.Get("state"), q.Get("code_challenge"), q.Get("nonce"), f.verifier} {
			assert.Len(t, v, 43) // 32 random bytes, base64url
			assert.False(t, seen[v], "value repeated across attempts")
			seen[v] = true
		}
		f.Cancel()
	}
}

func TestTimeoutClosesListener(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	f, err := as.config("test").Begin(context.Background(), time.Millisecond)
	require.NoError(t, err)
	_, err = f.Wait()
	require.ErrorIs(t, err, ErrTimeout)
	requireClosed(t, f)
}

func TestCancelClosesListener(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	f := begin(t, as.config("test"))
	c, err := net.Dial("tcp4", f.host)
	require.NoError(t, err)
	c.Close()
	f.Cancel()
	_, err = f.Wait()
	require.ErrorIs(t, err, ErrCancelled)
	requireClosed(t, f)
}

func TestContextCancelClosesListener(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	ctx, cancel := context.WithCancel(context.Background())
	f, err := as.config("test").Begin(ctx, time.Minute)
	require.NoError(t, err)
	cancel()
	_, err = f.Wait()
	require.ErrorIs(t, err, ErrCancelled)
	require.ErrorIs(t, err, context.Canceled)
	requireClosed(t, f)
}

// TestPasteCompletesWithoutBrowser: no browser opens; the person pastes
// the final redirect URL. Wrong pastes are reported and the flow goes on.
func TestPasteCompletesWithoutBrowser(t *testing.T) {
	as := newFakeAS(t, "ferry-test")
	cfg := as.config("test")
	urls := make(chan string, 1)
	paste := make(chan string)
	pasteErrs := make(chan error, 4)
	browserErrs := make(chan error, 1)
	type result struct {
		res *Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := cfg.SignIn(context.Background(), Options{
			Opener:         func(context.Context, string) error { return errors.New("no display") },
			OnURL:          func(u string) { urls <- u },
			OnBrowserError: func(err error) { browserErrs <- err },
			Paste:          paste,
			OnPasteError:   func(err error) { pasteErrs <- err },
			Timeout:        time.Minute,
		})
		done <- result{res, err}
	}()
	authURL := <-urls
	require.ErrorIs(t, <-browserErrs, ErrNoBrowser)
	good := as.authorize(authURL)
	redirect, err := url.Parse(authURL)
	require.NoError(t, err)
	redirectURI := redirect.Query().Get("redirect_uri")

	paste <- "https://example.com/?code=x&state=" + good.Get("state")
	assert.ErrorContains(t, <-pasteErrs, "not the address this sign-in returns to")
	paste <- redirectURI + "?code=" + good.Get("code") + "&state=stale"
	assert.ErrorIs(t, <-pasteErrs, ErrStateMismatch)
	paste <- "  " + redirectURI + "?" + good.Encode() + "\n"
	r := <-done
	require.NoError(t, r.err)
	assert.NotEmpty(t, r.res.Token.AccessToken)
	assert.Equal(t, 1, as.tokenRequests())
	ru, err := url.Parse(redirectURI)
	require.NoError(t, err)
	c, err := net.Dial("tcp4", ru.Host)
	if err == nil {
		c.Close()
	}
	require.Error(t, err, "listener closed after a pasted completion")
}
