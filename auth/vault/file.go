package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ferry-app/ferry/internal/atomicfile"
)

// The vault file: one format version byte, a 12-byte GCM nonce, then the
// AES-256-GCM sealed JSON payload. The additional data is the version byte
// followed by the app ID, so a file cannot be replayed to another app or
// reinterpreted under another format.

const (
	formatVersion = 1
	nonceSize     = 12
)

// errNewerFormat means the file was written by a newer Ferry: it is left
// alone rather than moved aside, so a downgrade does not destroy it.
var errNewerFormat = errors.New("tokens.vault was written by a newer version of Ferry")

// corruptError says why a vault file cannot be read.
type corruptError struct{ why string }

func (e *corruptError) Error() string { return e.why }

// record is one account as stored in the file. It holds secrets: never log
// or format it (String and LogValue redact it in case someone tries).
type record struct {
	Provider     string    `json:"provider"`
	Account      string    `json:"account"`
	DisplayName  string    `json:"display_name,omitempty"`
	Email        string    `json:"email,omitempty"`
	Scopes       []string  `json:"scopes,omitempty"`
	Status       Status    `json:"status"`
	StatusReason string    `json:"status_reason,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	Updated      time.Time `json:"updated,omitzero"`
}

// String, GoString and LogValue name the entry and nothing else, for a
// pointer or a copy, so no formatting verb and no slog handler (the JSON
// one marshals structs whole) can print its tokens.
func (r record) String() string { return "vault entry " + key(r.Provider, r.Account) }

// GoString redacts %#v too.
func (r record) GoString() string { return r.String() }

// LogValue implements slog.LogValuer.
func (r record) LogValue() slog.Value { return slog.StringValue(r.String()) }

type payload struct {
	Entries map[string]*record `json:"entries"`
}

func aad(appID string) []byte { return append([]byte{formatVersion}, appID...) }

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts the entries into the file format.
func seal(key []byte, appID string, entries map[string]*record) ([]byte, error) {
	plain, err := json.Marshal(payload{Entries: entries})
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plain)+gcm.Overhead())
	out[0] = formatVersion
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, err
	}
	return gcm.Seal(out, out[1:1+nonceSize], plain, aad(appID)), nil
}

// unseal decrypts and parses a vault file. Errors are *corruptError or
// errNewerFormat.
func unseal(key []byte, appID string, data []byte) (map[string]*record, error) {
	if len(data) == 0 {
		return nil, &corruptError{"the file is empty"}
	}
	if data[0] > formatVersion {
		return nil, errNewerFormat
	}
	if data[0] != formatVersion {
		return nil, &corruptError{fmt.Sprintf("unknown format version %d", data[0])}
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(data) < 1+nonceSize+gcm.Overhead() {
		return nil, &corruptError{"the file is truncated"}
	}
	plain, err := gcm.Open(nil, data[1:1+nonceSize], data[1+nonceSize:], aad(appID))
	if err != nil {
		return nil, &corruptError{"it failed authentication (wrong key, or the file was modified)"}
	}
	defer clear(plain)
	return parsePayload(plain)
}

// parsePayload checks the decrypted JSON; entries are re-keyed from their
// own provider and account fields.
func parsePayload(plain []byte) (map[string]*record, error) {
	var p payload
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, &corruptError{"its contents are not valid"}
	}
	entries := make(map[string]*record, len(p.Entries))
	for _, r := range p.Entries {
		if r == nil || validateKey(r.Provider, r.Account) != nil {
			return nil, &corruptError{"it holds an entry without a valid provider and account"}
		}
		switch r.Status {
		case StatusOK, StatusNeedsSignIn:
		default:
			r.Status = StatusNeedsSignIn
		}
		entries[key(r.Provider, r.Account)] = r
	}
	return entries, nil
}

// readFile returns the file's bytes, or nil if there is no file.
func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// moveAside renames a file that cannot be read to path.corrupt-<UTC time>
// and returns the new name.
func moveAside(path string, now time.Time) (string, error) {
	base := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	dst := base
	for i := 1; ; i++ {
		if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
			break
		}
		dst = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(path, dst); err != nil {
		return "", err
	}
	return dst, atomicfile.SyncDir(filepath.Dir(path))
}
