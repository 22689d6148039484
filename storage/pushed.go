package storage

import (
	"context"
	"time"

	"github.com/idp/idp"
)

// Pushed stores pushed authorization requests (RFC 9126) until they are
// used once or expire.
type Pushed struct{ s *Store }

// Create stores pr. An unknown client returns an error wrapping
// idp.ErrNotFound, a hash already stored one wrapping idp.ErrConflict.
func (p *Pushed) Create(ctx context.Context, pr idp.PushedRequest) error {
	_, err := p.s.exec(ctx, `INSERT INTO par_requests (hash, client_id, request, expires_at) VALUES ($1, $2, $3, $4)`,
		pr.Hash, pr.ClientID, pr.Request, utc(pr.ExpiresAt))
	return p.s.wrap("pushed: create", err)
}

// Get returns the request with hash that has not expired at now, or an
// error wrapping idp.ErrNotFound.
func (p *Pushed) Get(ctx context.Context, hash string, now time.Time) (idp.PushedRequest, error) {
	var pr idp.PushedRequest
	err := p.s.q(ctx).queryRow(ctx, `SELECT hash, client_id, request, expires_at FROM par_requests
		WHERE hash = $1 AND expires_at > $2`, hash, utc(now)).Scan(&pr.Hash, &pr.ClientID, &pr.Request, &pr.ExpiresAt)
	return pr, p.s.wrap("pushed: get", err)
}

// Use consumes the request with hash if it has not expired at now, in one
// conditional DELETE, so of concurrent uses exactly one succeeds; the
// others, and an unknown or expired request, get an error wrapping
// idp.ErrNotFound.
func (p *Pushed) Use(ctx context.Context, hash string, now time.Time) error {
	n, err := p.s.exec(ctx, `DELETE FROM par_requests WHERE hash = $1 AND expires_at > $2`, hash, utc(now))
	return p.s.wrap("pushed: use", affected(n, err))
}

// DeleteExpired removes the requests that expired at or before now and
// reports how many.
func (p *Pushed) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	n, err := p.s.exec(ctx, `DELETE FROM par_requests WHERE expires_at <= $1`, utc(now))
	return n, p.s.wrap("pushed: delete expired", err)
}
