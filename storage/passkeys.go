package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/idp/idp"
)

// Passkeys stores members' WebAuthn credentials and the user handle each
// member is known by to their authenticators.
type Passkeys struct{ s *Store }

const passkeyColumns = `id, member_id, name, public_key, attestation_type, aaguid, sign_count, transports,
	backup_eligible, backup_state, user_verified, created_at, last_used_at`

func scanPasskey(r row) (idp.Passkey, error) {
	var p idp.Passkey
	var count int64
	var transports string
	err := r.Scan(&p.ID, &p.MemberID, &p.Name, &p.PublicKey, &p.AttestationType, &p.AAGUID, &count, &transports,
		&p.BackupEligible, &p.BackupState, &p.UserVerified, &p.CreatedAt, &p.LastUsedAt)
	p.SignCount, p.Transports = uint32(count), splitWords(transports)
	return p, err
}

// Handle returns the member's user handle (WebAuthn §6.1.2 user.id),
// storing candidate as it when the member has none yet. A handle never
// changes, so every passkey of a member carries the same one; concurrent
// calls all return the one stored first. An unknown member returns an
// error wrapping idp.ErrNotFound.
func (p *Passkeys) Handle(ctx context.Context, memberID, candidate string) (string, error) {
	var handle string
	err := p.s.InTx(ctx, func(ctx context.Context) error {
		if _, err := p.s.exec(ctx, `INSERT INTO passkey_users (member_id, handle) VALUES ($1, $2)
			ON CONFLICT (member_id) DO NOTHING`, memberID, candidate); err != nil {
			return err
		}
		return p.s.q(ctx).queryRow(ctx, `SELECT handle FROM passkey_users WHERE member_id = $1`, memberID).Scan(&handle)
	})
	return handle, p.s.wrap("passkeys: handle", err)
}

// MemberByHandle returns the id of the member whose user handle is
// handle, or an error wrapping idp.ErrNotFound.
func (p *Passkeys) MemberByHandle(ctx context.Context, handle string) (string, error) {
	var id string
	err := p.s.q(ctx).queryRow(ctx, `SELECT member_id FROM passkey_users WHERE handle = $1`, handle).Scan(&id)
	return id, p.s.wrap("passkeys: member by handle", err)
}

// Add stores pk, filling CreatedAt when zero; times are normalised in
// place. A credential id already stored, for any member, returns an error
// wrapping idp.ErrConflict; an unknown member one wrapping
// idp.ErrNotFound.
func (p *Passkeys) Add(ctx context.Context, pk *idp.Passkey) error {
	if pk.CreatedAt.IsZero() {
		pk.CreatedAt = p.s.clock()
	}
	pk.CreatedAt, pk.LastUsedAt = utc(pk.CreatedAt), utc(pk.LastUsedAt)
	_, err := p.s.exec(ctx, `INSERT INTO passkeys (`+passkeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		pk.ID, pk.MemberID, pk.Name, pk.PublicKey, pk.AttestationType, pk.AAGUID, int64(pk.SignCount),
		joinWords(pk.Transports), pk.BackupEligible, pk.BackupState, pk.UserVerified, pk.CreatedAt, pk.LastUsedAt)
	return p.s.wrap("passkeys: add", err)
}

// ByMember returns the member's passkeys, oldest first.
func (p *Passkeys) ByMember(ctx context.Context, memberID string) ([]idp.Passkey, error) {
	list, err := collect(ctx, p.s.q(ctx), scanPasskey, `SELECT `+passkeyColumns+` FROM passkeys
		WHERE member_id = $1 ORDER BY created_at, id`, memberID)
	return list, p.s.wrap("passkeys: by member", err)
}

// ByID returns the passkey with credential id id, or an error wrapping
// idp.ErrNotFound.
func (p *Passkeys) ByID(ctx context.Context, id string) (idp.Passkey, error) {
	pk, err := scanPasskey(p.s.q(ctx).queryRow(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE id = $1`, id))
	return pk, p.s.wrap("passkeys: by id", err)
}

// Rename sets the name of the member's passkey id. A passkey that is not
// the member's is idp.ErrNotFound, like a missing one.
func (p *Passkeys) Rename(ctx context.Context, memberID, id, name string) error {
	n, err := p.s.exec(ctx, `UPDATE passkeys SET name = $3 WHERE id = $1 AND member_id = $2`, id, memberID, name)
	return p.s.wrap("passkeys: rename", affected(n, err))
}

// Remove deletes the member's passkey id. A passkey that is not the
// member's is idp.ErrNotFound, like a missing one.
func (p *Passkeys) Remove(ctx context.Context, memberID, id string) error {
	n, err := p.s.exec(ctx, `DELETE FROM passkeys WHERE id = $1 AND member_id = $2`, id, memberID)
	return p.s.wrap("passkeys: remove", affected(n, err))
}

// Used records a sign-in with passkey id: its new signature counter,
// backup state and last use, provided its counter is still from (compare
// and set). When a concurrent sign-in moved the counter first, or the
// passkey is gone, nothing changes and the error wraps idp.ErrConflict
// or idp.ErrNotFound: two answers with one counter value cannot both
// count.
func (p *Passkeys) Used(ctx context.Context, id string, from, to uint32, backupState bool, at time.Time) error {
	err := p.s.InTx(ctx, func(ctx context.Context) error {
		n, err := p.s.exec(ctx, `UPDATE passkeys SET sign_count = $3, backup_state = $4, last_used_at = $5
			WHERE id = $1 AND sign_count = $2`, id, int64(from), int64(to), backupState, utc(at))
		if err != nil || n == 1 {
			return err
		}
		if _, err := p.ByID(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("signature counter moved: %w", idp.ErrConflict)
	})
	return p.s.wrap("passkeys: used", err)
}

// WebAuthnChallenges stores the server's half of WebAuthn ceremonies
// under way (idp.WebAuthnChallenge).
type WebAuthnChallenges struct{ s *Store }

const challengeColumns = `id, binding, browser_hash, addr_hash, data, created_at, expires_at`

// Put stores c, filling its ID and CreatedAt when empty, in place of any
// challenge of its Binding, within bounds, in one transaction: when
// perAddress live challenges of other bindings have c's AddrHash it stores
// nothing and returns an error wrapping idp.ErrLimit; otherwise it inserts
// c and removes the oldest challenges with c's BrowserHash beyond
// perBrowser, c counted. Concurrent calls for one address are serialised,
// so the bound holds exactly.
func (w *WebAuthnChallenges) Put(ctx context.Context, c *idp.WebAuthnChallenge, perBrowser, perAddress int) error {
	if c.ID == "" {
		c.ID = newID()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = w.s.clock()
	}
	c.CreatedAt, c.ExpiresAt = utc(c.CreatedAt), utc(c.ExpiresAt)
	err := w.s.InTx(ctx, func(ctx context.Context) error {
		if lock := w.s.dialect.lockChallenges; lock != "" {
			if _, err := w.s.exec(ctx, lock, c.AddrHash); err != nil {
				return err
			}
		}
		if _, err := w.s.exec(ctx, `DELETE FROM webauthn_challenges WHERE binding = $1`, c.Binding); err != nil {
			return err
		}
		var n int
		if err := w.s.q(ctx).queryRow(ctx, `SELECT count(*) FROM webauthn_challenges
			WHERE addr_hash = $1 AND expires_at > $2`, c.AddrHash, c.CreatedAt).Scan(&n); err != nil {
			return err
		}
		if n >= perAddress {
			return fmt.Errorf("%d live challenges from this address: %w", n, idp.ErrLimit)
		}
		if _, err := w.s.exec(ctx, `INSERT INTO webauthn_challenges (`+challengeColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, c.Binding, c.BrowserHash, c.AddrHash, c.Data, c.CreatedAt, c.ExpiresAt); err != nil {
			return err
		}
		_, err := w.s.exec(ctx, `DELETE FROM webauthn_challenges WHERE browser_hash = $1 AND id NOT IN (
			SELECT id FROM webauthn_challenges WHERE browser_hash = $1 ORDER BY created_at DESC, id DESC LIMIT $2)`,
			c.BrowserHash, perBrowser)
		return err
	})
	return w.s.wrap("webauthn challenges: put", err)
}

// Take removes and returns the challenge of binding if it is still live
// at now, in one statement, so of concurrent takes exactly one gets it.
// A missing, already taken or expired challenge returns an error wrapping
// idp.ErrNotFound.
func (w *WebAuthnChallenges) Take(ctx context.Context, binding string, now time.Time) (idp.WebAuthnChallenge, error) {
	var c idp.WebAuthnChallenge
	err := w.s.writeRow(ctx, `DELETE FROM webauthn_challenges WHERE binding = $1 AND expires_at > $2
		RETURNING `+challengeColumns, []any{binding, utc(now)},
		&c.ID, &c.Binding, &c.BrowserHash, &c.AddrHash, &c.Data, &c.CreatedAt, &c.ExpiresAt)
	return c, w.s.wrap("webauthn challenges: take", err)
}

// DeleteExpired removes the challenges whose ExpiresAt is at or before
// now, and reports how many.
func (w *WebAuthnChallenges) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	n, err := w.s.exec(ctx, `DELETE FROM webauthn_challenges WHERE expires_at <= $1`, now)
	return n, w.s.wrap("webauthn challenges: delete expired", err)
}
