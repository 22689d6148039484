package provider

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Purposes of keys derived from the system secret. Each use gets its own
// key (RFC 5869), so no two mechanisms ever share key material.
const (
	purposeSealKeys = "idp signing key sealing v1"
	purposeHMAC     = "idp token hmac v1"
	purposeCSRF     = "idp csrf v1"
	purposeSecrets  = "idp client secret cache v1"
	purposeThrottle = "idp sign-in throttle keys v1"
)

func deriveKey(secret []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, purpose, 32)
	if err != nil { // only for lengths hkdf cannot produce
		panic(fmt.Sprintf("derive %s: %v", purpose, err))
	}
	return k
}

// seal encrypts plaintext with AES-256-GCM under a key derived from the
// system secret; aad (the key id) binds the ciphertext to its row so sealed
// keys cannot be swapped between rows.
func seal(secret []byte, plaintext, aad []byte) ([]byte, error) {
	gcm, err := newGCM(secret)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return gcm.Seal(nonce, nonce, plaintext, aad), nil
}

// errWrongSecret is returned when a sealed key does not open: the system
// secret differs from the one it was sealed with.
var errWrongSecret = errors.New("sealed signing key does not open with this secret (was IDP_SECRET changed?)")

func unseal(secret []byte, sealed, aad []byte) ([]byte, error) {
	gcm, err := newGCM(secret)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errWrongSecret
	}
	pt, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], aad)
	if err != nil {
		return nil, errWrongSecret
	}
	return pt, nil
}

func newGCM(secret []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(deriveKey(secret, purposeSealKeys))
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return cipher.NewGCM(block)
}
