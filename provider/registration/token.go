package registration

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// newToken returns a new bearer token: 32 random bytes (256 bits),
// base64url without padding, and its hash for the store.
func newToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("registration: generate token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

// hashToken is the stored form of a token: SHA-256 in hex. A plain digest
// suffices, unlike for client secrets, because every token is 256 random
// bits that no one chooses, so the hash cannot be reversed by guessing.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// sameHash compares two token hashes in constant time.
func sameHash(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// CreateInitialToken creates an initial access token valid from now for
// ttl, stores its hash and returns the token, which is shown once and
// never again. Each token registers one client: it is consumed by the
// registration it authorizes, in the same transaction. Expired tokens are
// removed on the way.
func CreateInitialToken(ctx context.Context, store *storage.Store, now time.Time, ttl time.Duration) (string, time.Time, error) {
	if ttl <= 0 {
		return "", time.Time{}, fmt.Errorf("registration: token lifetime must be positive, got %v", ttl)
	}
	token, hash, err := newToken()
	if err != nil {
		return "", time.Time{}, err
	}
	// Tokens accumulate only here, so here is where expired ones go.
	if _, err := store.Registrations.DeleteExpiredTokens(ctx, now); err != nil {
		return "", time.Time{}, fmt.Errorf("remove expired initial access tokens: %w", err)
	}
	tok := idp.InitialAccessToken{Hash: hash, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := store.Registrations.CreateToken(ctx, tok); err != nil {
		return "", time.Time{}, fmt.Errorf("create initial access token: %w", err)
	}
	return token, tok.ExpiresAt, nil
}
