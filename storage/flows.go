package storage

import (
	"context"
	"time"

	"github.com/idp/idp"
)

// Flows stores authorization requests waiting for the member to sign in or
// consent.
type Flows struct{ s *Store }

const flowColumns = `id, csrf_hash, client_id, params, member_id, session_id, auth_time, created_at, expires_at`

func scanFlow(r row) (idp.Flow, error) {
	var f idp.Flow
	err := r.Scan(&f.ID, &f.CSRFHash, &f.ClientID, &f.Params, &f.MemberID, &f.SessionID, &f.AuthTime,
		&f.CreatedAt, &f.ExpiresAt)
	return f, err
}

// Create inserts fl, filling its ID (a random UUID) when empty and
// CreatedAt when zero; times are normalised in place. An unknown client
// returns an error wrapping idp.ErrNotFound.
func (f *Flows) Create(ctx context.Context, fl *idp.Flow) error {
	if fl.ID == "" {
		fl.ID = newID()
	}
	if fl.CreatedAt.IsZero() {
		fl.CreatedAt = f.s.clock()
	}
	fl.AuthTime, fl.CreatedAt, fl.ExpiresAt = utc(fl.AuthTime), utc(fl.CreatedAt), utc(fl.ExpiresAt)
	_, err := f.s.exec(ctx, `INSERT INTO flows (`+flowColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		fl.ID, fl.CSRFHash, fl.ClientID, fl.Params, fl.MemberID, fl.SessionID, fl.AuthTime, fl.CreatedAt,
		fl.ExpiresAt)
	return f.s.wrap("flows: create", err)
}

// ByID returns the flow, even when its ExpiresAt has passed (the provider
// checks expiry), or an error wrapping idp.ErrNotFound.
func (f *Flows) ByID(ctx context.Context, id string) (idp.Flow, error) {
	fl, err := scanFlow(f.s.q(ctx).queryRow(ctx, `SELECT `+flowColumns+` FROM flows WHERE id = $1`, id))
	return fl, f.s.wrap("flows: by id", err)
}

// Update stores the MemberID, SessionID, AuthTime and CSRFHash of fl; the
// other fields never change. It returns an error wrapping idp.ErrNotFound
// when the flow is gone.
func (f *Flows) Update(ctx context.Context, fl idp.Flow) error {
	n, err := f.s.exec(ctx, `UPDATE flows SET member_id = $2, session_id = $3, auth_time = $4, csrf_hash = $5
		WHERE id = $1`, fl.ID, fl.MemberID, fl.SessionID, fl.AuthTime, fl.CSRFHash)
	return f.s.wrap("flows: update", affected(n, err))
}

// Delete removes the flow. It returns an error wrapping idp.ErrNotFound when
// the flow is already gone, so of two concurrent completions exactly one
// succeeds: this is what makes a flow single-use.
func (f *Flows) Delete(ctx context.Context, id string) error {
	n, err := f.s.exec(ctx, `DELETE FROM flows WHERE id = $1`, id)
	return f.s.wrap("flows: delete", affected(n, err))
}

// DeleteExpired removes the flows whose ExpiresAt is at or before now, and
// reports how many.
func (f *Flows) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	n, err := f.s.exec(ctx, `DELETE FROM flows WHERE expires_at <= $1`, now)
	return n, f.s.wrap("flows: delete expired", err)
}
