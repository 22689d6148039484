package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// NonceWindow is how long one server nonce is issued; a nonce stays valid
// for its window and the next, so a client that fetched one just before
// the change is not refused at once (RFC 9449 §8.2 leaves the lifetime to
// the server).
const NonceWindow = 5 * time.Minute

// Nonces issues and checks stateless server nonces (RFC 9449 §8): the
// number of the current time window and an HMAC of it under a key derived
// from the system secret, so every replica agrees without storing
// anything, and a client cannot mint a future nonce.
type Nonces struct{ key []byte }

// NewNonces returns nonces under key (keys.Derive with its own purpose).
func NewNonces(key []byte) *Nonces { return &Nonces{key: key} }

// Issue returns the nonce of now's window.
func (n *Nonces) Issue(now time.Time) string {
	return n.nonce(window(now))
}

// Valid reports whether nonce is the nonce of now's window or the one
// before.
func (n *Nonces) Valid(nonce string, now time.Time) bool {
	if nonce == "" || len(nonce) > 64 {
		return false
	}
	w := window(now)
	for _, c := range []uint64{w, w - 1} {
		if hmac.Equal([]byte(nonce), []byte(n.nonce(c))) {
			return true
		}
	}
	return false
}

func (n *Nonces) nonce(w uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], w)
	m := hmac.New(sha256.New, n.key)
	m.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(append(b[:], m.Sum(nil)[:16]...))
}

func window(t time.Time) uint64 { return uint64(t.Unix() / int64(NonceWindow/time.Second)) }
