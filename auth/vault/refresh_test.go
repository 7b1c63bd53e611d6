package vault

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func TestRefreshesTwoMinutesBeforeExpiry(t *testing.T) {
	ctx := context.Background()
	srv := newTokenServer(t)
	path := filepath.Join(t.TempDir(), "tokens.vault")
	v := openTest(t, path, &memKeys{})
	refresh := ConfigRefresher(srv.config())

	at, rt := srv.issue()
	require.NoError(t, v.Put(ctx, Account{Provider: "onedrive", ID: "1"}, &oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(5 * time.Minute)}))
	tok, err := v.TokenSource(ctx, "onedrive", "1", refresh).Token()
	require.NoError(t, err)
	assert.Equal(t, at, tok.AccessToken, "five minutes left: no refresh")
	n, _, _ := srv.counts()
	assert.Zero(t, n)

	at, rt = srv.issue()
	require.NoError(t, v.Put(ctx, Account{Provider: "onedrive", ID: "1"}, &oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(90 * time.Second)}))
	tok, err = v.TokenSource(ctx, "onedrive", "1", refresh).Token()
	require.NoError(t, err)
	assert.NotEqual(t, at, tok.AccessToken, "90 seconds left: refreshed")
	assert.Empty(t, tok.RefreshToken)
	assert.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, time.Minute)
	n, _, _ = srv.counts()
	assert.Equal(t, 1, n)

	status, err := callAPI(ctx, srv.URL+"/api", v.TokenSource(ctx, "onedrive", "1", refresh))
	require.NoError(t, err)
	assert.Equal(t, 200, status)
}

func TestRotatedRefreshTokenIsPersistedBeforeReturn(t *testing.T) {
	ctx := context.Background()
	srv := newTokenServer(t)
	path := filepath.Join(t.TempDir(), "tokens.vault")
	keys := &memKeys{}
	v := openTest(t, path, keys)
	at, rt := srv.issue()
	require.NoError(t, v.Put(ctx, Account{Provider: "box", ID: "1"}, &oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(-time.Minute)}))

	tok, err := v.TokenSource(ctx, "box", "1", ConfigRefresher(srv.config())).Token()
	require.NoError(t, err)

	// Straight from disk, the moment Token returned: the rotated chain.
	r := storedRecord(t, path, "io.ferry.test", keys.current(), "box:1")
	assert.Equal(t, tok.AccessToken, r.AccessToken)
	assert.Equal(t, srv.validRefreshTokens(), []string{r.RefreshToken})
	assert.NotEqual(t, rt, r.RefreshToken)
}

func TestConcurrentGoroutinesRefreshOnce(t *testing.T) {
	ctx := context.Background()
	srv := newTokenServer(t)
	srv.delay = 50 * time.Millisecond
	path := filepath.Join(t.TempDir(), "tokens.vault")
	keys := &memKeys{}
	// Two instances on one file: separate file-lock handles, as in two processes.
	v1, v2 := openTest(t, path, keys), openTest(t, path, keys)
	at, rt := srv.issue()
	require.NoError(t, v1.Put(ctx, Account{Provider: "box", ID: "1"}, &oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(-time.Minute)}))

	var wg sync.WaitGroup
	tokens := make([]string, 16)
	errs := make([]error, 16)
	for i := range tokens {
		v := v1
		if i%2 == 1 {
			v = v2
		}
		wg.Go(func() {
			tok, err := v.TokenSource(ctx, "box", "1", ConfigRefresher(srv.config())).Token()
			errs[i] = err
			if err == nil {
				tokens[i] = tok.AccessToken
			}
		})
	}
	wg.Wait()
	for i := range tokens {
		require.NoError(t, errs[i])
		assert.Equal(t, tokens[0], tokens[i])
	}
	n, rejected, valid := srv.counts()
	assert.Equal(t, 1, n, "one refresh for sixteen callers")
	assert.Zero(t, rejected)
	assert.Equal(t, 1, valid)
}

func TestInvalidGrantMarksNeedsSignInAndNeverLoops(t *testing.T) {
	ctx := context.Background()
	srv := newTokenServer(t)
	path := filepath.Join(t.TempDir(), "tokens.vault")
	keys := &memKeys{}
	v := openTest(t, path, keys)
	require.NoError(t, v.Put(ctx, Account{Provider: "dropbox", ID: "1", DisplayName: "Ann"}, &oauth2.Token{AccessToken: "stale", RefreshToken: "revoked-elsewhere", Expiry: time.Now().Add(-time.Minute)}))

	var calls atomic.Int32
	base := ConfigRefresher(srv.config())
	refresh := func(ctx context.Context, tok *oauth2.Token) (*oauth2.Token, error) {
		calls.Add(1)
		return base(ctx, tok)
	}
	ts := v.TokenSource(ctx, "dropbox", "1", refresh)
	for range 3 {
		_, err := ts.Token()
		require.ErrorIs(t, err, ErrNeedsSignIn)
		var nse *NeedsSignInError
		require.ErrorAs(t, err, &nse)
		assert.Equal(t, "dropbox", nse.Provider)
		assert.Equal(t, "1", nse.Account)
		assert.NotContains(t, err.Error(), "server-secret-detail")
		assert.NotContains(t, err.Error(), "revoked-elsewhere")
	}
	assert.Equal(t, int32(1), calls.Load(), "the rejected grant is tried once")

	a, err := openTest(t, path, keys).Account(ctx, "dropbox", "1")
	require.NoError(t, err)
	assert.Equal(t, StatusNeedsSignIn, a.Status)
	assert.NotEmpty(t, a.StatusReason)
	r := storedRecord(t, path, "io.ferry.test", keys.current(), "dropbox:1")
	assert.Empty(t, r.RefreshToken, "dead tokens are dropped")
	assert.Empty(t, r.AccessToken)

	// Signing in again clears the state.
	require.NoError(t, v.Put(ctx, Account{Provider: "dropbox", ID: "1"}, &oauth2.Token{AccessToken: "new", Expiry: time.Now().Add(time.Hour)}))
	tok, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, "new", tok.AccessToken)
}

func TestTransientRefreshFailureKeepsTheSignIn(t *testing.T) {
	ctx := context.Background()
	srv := newTokenServer(t)
	srv.failNext = 1
	path := filepath.Join(t.TempDir(), "tokens.vault")
	v := openTest(t, path, &memKeys{})
	at, rt := srv.issue()
	require.NoError(t, v.Put(ctx, Account{Provider: "gdrive", ID: "1"}, &oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(-time.Minute)}))
	ts := v.TokenSource(ctx, "gdrive", "1", ConfigRefresher(srv.config()))

	_, err := ts.Token()
	var re *RefreshError
	require.ErrorAs(t, err, &re)
	assert.NotErrorIs(t, err, ErrNeedsSignIn)
	assert.Equal(t, 503, re.StatusCode)
	assert.Equal(t, "temporarily_unavailable", re.Code)
	assert.NotContains(t, err.Error(), "server-secret-detail", "the endpoint's body stays out of messages")

	tok, err := ts.Token()
	require.NoError(t, err, "the next call retries")
	assert.NotEqual(t, at, tok.AccessToken)
}

func TestExpiredWithoutRefreshTokenNeedsSignIn(t *testing.T) {
	ctx := context.Background()
	v := openTest(t, filepath.Join(t.TempDir(), "tokens.vault"), &memKeys{})
	require.NoError(t, v.Put(ctx, Account{Provider: "webdav", ID: "u"}, &oauth2.Token{AccessToken: "a", Expiry: time.Now().Add(-time.Second)}))
	called := false
	_, err := v.TokenSource(ctx, "webdav", "u", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		called = true
		return nil, errors.New("unreachable")
	}).Token()
	assert.ErrorIs(t, err, ErrNeedsSignIn)
	assert.False(t, called)

	_, err = v.TokenSource(ctx, "webdav", "nobody", nil).Token()
	assert.ErrorIs(t, err, ErrNeedsSignIn, "an account the vault does not hold needs sign-in")
}

func TestRefresherSignallingNeedsSignIn(t *testing.T) {
	ctx := context.Background()
	v := openTest(t, filepath.Join(t.TempDir(), "tokens.vault"), &memKeys{})
	require.NoError(t, v.Put(ctx, Account{Provider: "box", ID: "1"}, &oauth2.Token{AccessToken: "a", RefreshToken: "r", Expiry: time.Now().Add(-time.Second)}))
	// A refresher going through the backend may report a dead grant this way.
	_, err := v.TokenSource(ctx, "box", "1", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return nil, &NeedsSignInError{Provider: "box", Account: "1", Reason: "backend said invalid_grant"}
	}).Token()
	assert.ErrorIs(t, err, ErrNeedsSignIn)
	a, err := v.Account(ctx, "box", "1")
	require.NoError(t, err)
	assert.Equal(t, StatusNeedsSignIn, a.Status)
}

// TestInvalidateRefusedTokenRefreshesOnce: a provider refused an access
// token long before its expiry (revoked at the provider); after Invalidate
// the next Token refreshes, and a late Invalidate of the old token (another
// caller saw the same 401) costs no second refresh.
func TestInvalidateRefusedTokenRefreshesOnce(t *testing.T) {
	ctx := context.Background()
	srv := newTokenServer(t)
	v := openTest(t, filepath.Join(t.TempDir(), "tokens.vault"), &memKeys{})
	refresh := ConfigRefresher(srv.config())
	at, rt := srv.issue()
	require.NoError(t, v.Put(ctx, Account{Provider: "gdrive", ID: "1"}, &oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(time.Hour)}))
	ts := v.TokenSource(ctx, "gdrive", "1", refresh)

	tok, err := ts.Token()
	require.NoError(t, err)
	require.Equal(t, at, tok.AccessToken)

	inv, ok := ts.(interface{ Invalidate(string) })
	require.True(t, ok, "the vault's token source can be told about a refused token")
	inv.Invalidate(at)
	tok, err = ts.Token()
	require.NoError(t, err)
	assert.NotEqual(t, at, tok.AccessToken, "refreshed after the refusal")
	inv.Invalidate(at) // stale: already replaced
	tok2, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, tok.AccessToken, tok2.AccessToken)
	n, _, _ := srv.counts()
	assert.Equal(t, 1, n, "one refresh")
}
