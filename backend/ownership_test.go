package backend

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/backend/api"
)

const testSecretEnv = "FERRY_TEST_UPLOAD_SECRET"

func secretEnv(secret string) Option {
	return WithGetenv(func(k string) string {
		if k == testSecretEnv {
			return secret
		}
		return ""
	})
}

// Two replicas that share the secret and nothing else (no state_dir) serve
// the requests of one multipart upload in turn; the declared size travels in
// the token, and a replica with another secret refuses the token.
func TestMultipartUploadMovesBetweenReplicas(t *testing.T) {
	g := startGateway(t)
	g.useCredentials(t)
	iss := newTestIssuer(t)
	cfg := func() *Config {
		c := g.s3Config(iss, "")
		c.State.SecretEnv = testSecretEnv
		return c
	}
	secret := strings.Repeat("s", 40)
	r := replicas(t, 2, iss, "alice", cfg, secretEnv(secret))
	body := randomBytes(t, 6<<20+5)
	var cr api.CreateMultipartResponse
	r[0].json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "a.bin", Type: "application/octet-stream", Size: int64(len(body))}, &cr)
	require.NotEmpty(t, cr.Token)
	kq := url.Values{"key": {cr.Key}, "token": {cr.Token}}
	var parts []api.Part
	for i, chunk := range [][]byte{body[:5<<20], body[5<<20:]} {
		var sp api.SignPartResponse
		r[(i+1)%2].json(http.MethodGet, partPath(cr.UploadID, "/"+itoa(int64(i+1))), kq, nil, &sp)
		parts = append(parts, api.Part{PartNumber: i + 1, ETag: uploadPart(t, sp.URL, sp.Headers, chunk)})
	}
	var listed []api.Part
	r[0].json(http.MethodGet, partPath(cr.UploadID, ""), kq, nil, &listed)
	assert.Len(t, listed, 2)
	// The declared size is known to the replica that did not create the upload.
	ae := r[1].apiError(http.StatusBadRequest, http.MethodPost, partPath(cr.UploadID, "/complete"), kq, api.CompleteRequest{Parts: parts[:1]})
	assert.Equal(t, api.CodeSizeMismatch, ae.Code)

	// A replica with another secret does not accept the token.
	other := replicas(t, 1, iss, "alice", cfg, secretEnv(strings.Repeat("o", 40)))[0]
	ae = other.apiError(http.StatusForbidden, http.MethodGet, partPath(cr.UploadID, ""), kq, nil)
	assert.Contains(t, ae.Message, "not issued by this service")
	// Bob cannot use Alice's token, key and uploadId.
	bob := &apiClient{t: t, base: r[1].base, token: iss.token(t, "bob")}
	bob.apiError(http.StatusForbidden, http.MethodGet, partPath(cr.UploadID, ""), kq, nil)

	var done api.CompleteResponse
	r[1].json(http.MethodPost, partPath(cr.UploadID, "/complete"), kq, api.CompleteRequest{Parts: parts}, &done)
	got, _ := g.object(t, done.Key)
	require.Equal(t, body, got)
}

func TestSecretEnvMustHoldASecret(t *testing.T) {
	iss := newTestIssuer(t)
	c := oidcConfig(iss, t.TempDir())
	c.State.SecretEnv = testSecretEnv
	_, err := New(c, secretEnv("short"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "$"+testSecretEnv)
	assert.NotContains(t, err.Error(), "short")
}

// state_dir no longer holds anything per upload: only the generated signing
// secret, when no secret_env is set.
func TestStateDirHoldsNoUploads(t *testing.T) {
	iss := newTestIssuer(t)
	state := t.TempDir()
	c := oidcConfig(iss, t.TempDir())
	c.StateDir = state
	_, base := serve(t, c)
	alice := &apiClient{t: t, base: base, token: iss.token(t, "alice")}
	for range 3 {
		alice.json(http.MethodPost, api.RouteMultipart, nil, api.CreateMultipartRequest{Filename: "a.bin", Type: "application/octet-stream"}, nil)
	}
	ents, err := os.ReadDir(state)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{secretFileName}, names)
}
