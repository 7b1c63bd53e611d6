package auth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/auth/internal/testop"
	"github.com/ferry-app/ferry/backend"
	"github.com/ferry-app/ferry/internal/testenv"
)

// chromiumOpener is the system browser of the end-to-end tests: Debian's
// headless Chromium started with the authorization URL. It loads the OP's
// login page, whose form it submits, follows the redirect to the loopback
// listener and asks for the favicon like any browser.
func chromiumOpener(t *testing.T) Opener { return testenv.ChromiumOpener(t) }

// tap is the HTTP transport between Ferry and the OP: it records every form
// Ferry posts and every response body (to know the secrets the logs must not
// contain) and can tamper with token requests the way an attacker holding a
// stolen code would.
type tap struct {
	base   http.RoundTripper
	mutate func(url.Values)

	mu     sync.Mutex
	forms  []url.Values
	bodies []string
}

func (tp *tap) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, err
		}
		tp.mu.Lock()
		tp.forms = append(tp.forms, form)
		tp.mu.Unlock()
		if tp.mutate != nil && form.Get("grant_type") == "authorization_code" {
			form = cloneValues(form)
			tp.mutate(form)
		}
		enc := form.Encode()
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(strings.NewReader(enc))
		r.ContentLength = int64(len(enc))
	}
	resp, err := tp.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	tp.mu.Lock()
	tp.bodies = append(tp.bodies, string(b))
	tp.mu.Unlock()
	return resp, nil
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

func (tp *tap) codeForm(t *testing.T) url.Values {
	t.Helper()
	tp.mu.Lock()
	defer tp.mu.Unlock()
	for _, f := range tp.forms {
		if f.Get("grant_type") == "authorization_code" {
			return f
		}
	}
	t.Fatal("no authorization_code request was made")
	return nil
}

// logSink collects every slog record as text.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// captureLogs routes slog.Default and the returned logger into one sink at
// debug level for the rest of the test.
func captureLogs(t *testing.T) (*slog.Logger, *logSink) {
	sink := &logSink{}
	l := slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	prev := slog.Default()
	slog.SetDefault(l)
	t.Cleanup(func() { slog.SetDefault(prev) })
	return l, sink
}

const nativeClientID = "ferry-desktop"

// TestEndToEndChromiumOIDC: `ferry login` against an OIDC issuer configured
// only by issuer URL and client_id. A real OP (zitadel/oidc op) enforces
// PKCE and loopback redirect matching; headless Chromium is the system
// browser and submits the OP's login form. Then refresh and revoke through
// the same OP, a replayed code fails, and no secret reached any log.
func TestEndToEndChromiumOIDC(t *testing.T) {
	op := testop.Start(t, testop.NativeClient(nativeClientID, CallbackPathPrefix+"ferry"))
	logger, sink := captureLogs(t)
	tp := &tap{base: http.DefaultTransport}
	cfg := &Config{
		ID: "ferry", Issuer: op.Issuer, ClientID: nativeClientID,
		Scopes:     []string{"openid", "email", "profile", "offline_access"},
		HTTPClient: &http.Client{Transport: tp, Timeout: 30 * time.Second},
		Logger:     logger,
	}
	var authURL string
	ctx := context.Background()
	res, err := cfg.SignIn(ctx, Options{
		Opener:  chromiumOpener(t),
		OnURL:   func(u string) { authURL = u },
		Timeout: time.Minute,
	})
	require.NoError(t, err)
	assert.Equal(t, int32(1), op.Logins.Load(), "the browser submitted the login form once")
	require.NotEmpty(t, res.Token.AccessToken)
	require.NotEmpty(t, res.Token.RefreshToken)
	require.NotNil(t, res.Identity)
	assert.Equal(t, op.Issuer, res.Identity.Issuer)
	assert.Equal(t, "id1", res.Identity.Subject)
	assert.Equal(t, "test-user@zitadel.ch", res.Identity.Email)
	assert.True(t, res.Identity.EmailVerified)
	assert.Equal(t, "Test User", res.Identity.Name)
	assert.Equal(t, "test-user@zitadel.ch", res.Identity.Account())

	form := tp.codeForm(t)
	au, err := url.Parse(authURL)
	require.NoError(t, err)
	assert.Equal(t, au.Query().Get("redirect_uri"), form.Get("redirect_uri"), "redirect URI reused exactly")
	assert.Empty(t, form.Get("client_secret"))

	// Replaying the code (with the right verifier and redirect URI) fails.
	replay, err := http.PostForm(op.TokenURL(), form)
	require.NoError(t, err)
	replay.Body.Close()
	assert.Equal(t, http.StatusBadRequest, replay.StatusCode, "a code is single-use")

	// Refresh through the real OP, then revoke the grant.
	fresh, err := cfg.Refresh(ctx, res.Token.RefreshToken)
	require.NoError(t, err)
	assert.NotEqual(t, res.Token.AccessToken, fresh.AccessToken)
	require.True(t, op.RefreshTokenValid(ctx, fresh.RefreshToken))
	require.NoError(t, cfg.Revoke(ctx, fresh))
	assert.False(t, op.RefreshTokenValid(ctx, fresh.RefreshToken), "revoked at the OP")
	_, err = cfg.Refresh(ctx, fresh.RefreshToken)
	require.ErrorIs(t, err, ErrNeedsSignIn)

	// No secret in any log line over the whole flow.
	logs := sink.String()
	require.Contains(t, logs, "sign-in: succeeded", "the sink did capture the flow")
	secrets := map[string]string{
		"state":         au.Query().Get("state"),
		"nonce":         au.Query().Get("nonce"),
		"code_chall":    au.Query().Get("code_challenge"),
		"code":          form.Get("code"),
		"verifier":      form.Get("code_verifier"),
		"access token":  res.Token.AccessToken,
		"refresh token": res.Token.RefreshToken,
		"id token":      res.Token.Extra("id_token").(string),
		"new access":    fresh.AccessToken,
		"new refresh":   fresh.RefreshToken,
	}
	for name, v := range secrets {
		require.NotEmpty(t, v, name)
		assert.NotContains(t, logs, v, "%s leaked into the logs", name)
	}
}

// TestEndToEndTamperedExchangeFails: the real OP refuses a token request
// whose verifier or redirect URI differ from the authorization request.
func TestEndToEndTamperedExchangeFails(t *testing.T) {
	op := testop.Start(t, testop.NativeClient(nativeClientID, CallbackPathPrefix+"ferry"))
	for _, tc := range []struct {
		name   string
		mutate func(url.Values)
	}{
		{"wrong verifier", func(f url.Values) { f.Set("code_verifier", oauth2.GenerateVerifier()) }},
		{"verifier omitted", func(f url.Values) { f.Del("code_verifier") }},
		{"mismatched redirect URI", func(f url.Values) {
			u, _ := url.Parse(f.Get("redirect_uri"))
			p, _ := strconv.Atoi(u.Port())
			u.Host = "127.0.0.1:" + strconv.Itoa(p%60000+1024)
			f.Set("redirect_uri", u.String())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &Config{
				ID: "ferry", Issuer: op.Issuer, ClientID: nativeClientID, Scopes: []string{"openid"},
				HTTPClient: &http.Client{Transport: &tap{base: http.DefaultTransport, mutate: tc.mutate}},
			}
			res, err := cfg.SignIn(context.Background(), Options{Opener: chromiumOpener(t), Timeout: time.Minute})
			require.Nil(t, res)
			var oe *OAuthError
			require.ErrorAs(t, err, &oe)
			assert.Contains(t, []string{"invalid_grant", "invalid_request"}, oe.Code)
			assert.False(t, errors.Is(err, ErrTimeout))
		})
	}
}

// TestEndToEndAccessDenied: the person presses Cancel on the OP's page.
func TestEndToEndAccessDenied(t *testing.T) {
	op := testop.Start(t, testop.NativeClient(nativeClientID, CallbackPathPrefix+"ferry"))
	op.Deny.Store(true)
	cfg := &Config{ID: "ferry", Issuer: op.Issuer, ClientID: nativeClientID, Scopes: []string{"openid"}}
	_, err := cfg.SignIn(context.Background(), Options{Opener: chromiumOpener(t), Timeout: time.Minute})
	require.ErrorIs(t, err, ErrCancelled)
	var oe *OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "access_denied", oe.Code)
}

// TestOPLoopbackRedirectMatching: the OP accepts the loopback redirect on
// whatever port Ferry bound, but only with the registered callback path.
func TestOPLoopbackRedirectMatching(t *testing.T) {
	op := testop.Start(t, testop.NativeClient(nativeClientID, CallbackPathPrefix+"ferry"))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for id, want := range map[string]int{"ferry": http.StatusFound, "other": http.StatusBadRequest} {
		cfg := &Config{ID: id, Issuer: op.Issuer, ClientID: nativeClientID, Scopes: []string{"openid"}}
		f, err := cfg.Begin(context.Background(), time.Minute)
		require.NoError(t, err)
		resp, err := noFollow.Get(f.URL())
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, "callback path %s", id)
		if want == http.StatusFound {
			assert.Contains(t, resp.Header.Get("Location"), "/login/username")
		}
		f.Cancel()
		f.Wait()
	}
}

// TestEndToEndBackendExchange: a confidential client (secret required, exact
// redirect URI registered with a fixed port) signed in through Chromium, the
// code exchanged, refreshed and revoked by the reference backend
// (backend.New, exchange = "backend"), which alone holds the client secret.
// Neither Ferry's nor the backend's logs contain a secret.
func TestEndToEndBackendExchange(t *testing.T) {
	port := testenv.FreePort(t)
	redirect := "http://127.0.0.1:" + strconv.Itoa(port) + CallbackPathPrefix + "box"
	const secret = "box-confidential-secret"
	op := testop.Start(t, testop.WebClient("box-web", secret, redirect))
	logger, sink := captureLogs(t)

	bcfg := backend.EmbeddedConfig(t.TempDir())
	bcfg.Providers = map[string]backend.ProviderConfig{"box": {
		ClientID: "box-web", ClientSecretEnv: "FERRY_TEST_BOX_SECRET", Exchange: ExchangeBackend,
		TokenURL: op.TokenURL(), RevokeURL: op.RevokeURL(), RevokeAuth: "form",
	}}
	appToken := randomString()
	bsrv, err := backend.New(bcfg,
		backend.WithBearerToken(appToken),
		backend.WithLogger(logger),
		backend.WithGetenv(func(k string) string {
			if k == "FERRY_TEST_BOX_SECRET" {
				return secret
			}
			return ""
		}))
	require.NoError(t, err)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	go bsrv.Serve(ln)
	t.Cleanup(func() { bsrv.Shutdown(context.Background()) })

	tp := &tap{base: http.DefaultTransport}
	cfg := &Config{
		ID: "box", AuthURL: op.AuthURL(), ClientID: "box-web", Scopes: []string{"openid", "offline_access"},
		Exchange: ExchangeBackend, Backend: "http://" + ln.Addr().String(), Ports: []int{port},
		BackendToken: func(context.Context) (string, error) { return appToken, nil },
		HTTPClient:   &http.Client{Transport: tp, Timeout: 30 * time.Second},
		Logger:       logger,
	}
	ctx := context.Background()
	var authURL string
	res, err := cfg.SignIn(ctx, Options{Opener: chromiumOpener(t), OnURL: func(u string) { authURL = u }, Timeout: time.Minute})
	require.NoError(t, err)
	require.NotEmpty(t, res.Token.AccessToken)
	require.NotEmpty(t, res.Token.RefreshToken)
	form := tp.codeForm(t)
	assert.Empty(t, form.Get("client_secret"), "the app never has the secret")
	assert.Equal(t, redirect, form.Get("redirect_uri"))

	// Without the backend the same client cannot redeem anything.
	direct := &Config{ID: "box", AuthURL: op.AuthURL(), TokenURL: op.TokenURL(), ClientID: "box-web"}
	_, err = direct.Refresh(ctx, res.Token.RefreshToken)
	var oe *OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_client", oe.Code)
	// Nor can anyone without the app's bearer token use the backend.
	stranger := &Config{ID: "box", AuthURL: op.AuthURL(), ClientID: "box-web", Exchange: ExchangeBackend, Backend: cfg.Backend,
		BackendToken: func(context.Context) (string, error) { return "not-the-token", nil }}
	_, err = stranger.Refresh(ctx, res.Token.RefreshToken)
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, http.StatusUnauthorized, oe.Status)

	fresh, err := cfg.Refresh(ctx, res.Token.RefreshToken)
	require.NoError(t, err)
	assert.NotEqual(t, res.Token.AccessToken, fresh.AccessToken)
	require.NoError(t, cfg.Revoke(ctx, fresh))
	assert.False(t, op.RefreshTokenValid(ctx, fresh.RefreshToken), "revoked at the OP through the backend")

	au, err := url.Parse(authURL)
	require.NoError(t, err)
	logs := sink.String()
	require.Contains(t, logs, "sign-in: succeeded")
	for name, v := range map[string]string{
		"state": au.Query().Get("state"), "code": form.Get("code"), "verifier": form.Get("code_verifier"),
		"access token": res.Token.AccessToken, "refresh token": res.Token.RefreshToken,
		"new refresh": fresh.RefreshToken, "client secret": secret, "app bearer": appToken,
	} {
		require.NotEmpty(t, v, name)
		assert.NotContains(t, logs, v, "%s leaked into the logs", name)
	}
}
