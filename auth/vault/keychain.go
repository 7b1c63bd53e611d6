package vault

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// This file is the one place in Ferry that talks to the OS keychain.

const (
	// DefaultAppID is Ferry's application ID: the keychain user name and
	// part of the vault file's authenticated data.
	DefaultAppID = "io.ferry.app"
	// KeychainService is the keychain service name the vault key is filed under.
	KeychainService = "ferry"
	// DefaultKeychainTimeout bounds every keychain call. go-keyring can block
	// forever on an unlock prompt or a D-Bus peer that never answers.
	DefaultKeychainTimeout = 3 * time.Second

	keySize = 32
)

// Reasons a keychain call failed. A *KeychainError wraps one of them (or
// none, for other failures); test with errors.Is.
var (
	ErrKeyNotFound      = errors.New("no vault key in the keychain")
	ErrKeyMalformed     = errors.New("the keychain's vault key is malformed")
	ErrNoDBusSession    = errors.New("no D-Bus session bus")
	ErrNoSecretService  = errors.New("no Secret Service")
	ErrKeychainLocked   = errors.New("keychain collection is locked")
	ErrKeychainTimedOut = errors.New("keychain timed out")
)

// KeychainError is a failed keychain call. Reason is a short human sentence
// fit for "Sign-ins won't be remembered: <reason>".
type KeychainError struct {
	Op    string        // "get", "set" or "delete"
	Cause error         // one of the Err* reasons above, or nil
	Err   error         // the underlying error, if any
	After time.Duration // the timeout, when Cause is ErrKeychainTimedOut
}

func (e *KeychainError) Error() string { return "keychain " + e.Op + ": " + e.Reason() }

// Unwrap exposes both the reason sentinel and the underlying error.
func (e *KeychainError) Unwrap() []error {
	var errs []error
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Reason says in plain words why the keychain could not be used.
func (e *KeychainError) Reason() string {
	switch e.Cause {
	case ErrKeyNotFound:
		return "no key stored yet"
	case ErrKeyMalformed:
		return fmt.Sprintf("the keychain entry %q holds something that is not Ferry's vault key (malformed); the saved sign-ins are kept until it is fixed or removed", KeychainService)
	case ErrNoDBusSession:
		return "no D-Bus session bus is running (DBUS_SESSION_BUS_ADDRESS is unset or dead), so the keychain cannot be reached; run Ferry in a desktop session with a keyring such as gnome-keyring or KeePassXC"
	case ErrNoSecretService:
		if e.Err != nil {
			return "no Secret Service keychain is available (" + e.Err.Error() + "); install and start gnome-keyring or KeePassXC"
		}
		return "no Secret Service keychain is available; install and start gnome-keyring or KeePassXC"
	case ErrKeychainLocked:
		return "the keychain is locked; unlock your login keyring and restart Ferry"
	case ErrKeychainTimedOut:
		return fmt.Sprintf("the keychain did not answer within %s", e.After)
	}
	if e.Err != nil {
		return "the keychain failed: " + e.Err.Error()
	}
	return "the keychain failed"
}

// KeyStore keeps the vault's 32-byte encryption key. Keychain is the real
// one; tests may pass another.
type KeyStore interface {
	// LoadKey returns the stored key, or an error matching ErrKeyNotFound
	// when none has been stored yet.
	LoadKey(ctx context.Context) ([]byte, error)
	// StoreKey stores key, replacing any earlier one.
	StoreKey(ctx context.Context, key []byte) error
	// DeleteKey removes the key; a missing key is not an error.
	DeleteKey(ctx context.Context) error
}

// Keychain is the KeyStore backed by the OS keychain (Secret Service on
// Linux and the BSDs, Keychain on macOS, Credential Manager on Windows).
// Each call gives up after Timeout and returns a *KeychainError.
type Keychain struct {
	Service string        // KeychainService when empty
	User    string        // DefaultAppID when empty
	Timeout time.Duration // DefaultKeychainTimeout when zero

	// stuck counts calls that timed out and have not returned yet: while
	// one is stuck, further calls fail at once rather than pile up.
	stuck atomic.Int32
}

// NewKeychain returns the OS keychain KeyStore for appID.
func NewKeychain(appID string, timeout time.Duration) *Keychain {
	return &Keychain{Service: KeychainService, User: appID, Timeout: timeout}
}

func (k *Keychain) names() (service, user string) {
	service, user = k.Service, k.User
	if service == "" {
		service = KeychainService
	}
	if user == "" {
		user = DefaultAppID
	}
	return service, user
}

func (k *Keychain) timeout() time.Duration {
	if k.Timeout <= 0 {
		return DefaultKeychainTimeout
	}
	return k.Timeout
}

// LoadKey implements KeyStore.
func (k *Keychain) LoadKey(ctx context.Context) ([]byte, error) {
	service, user := k.names()
	var secret string
	err := k.do(ctx, "get", func() (err error) {
		secret, err = keyring.Get(service, user)
		return err
	})
	if err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(secret)
	if err != nil || len(key) != keySize {
		// Not "not found": that would make the vault set its file aside and
		// replace the entry. Something else wrote it; leave both alone.
		return nil, &KeychainError{Op: "get", Cause: ErrKeyMalformed}
	}
	return key, nil
}

// StoreKey implements KeyStore.
func (k *Keychain) StoreKey(ctx context.Context, key []byte) error {
	if len(key) != keySize {
		return fmt.Errorf("vault key must be %d bytes, not %d", keySize, len(key))
	}
	service, user := k.names()
	secret := base64.StdEncoding.EncodeToString(key)
	return k.do(ctx, "set", func() error { return keyring.Set(service, user, secret) })
}

// DeleteKey implements KeyStore.
func (k *Keychain) DeleteKey(ctx context.Context) error {
	service, user := k.names()
	err := k.do(ctx, "delete", func() error { return keyring.Delete(service, user) })
	if errors.Is(err, ErrKeyNotFound) {
		return nil
	}
	return err
}

// do runs fn after a quick D-Bus probe (where there is D-Bus), all within
// the timeout. A call still blocked at the deadline is abandoned: its
// goroutine ends whenever go-keyring returns.
func (k *Keychain) do(ctx context.Context, op string, fn func() error) error {
	timeout := k.timeout()
	if k.stuck.Load() > 0 {
		return &KeychainError{Op: op, Cause: ErrKeychainTimedOut, After: timeout, Err: errors.New("an earlier keychain call is still blocked")}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	var (
		mu        sync.Mutex
		finished  bool
		abandoned bool
	)
	go func() {
		err := probe(ctx)
		if err == nil {
			err = fn()
		}
		mu.Lock()
		finished = true
		if abandoned {
			k.stuck.Add(-1)
		}
		mu.Unlock()
		done <- err
	}()
	// A call that fails once the deadline has passed failed because of it
	// (the D-Bus connection is closed at the deadline): report the timeout.
	result := func(err error) error {
		if err != nil && ctx.Err() == context.DeadlineExceeded {
			return &KeychainError{Op: op, Cause: ErrKeychainTimedOut, After: timeout, Err: err}
		}
		return classify(op, err)
	}
	select {
	case err := <-done:
		return result(err)
	case <-ctx.Done():
	}
	mu.Lock()
	if finished { // it returned at the deadline after all
		mu.Unlock()
		return result(<-done)
	}
	abandoned = true
	k.stuck.Add(1)
	mu.Unlock()
	if ctx.Err() == context.DeadlineExceeded {
		return &KeychainError{Op: op, Cause: ErrKeychainTimedOut, After: timeout, Err: ctx.Err()}
	}
	return &KeychainError{Op: op, Err: ctx.Err()}
}

// classify maps go-keyring and D-Bus errors to a KeychainError.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var ke *KeychainError
	if errors.As(err, &ke) {
		if ke.Op == "" {
			ke.Op = op
		}
		return ke
	}
	if errors.Is(err, keyring.ErrNotFound) {
		return &KeychainError{Op: op, Cause: ErrKeyNotFound}
	}
	var de dbus.Error
	if errors.As(err, &de) {
		switch de.Name {
		case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner":
			return &KeychainError{Op: op, Cause: ErrNoSecretService, Err: err}
		case "org.freedesktop.Secret.Error.IsLocked":
			return &KeychainError{Op: op, Cause: ErrKeychainLocked, Err: err}
		}
	}
	if strings.Contains(err.Error(), "failed to unlock") {
		return &KeychainError{Op: op, Cause: ErrKeychainLocked, Err: err}
	}
	return &KeychainError{Op: op, Err: err}
}

// newKey returns a fresh random vault key.
func newKey() ([]byte, error) {
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return key, nil
}
