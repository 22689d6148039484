package clients

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"

	"github.com/idp/idp/password"
)

// ErrSecretMismatch means a client presented a secret that does not match
// the stored hash.
var ErrSecretMismatch = errors.New("client secret does not match")

// MinSecretLength is the shortest client secret an operator may choose:
// 32 characters, so even a secret typed by hand from a narrow alphabet
// carries well over 128 bits and cannot be guessed online or offline from
// its hash. Generated secrets (43 characters) always pass.
const MinSecretLength = 32

// CheckSecret refuses a client secret shorter than MinSecretLength. The
// error wraps idp.ErrInvalid and never contains the secret.
func CheckSecret(secret string) error {
	if n := len(secret); n < MinSecretLength {
		return &FieldError{Field: "secret", Msg: fmt.Sprintf("must be at least %d characters, got %d", MinSecretLength, n)}
	}
	return nil
}

// GenerateSecret returns a new client secret: 32 random bytes (256 bits,
// beyond any guessing), base64url without padding so it is safe in HTTP
// Basic credentials and form bodies alike.
func GenerateSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("clients: generate secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashSecret returns the hash stored as idp.Client.SecretHash. It uses the
// slow password KDF rather than a plain digest because secrets set by hand
// in a bootstrap file may be as weak as a password; Verifier keeps that cost
// off the token endpoint's steady state.
func HashSecret(secret string) (string, error) {
	h, err := password.Hash(secret)
	if err != nil {
		return "", fmt.Errorf("clients: hash secret: %w", err)
	}
	return h, nil
}

// Verifier checks client secrets against their stored hashes, remembering
// the pairs it has verified, so a client authenticating on every token
// request pays for the KDF once rather than each time.
//
// An entry is keyed by HMAC-SHA256(key, hash || 0x00 || secret): it proves
// only that this secret matched this hash, it holds neither in the clear,
// and it can never match again once the client's secret, and so its hash,
// changes. Only successful verifications are recorded, so wrong guesses
// always pay the full KDF cost. The cache holds at most capacity entries and
// forgets the oldest first.
//
// A Verifier is safe for concurrent use.
type Verifier struct {
	key []byte
	// kdf bounds the derivations of cache misses; nil means unbounded.
	kdf *password.Limiter

	mu      sync.Mutex
	entries map[[sha256.Size]byte]struct{}
	order   [][sha256.Size]byte // ring of the entries, oldest at next
	next    int
}

// NewVerifier returns a Verifier that caches up to capacity verified
// secrets under key. A capacity below 1 disables the cache. An empty key is
// replaced with a random one, which is fine for a cache that lives only as
// long as the process.
func NewVerifier(key []byte, capacity int) *Verifier {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand.Read never fails since Go 1.24.
	}
	capacity = max(capacity, 0)
	return &Verifier{
		key:     key,
		entries: make(map[[sha256.Size]byte]struct{}, capacity),
		order:   make([][sha256.Size]byte, 0, capacity),
	}
}

// Limit makes every cache miss derive inside l's slots, so a flood of
// wrong secrets cannot run more derivations at once than l allows. It
// returns v.
func (v *Verifier) Limit(l *password.Limiter) *Verifier {
	v.kdf = l
	return v
}

// Verify is VerifyContext without a deadline.
func (v *Verifier) Verify(hash, secret string) error {
	return v.VerifyContext(context.Background(), hash, secret)
}

// VerifyContext returns nil when secret matches hash. A wrong secret
// returns an error wrapping ErrSecretMismatch; a hash that cannot be parsed
// (such as the empty hash of a public client) returns an error wrapping
// password.ErrMalformedHash; no free derivation slot (see Limit) an error
// wrapping password.ErrBusy. No message contains the secret or hash.
func (v *Verifier) VerifyContext(ctx context.Context, hash, secret string) error {
	k := v.cacheKey(hash, secret)
	if v.cached(k) {
		return nil
	}
	ok, err := v.kdf.Verify(ctx, hash, secret)
	if err != nil {
		return fmt.Errorf("clients: verify secret: %w", err)
	}
	if !ok {
		return fmt.Errorf("clients: verify secret: %w", ErrSecretMismatch)
	}
	v.remember(k)
	return nil
}

func (v *Verifier) cacheKey(hash, secret string) [sha256.Size]byte {
	m := hmac.New(sha256.New, v.key)
	m.Write([]byte(hash))
	m.Write([]byte{0})
	m.Write([]byte(secret))
	var k [sha256.Size]byte
	m.Sum(k[:0])
	return k
}

func (v *Verifier) cached(k [sha256.Size]byte) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.entries[k]
	return ok
}

// remember records k, evicting the oldest entry when the cache is full.
func (v *Verifier) remember(k [sha256.Size]byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if cap(v.order) == 0 {
		return
	}
	if _, ok := v.entries[k]; ok {
		return
	}
	if len(v.order) < cap(v.order) {
		v.order = append(v.order, k)
	} else {
		delete(v.entries, v.order[v.next])
		v.order[v.next] = k
		v.next = (v.next + 1) % len(v.order)
	}
	v.entries[k] = struct{}{}
}
