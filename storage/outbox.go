package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/idp/idp"
)

// Outbox stores back-channel logout deliveries until they are made. Every
// replica's worker reads it; Claim lets only one of them attempt a given
// delivery at a time.
type Outbox struct{ s *Store }

const outboxColumns = `id, client_id, logout_uri, member_id, session_id, attempts, next_attempt_at, created_at`

func scanDelivery(r row) (idp.LogoutDelivery, error) {
	var d idp.LogoutDelivery
	err := r.Scan(&d.ID, &d.ClientID, &d.URI, &d.MemberID, &d.SessionID, &d.Attempts, &d.NextAttemptAt, &d.CreatedAt)
	return d, err
}

// Add stores d, filling its ID when empty and CreatedAt and NextAttemptAt
// (now: deliver at once) when zero; times are normalised in place. Called
// with the transaction that ends the session in ctx, the delivery is owed
// exactly when the session has ended. An unknown client returns an error
// wrapping idp.ErrNotFound.
func (o *Outbox) Add(ctx context.Context, d *idp.LogoutDelivery) error {
	if d.ID == "" {
		d.ID = newID()
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = o.s.clock()
	}
	if d.NextAttemptAt.IsZero() {
		d.NextAttemptAt = d.CreatedAt
	}
	d.CreatedAt, d.NextAttemptAt = utc(d.CreatedAt), utc(d.NextAttemptAt)
	_, err := o.s.exec(ctx, `INSERT INTO logout_outbox (`+outboxColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		d.ID, d.ClientID, d.URI, d.MemberID, d.SessionID, d.Attempts, d.NextAttemptAt, d.CreatedAt)
	return o.s.wrap("outbox: add", err)
}

// Due returns up to limit deliveries whose NextAttemptAt is at or before
// now, the longest waiting first.
func (o *Outbox) Due(ctx context.Context, now time.Time, limit int) ([]idp.LogoutDelivery, error) {
	list, err := collect(ctx, o.s.q(ctx), scanDelivery, `SELECT `+outboxColumns+` FROM logout_outbox
		WHERE next_attempt_at <= $1 ORDER BY next_attempt_at, id`+o.s.dialect.bytewise+` LIMIT $2`, utc(now), limit)
	return list, o.s.wrap("outbox: due", err)
}

// Claim records an attempt on d: it counts it and moves NextAttemptAt to
// until, but only if d is unchanged since it was read (same attempts and
// NextAttemptAt). Of replicas racing for one delivery exactly one claims
// it; the others get an error wrapping idp.ErrConflict. A delivery gone
// (made, or its client removed) returns one wrapping idp.ErrNotFound.
func (o *Outbox) Claim(ctx context.Context, d idp.LogoutDelivery, until time.Time) error {
	n, err := o.s.exec(ctx, `UPDATE logout_outbox SET attempts = attempts + 1, next_attempt_at = $4
		WHERE id = $1 AND attempts = $2 AND next_attempt_at = $3`, d.ID, d.Attempts, utc(d.NextAttemptAt), utc(until))
	if err == nil && n == 0 {
		if _, gone := o.get(ctx, d.ID); gone != nil {
			return o.s.wrap("outbox: claim", gone)
		}
		return fmt.Errorf("outbox: claim: %w: claimed by another worker", idp.ErrConflict)
	}
	return o.s.wrap("outbox: claim", err)
}

func (o *Outbox) get(ctx context.Context, id string) (idp.LogoutDelivery, error) {
	return scanDelivery(o.s.q(ctx).queryRow(ctx, `SELECT `+outboxColumns+` FROM logout_outbox WHERE id = $1`, id))
}

// Reschedule sets when the delivery may next be attempted. A delivery
// gone is not an error: it was made or dropped meanwhile.
func (o *Outbox) Reschedule(ctx context.Context, id string, next time.Time) error {
	_, err := o.s.exec(ctx, `UPDATE logout_outbox SET next_attempt_at = $2 WHERE id = $1`, id, utc(next))
	return o.s.wrap("outbox: reschedule", err)
}

// Delete removes the delivery: made, or given up. Removing one already
// gone is not an error.
func (o *Outbox) Delete(ctx context.Context, id string) error {
	_, err := o.s.exec(ctx, `DELETE FROM logout_outbox WHERE id = $1`, id)
	return o.s.wrap("outbox: delete", err)
}
