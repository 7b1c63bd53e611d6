package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/auth/vault"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/internal/testenv"
)

// `ferry accounts` shows what an earlier Ferry process stored — provider,
// name and status — and never a token.
func TestAccountsListsWithoutSecrets(t *testing.T) {
	testenv.RequireSecretService(t)
	isolate(t)
	ctx := context.Background()
	v := vault.Open(ctx, vault.Options{AppID: app.ID})
	require.True(t, v.Persistent(), v.Reason())
	t.Cleanup(func() { v.ForgetAll(context.Background()) })

	secrets := []string{"acct-test-access-1", "acct-test-refresh-1", "acct-test-access-2"}
	require.NoError(t, v.Put(ctx, vault.Account{Provider: "gdrive", ID: "1001", DisplayName: "Ann", Email: "ann@example.com"},
		&oauth2.Token{AccessToken: secrets[0], RefreshToken: secrets[1], Expiry: time.Now().Add(time.Hour)}))
	require.NoError(t, v.Put(ctx, vault.Account{Provider: "gdrive", ID: "1002", Email: "bob@example.com"},
		&oauth2.Token{AccessToken: secrets[2], Expiry: time.Now().Add(time.Hour)}))
	require.NoError(t, v.MarkNeedsSignIn(ctx, "gdrive", "1002", "the provider no longer accepts the saved sign-in"))

	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"accounts"}, &stdout, &stderr), stderr.String())
	out := stdout.String()
	assert.Contains(t, out, "PROVIDER")
	assert.Regexp(t, `gdrive\s+Ann <ann@example.com>\s+ok`, out)
	assert.Regexp(t, `gdrive\s+bob@example.com\s+needs sign-in`, out)
	for _, s := range secrets {
		assert.NotContains(t, out+stderr.String(), s)
	}

	stdout.Reset()
	require.Equal(t, 0, run([]string{"accounts", "--json"}, &stdout, &stderr), stderr.String())
	var got []accountJSON
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &got))
	require.Len(t, got, 2)
	assert.Equal(t, accountJSON{Provider: "gdrive", ID: "1001", Name: "Ann", Email: "ann@example.com", Status: "ok"}, got[0])
	assert.Equal(t, "needs-sign-in", got[1].Status)
	for _, s := range secrets {
		assert.NotContains(t, stdout.String(), s)
	}
}

func TestAccountsEmpty(t *testing.T) {
	testenv.RequireSecretService(t)
	isolate(t)
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"accounts"}, &stdout, &stderr), stderr.String())
	assert.Contains(t, stdout.String(), "No accounts")
	assert.Equal(t, 2, run([]string{"accounts", "extra"}, &stdout, &stderr))
}
