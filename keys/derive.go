// Package keys holds everything made from the system secret: the keys
// derived from it for each purpose, the sealing of values under them, and
// the keyring of RSA signing keys that every replica shares through the
// store (loading, reloading, rotation and removal). It imports the domain
// types, storage and go-jose; the HTTP side (provider) and the command
// line (cmd/idp) both use it, so rotating a key never needs the server.
package keys

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// MinSecretLength is the shortest system secret accepted: 256 bits, the
// strength of the keys derived from it.
const MinSecretLength = 32

// Purposes of keys derived from the system secret. Each use gets its own
// key (RFC 5869 §3.2, the info input), so no two mechanisms ever share key
// material; keeping every purpose in this one list keeps them distinct.
// A purpose string is part of stored data: changing one makes what was
// sealed under it unreadable.
const (
	PurposeSealKeys  = "idp signing key sealing v1"
	PurposeHMAC      = "idp token hmac v1"
	PurposeCSRF      = "idp csrf v1"
	PurposeSecrets   = "idp client secret cache v1"
	PurposeThrottle  = "idp sign-in throttle keys v1"
	PurposeSuccessor = "idp refresh successor v1"
	PurposeLogout    = "idp logout state v1"
	// PurposeRegistration keys the counters of open client registration
	// per address.
	PurposeRegistration = "idp registration throttle keys v1"
	// PurposeUserCode keys the HMAC under which device user codes are
	// stored (RFC 8628 §6.1): a user code has 40 bits, so an unkeyed hash
	// in a copied database would be reversed by trying them all.
	PurposeUserCode = "idp device user code v1"
	// PurposeDPoPNonce keys the stateless DPoP server nonces (RFC 9449 §8).
	PurposeDPoPNonce = "idp dpop nonce v1"
	// PurposeTOTP seals members' TOTP secrets (RFC 6238), bound to the
	// member.
	PurposeTOTP = "idp totp secret sealing v1"
	// PurposeRecoveryCodes keys the HMAC under which recovery codes are
	// stored.
	PurposeRecoveryCodes = "idp recovery code hmac v1"
)

// Derive returns the 32-byte key for purpose, derived from the system
// secret with HKDF-SHA256.
func Derive(secret []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, purpose, 32)
	if err != nil { // only for lengths hkdf cannot produce
		panic(fmt.Sprintf("derive %s: %v", purpose, err))
	}
	return k
}
