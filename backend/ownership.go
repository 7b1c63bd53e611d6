package backend

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferry-app/ferry/backend/api"
)

// Multipart ownership is stateless, so that any replica sharing the secret
// serves any request of an upload (DESIGN.md, "The backend contract"):
//
//   - Every key the backend hands out lies under the signed-in user's prefix
//     ("{user}/…", enforced by checkKeyTemplate), and S3 ties an uploadId to
//     the key it was created for. So a request whose key is under the caller's
//     prefix can only reach the caller's own uploads; a key under anybody
//     else's prefix is refused. This is all a Companion-compatible client
//     (Uppy) carries, and it is enough for ownership.
//   - Ferry's own client also receives an upload token on create (an
//     extension field of the create answer) and sends it back as ?token= on
//     sign, list, complete and abort. The token is an HMAC over user, key,
//     uploadId, declared size and type with an expiry; with it the backend
//     knows the declared size again (part-length binding, the total checked
//     on complete) without storing anything. A token that does not verify,
//     or names another user, key or upload, is refused; a request without
//     one is treated as an upload whose size was not declared.

// ownerRecord is what the backend knows about a multipart upload on a
// follow-up request: from the upload token when the client sent one,
// otherwise only the caller and the key.
type ownerRecord struct {
	User string
	Key  string
	Size int64 // -1 when not declared (or no token was sent)
	Type string
}

// uploadTokenLifetime bounds how long an unfinished upload can be resumed
// with its token; storage should expire abandoned parts on a similar scale
// (an S3 lifecycle rule for incomplete multipart uploads).
const uploadTokenLifetime = 7 * 24 * time.Hour

// uploadTokenPrefix versions the token format.
const uploadTokenPrefix = "fu1."

// secretFileName is the generated signing secret kept in state_dir when no
// [state] secret_env is configured (the embedded backend's case).
const secretFileName = "upload-token.key"

// minSecretBytes is the shortest secret accepted from the environment.
const minSecretBytes = 32

type tokenClaims struct {
	User     string `json:"u"`
	Key      string `json:"k"`
	UploadID string `json:"id"`
	Size     int64  `json:"s"`
	Type     string `json:"t"`
	Expires  int64  `json:"exp"`
}

// tokenSigner issues and checks upload tokens.
type tokenSigner struct {
	secret []byte
}

func (ts *tokenSigner) mac(payload string) []byte {
	m := hmac.New(sha256.New, ts.secret)
	m.Write([]byte("ferry upload token\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// issue returns a token binding rec and uploadID until now+lifetime.
func (ts *tokenSigner) issue(rec ownerRecord, uploadID string, now time.Time) (string, error) {
	b, err := json.Marshal(tokenClaims{User: rec.User, Key: rec.Key, UploadID: uploadID, Size: rec.Size, Type: rec.Type,
		Expires: now.Add(uploadTokenLifetime).Unix()})
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	return uploadTokenPrefix + payload + "." + base64.RawURLEncoding.EncodeToString(ts.mac(payload)), nil
}

// check verifies token and returns its claims. The error says why, without
// echoing the token.
func (ts *tokenSigner) check(token string, now time.Time) (*tokenClaims, error) {
	rest, ok := strings.CutPrefix(token, uploadTokenPrefix)
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return nil, errors.New("malformed upload token")
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, ts.mac(payload)) {
		return nil, errors.New("the upload token was not issued by this service")
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, errors.New("malformed upload token")
	}
	var c tokenClaims
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, errors.New("malformed upload token")
	}
	if now.Unix() > c.Expires {
		return nil, errors.New("the upload token expired; start the upload again")
	}
	return &c, nil
}

// newTokenSigner finds the signing secret: the environment variable named by
// [state] secret_env (required to be set and long enough when named), else a
// secret generated once into state_dir, else one generated for this process
// only (then uploads cannot move between replicas or survive a restart, and
// the log says so).
func newTokenSigner(cfg *Config, getenv func(string) string, log *slog.Logger) (*tokenSigner, error) {
	if name := cfg.State.SecretEnv; name != "" {
		v := getenv(name)
		if len(v) < minSecretBytes {
			return nil, fmt.Errorf("backend: [state] secret_env: $%s must hold a secret of at least %d bytes (for example: openssl rand -base64 48)", name, minSecretBytes)
		}
		return &tokenSigner{secret: []byte(v)}, nil
	}
	if cfg.StateDir != "" {
		secret, err := loadOrCreateSecret(filepath.Join(cfg.StateDir, secretFileName))
		if err != nil {
			return nil, fmt.Errorf("backend state dir: %w", err)
		}
		return &tokenSigner{secret: secret}, nil
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	log.Warn("upload tokens are signed with a secret of this process only: multipart uploads cannot move to another replica or survive a restart; set [state] secret_env for several replicas")
	return &tokenSigner{secret: secret}, nil
}

func loadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(b) >= minSecretBytes {
		return b, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		// Another process sharing the dir won the race; use its secret.
		return os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	return b, f.Close()
}

// ownedUpload resolves {uploadId}, ?key= and the optional ?token= of a
// follow-up multipart request to the caller's upload, without any stored
// record (see the comment at the top of this file).
func (s *Server) ownedUpload(r *http.Request, user string) (string, ownerRecord, error) {
	q := r.URL.Query()
	id := r.PathValue("uploadId")
	key := q.Get("key")
	if id == "" || key == "" {
		return "", ownerRecord{}, errorf(http.StatusBadRequest, api.CodeBadRequest, "uploadId and key are required")
	}
	if !strings.HasPrefix(key, userPrefix(user)) || checkKey(key) != nil {
		return "", ownerRecord{}, errorf(http.StatusForbidden, api.CodeForbidden, "this upload belongs to someone else")
	}
	rec := ownerRecord{User: user, Key: key, Size: -1}
	tok := q.Get("token")
	if tok == "" {
		return id, rec, nil
	}
	c, err := s.tokens.check(tok, s.now())
	if err != nil {
		return "", ownerRecord{}, errorf(http.StatusForbidden, api.CodeForbidden, "%v", err)
	}
	if c.User != user || c.Key != key || c.UploadID != id {
		return "", ownerRecord{}, errorf(http.StatusForbidden, api.CodeForbidden, "the upload token belongs to another upload")
	}
	rec.Size, rec.Type = c.Size, c.Type
	return id, rec, nil
}
