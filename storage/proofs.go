package storage

import (
	"context"
	"time"
)

// Proofs remembers the DPoP proofs already used (RFC 9449 §11.1), by a
// key the caller derives from the proof; the store holds no policy about
// what makes two proofs the same.
type Proofs struct{ s *Store }

// Use records the proof key until expires, in one INSERT. A key already
// recorded returns an error wrapping idp.ErrConflict, so of concurrent
// uses of one proof exactly one succeeds.
func (p *Proofs) Use(ctx context.Context, key string, expires time.Time) error {
	_, err := p.s.exec(ctx, `INSERT INTO dpop_proofs (key, expires_at) VALUES ($1, $2)`, key, expires)
	return p.s.wrap("proofs: use", err)
}

// DeleteExpired removes the proofs that expired at or before now and
// reports how many.
func (p *Proofs) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	n, err := p.s.exec(ctx, `DELETE FROM dpop_proofs WHERE expires_at <= $1`, now)
	return n, p.s.wrap("proofs: delete expired", err)
}
