package storage

import (
	"context"
	"strings"
	"time"

	"github.com/idp/idp"
)

// DeviceGrants stores device authorization requests (RFC 8628). It keeps
// rows and moves them between states atomically; which move is allowed
// when (intervals, expiry, who may answer) is decided by the provider.
type DeviceGrants struct{ s *Store }

const deviceColumns = `id, device_code_hash, user_code_hash, client_id, scopes, audience, status, interval_seconds,
	last_polled_at, created_at, expires_at, member_id, session_id, auth_time, answered_at`

func scanDeviceGrant(r row) (idp.DeviceGrant, error) {
	var g idp.DeviceGrant
	var scopes, audience, status string
	var interval int64
	err := r.Scan(&g.ID, &g.DeviceCodeHash, &g.UserCodeHash, &g.ClientID, &scopes, &audience, &status, &interval,
		&g.LastPolled, &g.CreatedAt, &g.ExpiresAt, &g.MemberID, &g.SessionID, &g.AuthTime, &g.AnsweredAt)
	if err != nil {
		return g, err
	}
	g.Scopes, g.Audience = strings.Fields(scopes), strings.Fields(audience)
	g.Status, g.Interval = idp.DeviceStatus(status), time.Duration(interval)*time.Second
	g.LastPolled, g.CreatedAt, g.ExpiresAt = g.LastPolled.UTC(), g.CreatedAt.UTC(), g.ExpiresAt.UTC()
	g.AuthTime, g.AnsweredAt = g.AuthTime.UTC(), g.AnsweredAt.UTC()
	return g, nil
}

// Create inserts g as given, filling its ID (a random UUID) when empty and
// CreatedAt when zero; times are normalised in place. A device or user
// code hash already stored is an error wrapping idp.ErrConflict, for the
// caller to draw another code; an unknown client wraps idp.ErrNotFound.
func (d *DeviceGrants) Create(ctx context.Context, g *idp.DeviceGrant) error {
	if g.ID == "" {
		g.ID = newID()
	}
	if g.CreatedAt.IsZero() {
		g.CreatedAt = d.s.clock()
	}
	g.LastPolled, g.CreatedAt, g.ExpiresAt = utc(g.LastPolled), utc(g.CreatedAt), utc(g.ExpiresAt)
	g.AuthTime, g.AnsweredAt = utc(g.AuthTime), utc(g.AnsweredAt)
	_, err := d.s.exec(ctx, `INSERT INTO device_grants (`+deviceColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		g.ID, g.DeviceCodeHash, g.UserCodeHash, g.ClientID, strings.Join(g.Scopes, " "), strings.Join(g.Audience, " "),
		string(g.Status), int64(g.Interval/time.Second), g.LastPolled, g.CreatedAt, g.ExpiresAt,
		g.MemberID, g.SessionID, g.AuthTime, g.AnsweredAt)
	return d.s.wrap("device grants: create", err)
}

// ByDeviceCodeHash returns the grant whose device code hashes to hash,
// expired or not, or an error wrapping idp.ErrNotFound.
func (d *DeviceGrants) ByDeviceCodeHash(ctx context.Context, hash string) (idp.DeviceGrant, error) {
	g, err := scanDeviceGrant(d.s.q(ctx).queryRow(ctx, `SELECT `+deviceColumns+` FROM device_grants WHERE device_code_hash = $1`, hash))
	return g, d.s.wrap("device grants: by device code", err)
}

// ByUserCodeHash returns the grant whose user code has the HMAC hash,
// expired or not, or an error wrapping idp.ErrNotFound.
func (d *DeviceGrants) ByUserCodeHash(ctx context.Context, hash string) (idp.DeviceGrant, error) {
	g, err := scanDeviceGrant(d.s.q(ctx).queryRow(ctx, `SELECT `+deviceColumns+` FROM device_grants WHERE user_code_hash = $1`, hash))
	return g, d.s.wrap("device grants: by user code", err)
}

// ByID returns the grant, or an error wrapping idp.ErrNotFound.
func (d *DeviceGrants) ByID(ctx context.Context, id string) (idp.DeviceGrant, error) {
	g, err := scanDeviceGrant(d.s.q(ctx).queryRow(ctx, `SELECT `+deviceColumns+` FROM device_grants WHERE id = $1`, id))
	return g, d.s.wrap("device grants: by id", err)
}

// Polled records a poll at now with the interval the next poll must wait,
// only if the grant was last polled at prev, as read: of two concurrent
// polls one records and the other gets an error wrapping
// idp.ErrNotFound, for the caller to treat as too fast.
func (d *DeviceGrants) Polled(ctx context.Context, id string, prev, now time.Time, interval time.Duration) error {
	n, err := d.s.exec(ctx, `UPDATE device_grants SET last_polled_at = $3, interval_seconds = $4
		WHERE id = $1 AND last_polled_at = $2`, id, utc(prev), utc(now), int64(interval/time.Second))
	return d.s.wrap("device grants: polled", affected(n, err))
}

// Answer records the member's answer (DeviceApproved or DeviceDenied) to a
// pending grant that has not expired at g.AnsweredAt, with g's MemberID,
// SessionID and AuthTime. A grant already answered, expired or gone is an
// error wrapping idp.ErrNotFound: a grant is answered once.
func (d *DeviceGrants) Answer(ctx context.Context, g idp.DeviceGrant) error {
	n, err := d.s.exec(ctx, `UPDATE device_grants SET status = $2, member_id = $3, session_id = $4, auth_time = $5,
		answered_at = $6 WHERE id = $1 AND status = $7 AND expires_at > $6`,
		g.ID, string(g.Status), g.MemberID, g.SessionID, utc(g.AuthTime), utc(g.AnsweredAt), string(idp.DevicePending))
	return d.s.wrap("device grants: answer", affected(n, err))
}

// Redeem marks used the approved grant of clientID whose device code
// hashes to hash. It returns an error wrapping idp.ErrNotFound unless such
// a grant was approved and unused: of two concurrent redemptions exactly
// one succeeds.
func (d *DeviceGrants) Redeem(ctx context.Context, hash, clientID string) error {
	n, err := d.s.exec(ctx, `UPDATE device_grants SET status = $3 WHERE device_code_hash = $1 AND client_id = $2 AND status = $4`,
		hash, clientID, string(idp.DeviceUsed), string(idp.DeviceApproved))
	return d.s.wrap("device grants: redeem", affected(n, err))
}

// DeleteExpired removes the grants whose ExpiresAt is at or before now,
// and reports how many.
func (d *DeviceGrants) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	n, err := d.s.exec(ctx, `DELETE FROM device_grants WHERE expires_at <= $1`, utc(now))
	return n, d.s.wrap("device grants: delete expired", err)
}
