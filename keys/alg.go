package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"slices"
)

// The signing algorithms the provider keeps keys for (RFC 7518 §3.1,
// RFC 8037 §3.1). RS256 signs every token unless a client registered
// another for its ID or access tokens.
const (
	RS256 = "RS256"
	ES256 = "ES256" // ECDSA on P-256
	EdDSA = "EdDSA" // Ed25519
)

// Algorithms lists every algorithm a key can be generated for, the default
// first.
var Algorithms = []string{RS256, ES256, EdDSA}

// Supported reports whether alg is one of Algorithms (exact spelling, as
// JOSE compares algorithm names).
func Supported(alg string) bool { return slices.Contains(Algorithms, alg) }

// newPrivate generates a private key for alg.
func newPrivate(alg string) (crypto.Signer, error) {
	switch alg {
	case RS256:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("unsupported signing algorithm %q", alg)
}

// checkPrivate verifies that a parsed key is of the kind its row's
// algorithm names, so a row can never make the provider sign with an
// algorithm other than the one it publishes.
func checkPrivate(alg string, key any) (crypto.Signer, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if alg == RS256 {
			return k, nil
		}
	case *ecdsa.PrivateKey:
		if alg == ES256 && k.Curve == elliptic.P256() {
			return k, nil
		}
	case ed25519.PrivateKey:
		if alg == EdDSA {
			return k, nil
		}
	}
	return nil, fmt.Errorf("a %T is not a %q key", key, alg)
}
