// Package vault keeps Ferry's OAuth tokens: one AES-256-GCM file under the
// user config dir whose key lives in the OS keychain, a persisting
// single-flight token source around golang.org/x/oauth2, and sign-out.
//
// Without a usable keychain the vault keeps tokens in memory only and says
// why (Persistent, Reason); it never writes a token in plaintext. A vault
// file that cannot be decrypted is moved aside (Notice) and the accounts in
// it ask to sign in again.
package vault

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/gofrs/flock"
	"golang.org/x/oauth2"

	"github.com/ferry-app/ferry/internal/atomicfile"
)

// Status is an account's sign-in state.
type Status string

const (
	StatusOK          Status = "ok"            // tokens are usable (or refreshable)
	StatusNeedsSignIn Status = "needs-sign-in" // the user must sign in again
)

// Account describes a signed-in account. It holds no secret and is safe to
// show and log.
type Account struct {
	Provider     string // e.g. "gdrive"
	ID           string // the provider's stable account ID
	DisplayName  string
	Email        string
	Scopes       []string
	Status       Status
	StatusReason string    // why sign-in is needed, in plain words
	Expiry       time.Time // when the access token expires (zero: unknown)
	Updated      time.Time // when the entry was last written
}

// Key is the vault key "provider:accountID".
func (a Account) Key() string { return key(a.Provider, a.ID) }

// Name is what to call the account: display name, else email, else ID.
func (a Account) Name() string { return cmp.Or(a.DisplayName, a.Email, a.ID) }

// ErrUnknownAccount is returned for an account the vault does not hold.
var ErrUnknownAccount = errors.New("no such account in the vault")

// Options configure Open. Every field is optional.
type Options struct {
	Path            string           // vault file; DefaultPath() when empty
	AppID           string           // DefaultAppID when empty; keychain user and part of the AAD
	Keys            KeyStore         // NewKeychain(AppID, KeychainTimeout) when nil
	KeychainTimeout time.Duration    // DefaultKeychainTimeout when zero
	Logger          *slog.Logger     // slog.Default() when nil
	Clock           func() time.Time // time.Now when nil
}

// DefaultPath is os.UserConfigDir()/ferry/tokens.vault.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "ferry", "tokens.vault"), nil
}

// Vault holds the accounts. Its methods are safe for concurrent use, also
// by several processes sharing one vault file.
type Vault struct {
	path  string
	appID string
	keys  KeyStore
	log   *slog.Logger
	now   func() time.Time
	lock  *flock.Flock // next to the file; nil when there is no path

	// fileMu serialises transactions in this process (a Flock does not
	// exclude its own process). Order: account lock, fileMu, file lock, mu.
	fileMu sync.Mutex

	mu         sync.Mutex
	key        []byte
	persistent bool
	reason     string
	notice     string
	lost       bool // a vault file was moved aside during this run
	opened     bool // Open has returned
	entries    map[string]*record
	accountMu  map[string]*sync.Mutex
}

// Open opens the vault. It never fails: when the keychain or the file cannot
// be used the vault is memory-only and Reason says why.
func Open(ctx context.Context, opts Options) *Vault {
	v := &Vault{
		path:       opts.Path,
		appID:      cmp.Or(opts.AppID, DefaultAppID),
		keys:       opts.Keys,
		log:        opts.Logger,
		now:        opts.Clock,
		persistent: true,
		entries:    map[string]*record{},
		accountMu:  map[string]*sync.Mutex{},
	}
	if v.keys == nil {
		v.keys = NewKeychain(v.appID, opts.KeychainTimeout)
	}
	if v.log == nil {
		v.log = slog.Default()
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.path == "" {
		p, err := DefaultPath()
		if err != nil {
			v.degrade("there is no user config directory to keep them in (" + err.Error() + ")")
			return v
		}
		v.path = p
	}
	if err := os.MkdirAll(filepath.Dir(v.path), 0o700); err != nil {
		v.degrade("cannot create " + filepath.Dir(v.path) + ": " + err.Error())
		return v
	}
	v.lock = flock.New(v.path+".lock", flock.SetPermissions(0o600))
	if err := v.transact(ctx, nil); err != nil {
		v.log.Warn("vault: open", "path", v.path, "err", err)
	}
	if v.Persistent() {
		v.log.Debug("vault: opened", "path", v.path, "accounts", v.count())
	}
	v.mu.Lock()
	v.opened = true
	v.mu.Unlock()
	return v
}

// Persistent reports whether sign-ins are saved across restarts.
func (v *Vault) Persistent() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.persistent
}

// Reason says why the vault is memory-only ("" when it is persistent), for
// "Sign-ins won't be remembered: <reason>".
func (v *Vault) Reason() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.reason
}

// Notice is a message for the user about saved sign-ins that were lost
// during this run (a vault file that could not be read and was moved
// aside), or "".
func (v *Vault) Notice() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.notice
}

// Path is the vault file's path ("" if there is none).
func (v *Vault) Path() string { return v.path }

// Put stores the account and its tokens after a sign-in, replacing any
// earlier entry for the same provider and account and marking it OK. If tok
// has no refresh token, an earlier one is kept.
func (v *Vault) Put(ctx context.Context, a Account, tok *oauth2.Token) error {
	if err := validateKey(a.Provider, a.ID); err != nil {
		return err
	}
	if tok == nil || (tok.AccessToken == "" && tok.RefreshToken == "") {
		return errors.New("vault: put " + a.Key() + ": no token")
	}
	k := a.Key()
	am := v.accountLock(k)
	am.Lock()
	defer am.Unlock()
	return v.transact(ctx, func(m map[string]*record) (bool, error) {
		r := &record{
			Provider:     a.Provider,
			Account:      a.ID,
			DisplayName:  a.DisplayName,
			Email:        a.Email,
			Scopes:       slices.Clone(a.Scopes),
			Status:       StatusOK,
			TokenType:    tok.TokenType,
			AccessToken:  tok.AccessToken,
			RefreshToken: tok.RefreshToken,
			Expiry:       tok.Expiry,
			Updated:      v.now(),
		}
		if old := m[k]; old != nil && r.RefreshToken == "" {
			r.RefreshToken = old.RefreshToken
		}
		m[k] = r
		v.log.Info("vault: stored sign-in", "account", k, "persistent", v.Persistent())
		return true, nil
	})
}

// Accounts lists the accounts, sorted by provider and name. It re-reads the
// vault file, so accounts added by another Ferry process show up.
func (v *Vault) Accounts(ctx context.Context) ([]Account, error) {
	err := v.transact(ctx, nil)
	v.mu.Lock()
	out := make([]Account, 0, len(v.entries))
	for _, r := range v.entries {
		out = append(out, r.account())
	}
	v.mu.Unlock()
	slices.SortFunc(out, func(a, b Account) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Name(), b.Name()), cmp.Compare(a.ID, b.ID))
	})
	return out, err
}

// Account returns one account, or an error matching ErrUnknownAccount.
func (v *Vault) Account(ctx context.Context, provider, id string) (Account, error) {
	err := v.transact(ctx, nil)
	v.mu.Lock()
	r := v.entries[key(provider, id)]
	v.mu.Unlock()
	if r == nil {
		return Account{}, errors.Join(fmt.Errorf("vault: %s: %w", key(provider, id), ErrUnknownAccount), err)
	}
	return r.account(), err
}

// MarkNeedsSignIn records that the account must sign in again (for example
// after the provider rejected a fresh access token) and drops its tokens.
func (v *Vault) MarkNeedsSignIn(ctx context.Context, provider, id, reason string) error {
	k := key(provider, id)
	am := v.accountLock(k)
	am.Lock()
	defer am.Unlock()
	return v.transact(ctx, func(m map[string]*record) (bool, error) {
		r := m[k]
		if r == nil {
			return false, fmt.Errorf("vault: %s: %w", k, ErrUnknownAccount)
		}
		v.markNeedsSignIn(r, reason)
		return true, nil
	})
}

func (v *Vault) markNeedsSignIn(r *record, reason string) {
	r.Status = StatusNeedsSignIn
	r.StatusReason = reason
	r.AccessToken, r.RefreshToken, r.Expiry = "", "", time.Time{}
	r.Updated = v.now()
	v.log.Warn("vault: account needs sign-in", "account", key(r.Provider, r.Account), "reason", reason)
}

// transact runs fn on the current entries under the in-process and
// cross-process locks, re-reading the file first, and writes the file
// when fn reports a change. fn may be nil (just refresh the view).
func (v *Vault) transact(ctx context.Context, fn func(m map[string]*record) (dirty bool, err error)) error {
	v.fileMu.Lock()
	defer v.fileMu.Unlock()

	if !v.Persistent() {
		m := v.snapshot()
		if fn == nil {
			return nil
		}
		dirty, err := fn(m)
		if dirty {
			v.setEntries(m)
		}
		return err
	}

	ok, err := v.lock.TryLockContext(ctx, 10*time.Millisecond)
	if err != nil || !ok {
		return fmt.Errorf("vault: waiting for %s: %w", v.lock.Path(), cmp.Or(err, ctx.Err(), errors.New("not locked")))
	}
	defer v.lock.Unlock()

	m := v.load(ctx)
	var dirty bool
	if fn != nil {
		dirty, err = fn(m)
	}
	if dirty && v.Persistent() {
		if werr := v.save(m); werr != nil {
			v.degrade("cannot write " + v.path + ": " + werr.Error())
		}
	}
	v.setEntries(m)
	return err
}

// load reads and decrypts the vault file (file lock held). Whatever goes
// wrong, it returns the entries to carry on with: on a keychain or I/O
// failure the vault degrades to memory-only with what it had; an
// unreadable file is moved aside.
func (v *Vault) load(ctx context.Context) map[string]*record {
	v.mu.Lock()
	first := !v.opened
	v.mu.Unlock()
	if first {
		// Temp files of a write that crashed; writers hold the file lock.
		atomicfile.RemoveStale(v.path)
	}
	data, err := readFile(v.path)
	if err != nil {
		v.degrade("cannot read " + v.path + ": " + err.Error())
		return v.snapshot()
	}
	if len(data) > 0 && data[0] > formatVersion {
		v.degrade(errNewerFormat.Error())
		return v.snapshot()
	}
	v.mu.Lock()
	cached := v.key
	v.mu.Unlock()

	// With no file, ask the keychain anew: another process may have
	// forgotten everything and started over with a new key.
	if cached == nil || data == nil {
		k, err := v.keys.LoadKey(ctx)
		switch {
		case err == nil:
		case errors.Is(err, ErrKeyNotFound):
			if data != nil {
				v.setAside("its key is no longer in the keychain")
				data = nil
			}
			if k, err = newKey(); err == nil {
				err = v.keys.StoreKey(ctx, k)
			}
			if err != nil {
				v.degradeErr(err)
				return v.snapshot()
			}
			v.log.Info("vault: created a new key in the keychain", "app", v.appID)
		default:
			v.degradeErr(err)
			return v.snapshot()
		}
		v.mu.Lock()
		v.key = k
		v.mu.Unlock()
		cached = k
	}
	if data == nil {
		return map[string]*record{}
	}

	m, err := unseal(cached, v.appID, data)
	var ce *corruptError
	if errors.As(err, &ce) {
		// The key may have been replaced by another process; try it once.
		if k, kerr := v.keys.LoadKey(ctx); kerr == nil && !bytes.Equal(k, cached) {
			if m2, err2 := unseal(k, v.appID, data); err2 == nil {
				v.mu.Lock()
				v.key = k
				v.mu.Unlock()
				return m2
			}
		}
	}
	switch {
	case err == nil:
		return m
	case errors.Is(err, errNewerFormat):
		v.degrade(err.Error())
		return v.snapshot()
	case errors.As(err, &ce):
		v.setAside(ce.why)
		return map[string]*record{}
	default:
		v.degrade("cannot decrypt " + v.path + ": " + err.Error())
		return v.snapshot()
	}
}

// setAside moves an unreadable vault file out of the way (file lock held).
func (v *Vault) setAside(why string) {
	dst, err := moveAside(v.path, v.now())
	if err != nil {
		v.degrade("the saved sign-ins cannot be read (" + why + ") and cannot be moved aside: " + err.Error())
		return
	}
	v.mu.Lock()
	v.lost = true
	v.notice = "Saved sign-ins could not be read: " + why + ". The file was moved to " + dst + "; please sign in again."
	v.mu.Unlock()
	v.log.Warn("vault: moved unreadable vault file aside", "path", v.path, "moved_to", dst, "reason", why)
}

// save encrypts and atomically writes the entries (file lock held).
func (v *Vault) save(m map[string]*record) error {
	v.mu.Lock()
	k := v.key
	v.mu.Unlock()
	data, err := seal(k, v.appID, m)
	if err != nil {
		return err
	}
	return atomicfile.Write(v.path, data, 0o600)
}

func (v *Vault) degradeErr(err error) {
	var ke *KeychainError
	if errors.As(err, &ke) {
		v.degrade(ke.Reason())
		return
	}
	v.degrade(err.Error())
}

// degrade makes the vault memory-only for the rest of the run.
func (v *Vault) degrade(reason string) {
	v.mu.Lock()
	was, opened := v.persistent, v.opened
	v.persistent, v.reason, v.key = false, reason, nil
	v.mu.Unlock()
	// At Open the caller shows Reason (banner, doctor); later it is news.
	level := slog.LevelInfo
	if opened {
		level = slog.LevelWarn
	}
	if was {
		v.log.Log(context.Background(), level, "vault: sign-ins won't be remembered", "reason", reason)
	}
}

// snapshot deep-copies the in-memory entries.
func (v *Vault) snapshot() map[string]*record {
	v.mu.Lock()
	defer v.mu.Unlock()
	m := make(map[string]*record, len(v.entries))
	for k, r := range v.entries {
		c := *r
		m[k] = &c
	}
	return m
}

func (v *Vault) setEntries(m map[string]*record) {
	v.mu.Lock()
	v.entries = m
	v.mu.Unlock()
}

func (v *Vault) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.entries)
}

func (v *Vault) accountLock(k string) *sync.Mutex {
	v.mu.Lock()
	defer v.mu.Unlock()
	m := v.accountMu[k]
	if m == nil {
		m = new(sync.Mutex)
		v.accountMu[k] = m
	}
	return m
}

func (r *record) account() Account {
	return Account{
		Provider:     r.Provider,
		ID:           r.Account,
		DisplayName:  r.DisplayName,
		Email:        r.Email,
		Scopes:       slices.Clone(r.Scopes),
		Status:       r.Status,
		StatusReason: r.StatusReason,
		Expiry:       r.Expiry,
		Updated:      r.Updated,
	}
}

func key(provider, account string) string { return provider + ":" + account }

func validateKey(provider, account string) error {
	if provider == "" || account == "" {
		return errors.New("vault: provider and account ID must not be empty")
	}
	if strings.ContainsRune(provider, ':') {
		return fmt.Errorf("vault: provider name %q must not contain ':'", provider)
	}
	if strings.ContainsFunc(provider+account, unicode.IsControl) {
		return errors.New("vault: provider and account ID must not contain control characters")
	}
	return nil
}
