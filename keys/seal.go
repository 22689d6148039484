package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// ErrNotOpen means a sealed value does not open: it was sealed under
// another secret or purpose, bound to other data, or changed.
var ErrNotOpen = errors.New("sealed value does not open with this secret")

// Box seals values with AES-256-GCM under the key of one purpose, so a
// value sealed for one use never opens for another. The additional data
// given to Seal and Open binds a value to its place (a row's id, say), so
// sealed values cannot be swapped between places. Sealed values are
// nonce || ciphertext || tag.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns the box for purpose under the system secret.
func NewBox(secret []byte, purpose string) *Box {
	block, err := aes.NewCipher(Derive(secret, purpose))
	if err != nil { // only for key sizes AES does not take
		panic(fmt.Sprintf("seal %s: %v", purpose, err))
	}
	aead, err := cipher.NewGCM(block)
	if err != nil { // only for block sizes GCM does not take
		panic(fmt.Sprintf("seal %s: %v", purpose, err))
	}
	return &Box{aead: aead}
}

// Seal encrypts and authenticates plaintext, bound to aad, under a fresh
// random nonce.
func (b *Box) Seal(plaintext, aad []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	rand.Read(nonce) // never fails (crypto/rand)
	return b.aead.Seal(nonce, nonce, plaintext, aad)
}

// Open returns the plaintext of a value Seal made with the same aad, or
// ErrNotOpen.
func (b *Box) Open(sealed, aad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return nil, ErrNotOpen
	}
	pt, err := b.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, ErrNotOpen
	}
	return pt, nil
}

// SealText is Seal encoded as unpadded base64url, for values that travel
// through a browser in a form field or URL.
func (b *Box) SealText(plaintext, aad []byte) string {
	return base64.RawURLEncoding.EncodeToString(b.Seal(plaintext, aad))
}

// OpenText opens what SealText made; anything else is ErrNotOpen.
func (b *Box) OpenText(text string, aad []byte) ([]byte, error) {
	sealed, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return nil, ErrNotOpen
	}
	return b.Open(sealed, aad)
}
