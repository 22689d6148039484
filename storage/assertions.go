package storage

import (
	"context"
	"time"

	"github.com/idp/idp"
)

// Assertions remembers the client assertions (RFC 7523) already used, by
// hash, until they expire.
type Assertions struct{ s *Store }

// Use records the assertion with hash as used until expiresAt. An
// assertion already recorded and still live at now returns an error
// wrapping idp.ErrConflict: of concurrent uses exactly one succeeds (one
// INSERT, or an UPDATE of an expired row, never a check then a write).
func (a *Assertions) Use(ctx context.Context, hash string, expiresAt, now time.Time) error {
	n, err := a.s.exec(ctx, `INSERT INTO client_assertions (hash, expires_at) VALUES ($1, $2)
		ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at
		WHERE client_assertions.expires_at <= $3`, hash, utc(expiresAt), utc(now))
	if err == nil && n == 0 {
		return a.s.wrap("assertions: use", idp.ErrConflict)
	}
	return a.s.wrap("assertions: use", err)
}

// DeleteExpired removes the assertions that expired at or before now and
// reports how many.
func (a *Assertions) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	n, err := a.s.exec(ctx, `DELETE FROM client_assertions WHERE expires_at <= $1`, utc(now))
	return n, a.s.wrap("assertions: delete expired", err)
}
