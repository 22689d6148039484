package storage

import (
	"context"
	"fmt"

	"github.com/idp/idp"
)

// Factors stores members' second factors: the TOTP secret (sealed by the
// caller; the store only moves bytes) and the hashes of recovery codes.
// Which codes are right, and when a factor is required, is the caller's
// business; the store makes every use single and atomic.
type Factors struct{ s *Store }

const totpColumns = `member_id, sealed, confirmed, last_step, created_at`

func scanTOTP(r row) (idp.TOTP, error) {
	var t idp.TOTP
	err := r.Scan(&t.MemberID, &t.Sealed, &t.Confirmed, &t.LastStep, &t.CreatedAt)
	t.Sealed = orNil(t.Sealed)
	return t, err
}

// TOTP returns the member's TOTP, confirmed or pending, or an error
// wrapping idp.ErrNotFound.
func (f *Factors) TOTP(ctx context.Context, memberID string) (idp.TOTP, error) {
	t, err := scanTOTP(f.s.q(ctx).queryRow(ctx, `SELECT `+totpColumns+` FROM totp WHERE member_id = $1`, memberID))
	return t, f.s.wrap("factors: totp", err)
}

// StartTOTP stores t as the member's pending enrolment (Confirmed and
// LastStep are ignored), replacing a pending one. A confirmed TOTP is
// never replaced: the call returns an error wrapping idp.ErrConflict, in
// one statement, so a race cannot swap a confirmed secret either.
func (f *Factors) StartTOTP(ctx context.Context, t idp.TOTP) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = f.s.clock()
	}
	n, err := f.s.exec(ctx, `INSERT INTO totp (`+totpColumns+`) VALUES ($1, $2, $3, 0, $4)
		ON CONFLICT (member_id) DO UPDATE SET sealed = excluded.sealed, last_step = 0, created_at = excluded.created_at
		WHERE totp.confirmed = $3`,
		t.MemberID, blob(t.Sealed), false, utc(t.CreatedAt))
	if err == nil && n == 0 {
		err = fmt.Errorf("a confirmed TOTP exists: %w", idp.ErrConflict)
	}
	return f.s.wrap("factors: start totp", err)
}

// ConfirmTOTP makes the member's pending TOTP a second factor, recording
// step as the last step used (its code is spent). It returns an error
// wrapping idp.ErrNotFound when no pending enrolment exists (none, or
// already confirmed).
func (f *Factors) ConfirmTOTP(ctx context.Context, memberID string, step int64) error {
	n, err := f.s.exec(ctx, `UPDATE totp SET confirmed = $2, last_step = $3 WHERE member_id = $1 AND confirmed = $4`,
		memberID, true, step, false)
	return f.s.wrap("factors: confirm totp", affected(n, err))
}

// UseTOTPStep records that the code of step was accepted for the member's
// confirmed TOTP. Only a step later than the last one used is accepted,
// in one conditional UPDATE: a replayed code, or the loser of two
// concurrent uses of one code, gets an error wrapping idp.ErrConflict.
func (f *Factors) UseTOTPStep(ctx context.Context, memberID string, step int64) error {
	n, err := f.s.exec(ctx, `UPDATE totp SET last_step = $2 WHERE member_id = $1 AND confirmed = $3 AND last_step < $2`,
		memberID, step, true)
	if err == nil && n == 0 {
		err = fmt.Errorf("time step already used: %w", idp.ErrConflict)
	}
	return f.s.wrap("factors: use totp step", err)
}

// DeleteTOTP removes the member's TOTP, pending or confirmed. It returns
// an error wrapping idp.ErrNotFound when there was none.
func (f *Factors) DeleteTOTP(ctx context.Context, memberID string) error {
	n, err := f.s.exec(ctx, `DELETE FROM totp WHERE member_id = $1`, memberID)
	return f.s.wrap("factors: delete totp", affected(n, err))
}

// SetRecoveryCodes replaces the member's recovery codes with hashes, in
// one transaction: the old codes stop working when the new ones exist.
func (f *Factors) SetRecoveryCodes(ctx context.Context, memberID string, hashes []string) error {
	err := f.s.InTx(ctx, func(ctx context.Context) error {
		if _, err := f.s.exec(ctx, `DELETE FROM recovery_codes WHERE member_id = $1`, memberID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := f.s.exec(ctx, `INSERT INTO recovery_codes (member_id, hash) VALUES ($1, $2)`, memberID, h); err != nil {
				return err
			}
		}
		return nil
	})
	return f.s.wrap("factors: set recovery codes", err)
}

// UseRecoveryCode spends the member's recovery code with this hash by
// deleting it: of concurrent uses of one code exactly one succeeds, the
// others (and any unknown code) get an error wrapping idp.ErrNotFound.
func (f *Factors) UseRecoveryCode(ctx context.Context, memberID, hash string) error {
	n, err := f.s.exec(ctx, `DELETE FROM recovery_codes WHERE member_id = $1 AND hash = $2`, memberID, hash)
	return f.s.wrap("factors: use recovery code", affected(n, err))
}

// RecoveryCodesLeft counts the member's unused recovery codes.
func (f *Factors) RecoveryCodesLeft(ctx context.Context, memberID string) (int, error) {
	var n int
	err := f.s.q(ctx).queryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE member_id = $1`, memberID).Scan(&n)
	return n, f.s.wrap("factors: recovery codes left", err)
}

// DeleteAll removes every second factor of the member (TOTP and recovery
// codes) in one transaction and reports whether there was any.
func (f *Factors) DeleteAll(ctx context.Context, memberID string) (bool, error) {
	var total int64
	err := f.s.InTx(ctx, func(ctx context.Context) error {
		for _, q := range []string{`DELETE FROM totp WHERE member_id = $1`, `DELETE FROM recovery_codes WHERE member_id = $1`} {
			n, err := f.s.exec(ctx, q, memberID)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	return total > 0, f.s.wrap("factors: delete all", err)
}
