package idptest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"testing"
)

// PKCE returns a fresh code verifier and its S256 challenge (RFC 7636 §4.1,
// §4.2).
func PKCE() (verifier, challenge string) {
	verifier = RandomString() + RandomString()
	return verifier, S256(verifier)
}

// S256 is the S256 code challenge of verifier (RFC 7636 §4.2).
func S256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// RandomString returns 128 random bits, base64url-encoded: a state, a
// nonce, a name no other test uses.
func RandomString() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// Code checks an authorization response (the redirect URI the browser was
// sent to) the way a careful client does: no error, the state it sent, the
// issuer it expects (RFC 9207), and returns the code.
func Code(t testing.TB, cb *url.URL, state, issuer string) string {
	t.Helper()
	q := cb.Query()
	if q.Get("error") != "" {
		t.Fatalf("authorization error: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != state {
		t.Fatalf("state = %q, want %q", q.Get("state"), state)
	}
	if q.Get("iss") != issuer {
		t.Fatalf("iss = %q, want %q", q.Get("iss"), issuer)
	}
	if q.Get("code") == "" {
		t.Fatalf("no code in %s", cb)
	}
	return q.Get("code")
}
