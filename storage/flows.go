package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/idp/idp"
)

// Flows stores authorization requests waiting for the member to sign in or
// consent.
type Flows struct{ s *Store }

// A flow without a client (idp.Flow.LocalFlow) stores NULL, so the
// foreign key does not apply to it.
const flowColumns = `id, csrf_hash, COALESCE(client_id, ''), params, member_id, session_id, auth_time, created_at,
	expires_at, addr_hash, amr, pending_member_id`

const flowInsertColumns = `id, csrf_hash, client_id, params, member_id, session_id, auth_time, created_at,
	expires_at, addr_hash, amr, pending_member_id`

func scanFlow(r row) (idp.Flow, error) {
	var f idp.Flow
	var amr string
	err := r.Scan(&f.ID, &f.CSRFHash, &f.ClientID, &f.Params, &f.MemberID, &f.SessionID, &f.AuthTime,
		&f.CreatedAt, &f.ExpiresAt, &f.AddrHash, &amr, &f.PendingMemberID)
	f.AMR = splitWords(amr)
	return f, err
}

// Create inserts fl, filling its ID (a random UUID) when empty and
// CreatedAt when zero; times are normalised in place. An unknown client
// returns an error wrapping idp.ErrNotFound.
func (f *Flows) Create(ctx context.Context, fl *idp.Flow) error {
	return f.s.wrap("flows: create", f.insert(ctx, fl))
}

func (f *Flows) insert(ctx context.Context, fl *idp.Flow) error {
	if fl.ID == "" {
		fl.ID = newID()
	}
	if fl.CreatedAt.IsZero() {
		fl.CreatedAt = f.s.clock()
	}
	fl.AuthTime, fl.CreatedAt, fl.ExpiresAt = utc(fl.AuthTime), utc(fl.CreatedAt), utc(fl.ExpiresAt)
	_, err := f.s.exec(ctx, `INSERT INTO flows (`+flowInsertColumns+`)
		VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		fl.ID, fl.CSRFHash, fl.ClientID, fl.Params, fl.MemberID, fl.SessionID, fl.AuthTime, fl.CreatedAt,
		fl.ExpiresAt, fl.AddrHash, joinWords(fl.AMR), fl.PendingMemberID)
	return err
}

// CreateBounded is Create within bounds, in one transaction: when
// perAddress flows with fl's AddrHash are live (ExpiresAt after fl's
// CreatedAt) it stores nothing and returns an error wrapping idp.ErrLimit;
// otherwise it inserts fl and removes the oldest flows with fl's CSRFHash
// (one browser) beyond perBrowser, fl counted. Concurrent calls for one
// address are serialised, so the bound holds exactly.
func (f *Flows) CreateBounded(ctx context.Context, fl *idp.Flow, perBrowser, perAddress int) error {
	err := f.s.InTx(ctx, func(ctx context.Context) error {
		if lock := f.s.dialect.lockFlows; lock != "" {
			if _, err := f.s.exec(ctx, lock, fl.AddrHash); err != nil {
				return err
			}
		}
		if fl.CreatedAt.IsZero() {
			fl.CreatedAt = f.s.clock()
		}
		var n int
		if err := f.s.q(ctx).queryRow(ctx, `SELECT count(*) FROM flows WHERE addr_hash = $1 AND expires_at > $2`,
			fl.AddrHash, utc(fl.CreatedAt)).Scan(&n); err != nil {
			return err
		}
		if n >= perAddress {
			return fmt.Errorf("%d live flows from this address: %w", n, idp.ErrLimit)
		}
		if err := f.insert(ctx, fl); err != nil {
			return err
		}
		_, err := f.s.exec(ctx, `DELETE FROM flows WHERE csrf_hash = $1 AND id NOT IN (
			SELECT id FROM flows WHERE csrf_hash = $1 ORDER BY created_at DESC, id DESC LIMIT $2)`,
			fl.CSRFHash, perBrowser)
		return err
	})
	return f.s.wrap("flows: create bounded", err)
}

// ByID returns the flow, even when its ExpiresAt has passed (the provider
// checks expiry), or an error wrapping idp.ErrNotFound.
func (f *Flows) ByID(ctx context.Context, id string) (idp.Flow, error) {
	fl, err := scanFlow(f.s.q(ctx).queryRow(ctx, `SELECT `+flowColumns+` FROM flows WHERE id = $1`, id))
	return fl, f.s.wrap("flows: by id", err)
}

// Update stores the MemberID, SessionID, AuthTime, CSRFHash, AMR and
// PendingMemberID of fl; the other fields never change. It returns an
// error wrapping idp.ErrNotFound when the flow is gone.
func (f *Flows) Update(ctx context.Context, fl idp.Flow) error {
	n, err := f.s.exec(ctx, `UPDATE flows SET member_id = $2, session_id = $3, auth_time = $4, csrf_hash = $5,
		amr = $6, pending_member_id = $7 WHERE id = $1`, fl.ID, fl.MemberID, fl.SessionID, utc(fl.AuthTime), fl.CSRFHash,
		joinWords(fl.AMR), fl.PendingMemberID)
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
