package providertest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Tokens is the strict fake OAuth 2.0 token endpoint the provider fakes
// share, with the grants behind it (RFC 6749 §4.1.3 and §6, RFC 7636
// §4.6): an authorization code is redeemed once, before it expires, by the
// client it was issued to, with the redirect URI it was issued for, and
// with the verifier of its PKCE challenge; a refresh token is redeemed once
// when refresh tokens rotate; revoking any token of a grant ends the whole
// grant. What the providers do differently — how a client authenticates,
// the words of their errors, the fields of their answers — is Policy. It
// is safe for concurrent use.
type Tokens struct {
	policy Policy

	mu      sync.Mutex
	codes   map[string]*Grant
	access  map[string]*issued
	refresh map[string]*issued
	spent   map[string]bool
	chains  int
	stats   TokenStats
}

// Grant is what a code or token stands for.
type Grant struct {
	ClientID, RedirectURI, Scope string
	// Challenge and Method are the PKCE challenge ("" for none) and its
	// method ("S256" or "plain").
	Challenge, Method string
	// Offline: the code yields a refresh token.
	Offline bool
	// Subject names the user the grant is for (fakes that serve several).
	Subject string
	// Expires bounds a code's life; zero means ten minutes.
	Expires time.Time
}

type issued struct {
	Grant
	chain   int
	expires time.Time // zero: never
	revoked bool
	refresh string // for an access token: the refresh token it came from
}

// Failure is why the token endpoint refused a request; Policy.Fail words it.
type Failure int

// The failures, in the order they are checked.
const (
	BadRequest           Failure = iota // not a form-encoded POST
	MissingClient                       // no client_id
	UnknownClient                       // no such client
	MissingClientSecret                 // a confidential client sent none
	BadClientSecret                     // wrong, or sent by a public client
	MissingGrantType                    // no grant_type
	UnsupportedGrantType                // neither authorization_code nor refresh_token
	MissingCode                         // authorization_code without code
	BadCode                             // unknown, used, expired, or another client's
	RedirectMismatch                    // not the redirect_uri the code was issued for
	MissingVerifier                     // the code has a PKCE challenge, no code_verifier came
	BadVerifier                         // the verifier does not meet the challenge
	UnneededVerifier                    // a verifier for a code without a challenge (Policy.RefuseUnneededVerifier)
	BadRefreshToken                     // unknown, revoked, expired, or another client's
	SpentRefreshToken                   // already redeemed (rotating refresh tokens)
)

// Policy is how one provider's token endpoint differs.
type Policy struct {
	// Client authenticates the client of a token request from its id and
	// secret (form fields or HTTP Basic) and whether a code_verifier came:
	// 0 and true to accept, else the failure (MissingClient, UnknownClient,
	// BadClientSecret).
	Client func(id, secret string, verifier bool) (Failure, bool)
	// RotateRefresh: a refresh answer carries a new refresh token and the
	// old one is spent (Microsoft, Box).
	RotateRefresh bool
	// RefuseUnneededVerifier: a code_verifier for a code issued without a
	// challenge is refused (Google).
	RefuseUnneededVerifier bool
	// RedirectOptional: a code exchange may leave redirect_uri out; one
	// that is sent must still match (Box).
	RedirectOptional bool
	// SecretWithoutPKCE: a code issued without a PKCE challenge is
	// redeemed only by a client that sent its secret (Dropbox); failing
	// that, MissingClientSecret.
	SecretWithoutPKCE bool
	// AccessLifetime defaults to one hour; RefreshLifetime 0 means refresh
	// tokens do not expire.
	AccessLifetime, RefreshLifetime time.Duration
	// AccessPrefix and RefreshPrefix start the tokens, as the provider's do
	// ("ya29." and "1//" at Google, "sl." at Dropbox).
	AccessPrefix, RefreshPrefix string
	// Fail writes the provider's error answer.
	Fail func(w http.ResponseWriter, f Failure)
	// Answer adds the provider's own fields to a token answer, which
	// already has access_token, token_type "Bearer", expires_in, scope and,
	// when one is issued, refresh_token. It may also change or delete them.
	Answer func(g Grant, out map[string]any)
}

// TokenStats count what the token endpoint saw.
type TokenStats struct {
	CodeExchanges, Refreshes, RefreshRejected, ClientRejected, Revocations int
}

// NewTokens returns an empty Tokens with policy p.
func NewTokens(p Policy) *Tokens {
	return &Tokens{policy: p, codes: map[string]*Grant{}, access: map[string]*issued{},
		refresh: map[string]*issued{}, spent: map[string]bool{}}
}

func token() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewCode issues an authorization code for g (what a consent page does).
func (t *Tokens) NewCode(g Grant) string {
	if g.Expires.IsZero() {
		g.Expires = time.Now().Add(10 * time.Minute)
	}
	c := token()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.codes[c] = &g
	return c
}

// Issue signs a person in without a browser: a new grant's access token
// and, when g.Offline, its refresh token.
func (t *Tokens) Issue(g Grant) (access, refresh string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.chains++
	return t.issueLocked(g, t.chains, "")
}

// issueLocked issues an access token of chain (and a refresh token when the
// grant is offline and keep is ""; keep names the refresh token that stays).
func (t *Tokens) issueLocked(g Grant, chain int, keep string) (string, string) {
	life := t.policy.AccessLifetime
	if life <= 0 {
		life = time.Hour
	}
	rt := keep
	if rt == "" && g.Offline {
		rt = t.policy.RefreshPrefix + token()
		ri := &issued{Grant: g, chain: chain}
		if t.policy.RefreshLifetime > 0 {
			ri.expires = time.Now().Add(t.policy.RefreshLifetime)
		}
		t.refresh[rt] = ri
	}
	at := t.policy.AccessPrefix + token()
	t.access[at] = &issued{Grant: g, chain: chain, expires: time.Now().Add(life), refresh: rt}
	return at, rt
}

// AccessState is what Check finds for an access token.
type AccessState int

// The access token states.
const (
	AccessValid AccessState = iota
	AccessUnknown
	AccessExpired
	AccessRevoked
)

// Check looks up an access token sent to the API.
func (t *Tokens) Check(access string) (Grant, AccessState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.access[access]
	switch {
	case a == nil:
		return Grant{}, AccessUnknown
	case a.revoked:
		return a.Grant, AccessRevoked
	case time.Now().After(a.expires):
		return a.Grant, AccessExpired
	}
	return a.Grant, AccessValid
}

// Revoke ends the grant token (an access or a refresh token) belongs to:
// every token of it. It reports whether token was a live one.
func (t *Tokens) Revoke(token string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	it := t.refresh[token]
	if it == nil {
		it = t.access[token]
	}
	if it == nil || it.revoked {
		return false
	}
	t.stats.Revocations++
	for _, m := range []map[string]*issued{t.access, t.refresh} {
		for _, v := range m {
			if v.chain == it.chain {
				v.revoked = true
			}
		}
	}
	return true
}

// Revoked reports whether a refresh token was revoked.
func (t *Tokens) Revoked(refresh string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.refresh[refresh]
	return r != nil && r.revoked
}

// ExpireAccess makes every access token issued so far expired.
func (t *Tokens) ExpireAccess() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range t.access {
		a.expires = time.Now().Add(-time.Second)
	}
}

// ValidRefresh are the refresh tokens the endpoint would still redeem.
func (t *Tokens) ValidRefresh() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for k, v := range t.refresh {
		if !v.revoked && (v.expires.IsZero() || time.Now().Before(v.expires)) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Stats returns the counters.
func (t *Tokens) Stats() TokenStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stats
}

// ServeHTTP is the token endpoint: POST, form-encoded, grant_type
// authorization_code or refresh_token.
func (t *Tokens) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(f Failure) { t.policy.Fail(w, f) }
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method != http.MethodPost || ct != "application/x-www-form-urlencoded" {
		fail(BadRequest)
		return
	}
	if err := r.ParseForm(); err != nil {
		fail(BadRequest)
		return
	}
	f := r.PostForm
	id, secret := f.Get("client_id"), f.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	if why, ok := t.policy.Client(id, secret, f.Get("code_verifier") != ""); !ok {
		t.mu.Lock()
		t.stats.ClientRejected++
		t.mu.Unlock()
		fail(why)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch f.Get("grant_type") {
	case "":
		fail(MissingGrantType)
	case "authorization_code":
		if f.Get("code") == "" {
			fail(MissingCode)
			return
		}
		g := t.codes[f.Get("code")]
		delete(t.codes, f.Get("code")) // single use, whatever happens next
		switch {
		case g == nil || time.Now().After(g.Expires) || g.ClientID != id:
			fail(BadCode)
			return
		case f.Get("redirect_uri") != g.RedirectURI && !(t.policy.RedirectOptional && f.Get("redirect_uri") == ""):
			fail(RedirectMismatch)
			return
		}
		if v := f.Get("code_verifier"); g.Challenge != "" {
			if v == "" {
				fail(MissingVerifier)
				return
			}
			got := v
			if g.Method == "S256" {
				sum := sha256.Sum256([]byte(v))
				got = base64.RawURLEncoding.EncodeToString(sum[:])
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(g.Challenge)) != 1 {
				fail(BadVerifier)
				return
			}
		} else if v != "" && t.policy.RefuseUnneededVerifier {
			fail(UnneededVerifier)
			return
		} else if secret == "" && t.policy.SecretWithoutPKCE {
			fail(MissingClientSecret)
			return
		}
		t.stats.CodeExchanges++
		t.chains++
		at, rt := t.issueLocked(*g, t.chains, "")
		t.answer(w, *g, at, rt)
	case "refresh_token":
		rt := f.Get("refresh_token")
		it := t.refresh[rt]
		switch {
		case it == nil && t.spent[rt]:
			t.stats.RefreshRejected++
			fail(SpentRefreshToken)
			return
		case it == nil || it.revoked || it.ClientID != id || (!it.expires.IsZero() && time.Now().After(it.expires)):
			t.stats.RefreshRejected++
			fail(BadRefreshToken)
			return
		}
		t.stats.Refreshes++
		if t.policy.RotateRefresh {
			delete(t.refresh, rt)
			t.spent[rt] = true
			at, nrt := t.issueLocked(it.Grant, it.chain, "")
			t.answer(w, it.Grant, at, nrt)
			return
		}
		at, _ := t.issueLocked(it.Grant, it.chain, rt)
		t.answer(w, it.Grant, at, "")
	default:
		fail(UnsupportedGrantType)
	}
}

func (t *Tokens) answer(w http.ResponseWriter, g Grant, access, refresh string) {
	life := t.policy.AccessLifetime
	if life <= 0 {
		life = time.Hour
	}
	out := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": int(life / time.Second), "scope": g.Scope}
	if refresh != "" {
		out["refresh_token"] = refresh
	}
	if t.policy.Answer != nil {
		t.policy.Answer(g, out)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}
