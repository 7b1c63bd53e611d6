package backend

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/internal/testenv"
)

// gateway is a versitygw S3 server on a loopback port with a posix backend
// in a temp dir: a real S3 implementation that checks SigV4 signatures,
// expiry and signed headers itself.
type gateway struct {
	Endpoint string
	Access   string
	Secret   string
	Bucket   string
	Client   *s3.Client // root client, for setting up and inspecting
}

func startGateway(t testing.TB) *gateway {
	t.Helper()
	bin := testenv.Tool(t, "versitygw")
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	require.NoError(t, os.MkdirAll(root, 0o755))
	port := testenv.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	g := &gateway{Endpoint: "http://" + addr, Access: "ferrytestaccess", Secret: "ferrytestsecret0123456789", Bucket: "uploads"}
	logs := &logBuffer{}
	cmd := exec.Command(bin, "--port", addr, "--quiet", "posix", root)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+g.Access, "ROOT_SECRET_ACCESS_KEY="+g.Secret)
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	testenv.WaitPort(t, addr, 20*time.Second)

	g.Client = s3.New(s3.Options{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(g.Access, g.Secret, ""),
	}, S3ClientOptions(StorageConfig{Endpoint: g.Endpoint, PathStyle: true}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := g.Client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(g.Bucket)})
	if err != nil {
		t.Fatalf("versitygw: create bucket: %v\n%s", err, logs.String())
	}
	return g
}

// useCredentials points the AWS SDK's default chain at the gateway's root
// credentials through the environment only, as an admin would.
func (g *gateway) useCredentials(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           g.Access,
		"AWS_SECRET_ACCESS_KEY":       g.Secret,
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		setenv(t, k, v)
	}
}

func setenv(t testing.TB, k, v string) {
	if tt, ok := t.(*testing.T); ok {
		tt.Setenv(k, v)
		return
	}
	old, had := os.LookupEnv(k)
	require.NoError(t, os.Setenv(k, v))
	t.Cleanup(func() {
		if had {
			os.Setenv(k, old)
		} else {
			os.Unsetenv(k)
		}
	})
}

// s3Config is a backend config storing into the gateway, users from iss.
func (g *gateway) s3Config(iss *testIssuer, stateDir string) *Config {
	c := DefaultConfig()
	c.Filename = "(test)"
	c.Listen = "127.0.0.1:0"
	c.StateDir = stateDir
	c.Auth = AuthConfig{Type: "oidc", Issuer: iss.URL, ClientID: testClientID}
	c.Storage = StorageConfig{Driver: "s3", Endpoint: g.Endpoint, Region: "us-east-1", Bucket: g.Bucket, PathStyle: true}
	return c
}

func (g *gateway) object(t testing.TB, key string) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	out, err := g.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(g.Bucket), Key: aws.String(key)})
	require.NoError(t, err, key)
	defer out.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(out.Body)
	require.NoError(t, err)
	return buf.Bytes(), out
}

func (g *gateway) exists(t testing.TB, key string) bool {
	t.Helper()
	_, err := g.Client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(g.Bucket), Key: aws.String(key)})
	return err == nil
}
