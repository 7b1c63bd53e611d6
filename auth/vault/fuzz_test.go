package vault

import (
	"testing"
)

var fuzzKey = []byte("0123456789abcdef0123456789abcdef")

// FuzzUnseal feeds arbitrary vault files to the reader: it must refuse them
// with an error, never panic.
func FuzzUnseal(f *testing.F) {
	good, err := seal(fuzzKey, DefaultAppID, map[string]*record{
		"gdrive:1": {Provider: "gdrive", Account: "1", Status: StatusOK, AccessToken: "a"},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := unseal(fuzzKey, DefaultAppID, data)
		if err != nil {
			return
		}
		for k, r := range m {
			if k != key(r.Provider, r.Account) {
				t.Fatalf("entry %q filed under %q", r, k)
			}
		}
	})
}

// FuzzParsePayload feeds arbitrary decrypted payloads to the parser; what it
// accepts must survive a seal/unseal round trip unchanged.
func FuzzParsePayload(f *testing.F) {
	f.Add([]byte(`{"entries":{"gdrive:1":{"provider":"gdrive","account":"1","status":"ok","access_token":"a"}}}`))
	f.Fuzz(func(t *testing.T, plain []byte) {
		m, err := parsePayload(plain)
		if err != nil {
			return
		}
		sealed, err := seal(fuzzKey, DefaultAppID, m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := unseal(fuzzKey, DefaultAppID, sealed)
		if err != nil {
			t.Fatalf("accepted payload does not round-trip: %v", err)
		}
		if len(back) != len(m) {
			t.Fatalf("round trip changed the entry count: %d -> %d", len(m), len(back))
		}
		for k, r := range m {
			b := back[k]
			if b == nil || b.Status != r.Status || b.AccessToken != r.AccessToken || b.RefreshToken != r.RefreshToken || !b.Expiry.Equal(r.Expiry) {
				t.Fatalf("entry %s changed in the round trip", k)
			}
		}
	})
}
