package idp

import "time"

// SigningKey is a key the provider signs ID and access tokens with, of
// one algorithm; each algorithm has its own keys and its own active key.
// It is shared by every replica through the store.
type SigningKey struct {
	// ID is the "kid" published in the JWKS and in token headers.
	ID        string
	Algorithm string // "RS256", "ES256" or "EdDSA"
	// Sealed is the PKCS#8 private key (RSA, P-256 or Ed25519) encrypted with the system secret
	// (package keys); the store never sees the key in the clear.
	Sealed    []byte
	CreatedAt time.Time
	// ActiveAt is when replicas start signing with the key. A rotated key
	// is published before it is used, so every replica's JWKS already lists
	// it when the first token signed with it leaves.
	ActiveAt time.Time
}
