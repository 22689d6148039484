package storage

import (
	"context"
	"time"

	"github.com/idp/idp"
)

// MailTokens stores the links sent by mail until they are used once or
// expire. It keeps only their hashes; the policy (lifetime, which kinds a
// page accepts, what using one does) is the caller's.
type MailTokens struct{ s *Store }

// Create stores t, replacing every earlier token of the same kind for the
// same member, so only the newest link a member was sent works. A hash
// already stored returns an error wrapping idp.ErrConflict, an unknown
// member one wrapping idp.ErrNotFound. It runs in one transaction, joining
// the one ctx carries.
func (m *MailTokens) Create(ctx context.Context, t idp.MailToken) error {
	err := m.s.InTx(ctx, func(ctx context.Context) error {
		if _, err := m.s.exec(ctx, `DELETE FROM mail_tokens WHERE member_id = $1 AND kind = $2`,
			t.MemberID, string(t.Kind)); err != nil {
			return err
		}
		_, err := m.s.exec(ctx, `INSERT INTO mail_tokens (hash, kind, member_id, email, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			t.Hash, string(t.Kind), t.MemberID, t.Email, utc(t.CreatedAt), utc(t.ExpiresAt))
		return err
	})
	return m.s.wrap("mail tokens: create", err)
}

// Get returns the token with hash and kind that has not expired at now,
// without using it, or an error wrapping idp.ErrNotFound.
func (m *MailTokens) Get(ctx context.Context, hash string, kind idp.MailTokenKind, now time.Time) (idp.MailToken, error) {
	var t idp.MailToken
	var k string
	err := m.s.q(ctx).queryRow(ctx, `SELECT hash, kind, member_id, email, created_at, expires_at FROM mail_tokens
		WHERE hash = $1 AND kind = $2 AND expires_at > $3`, hash, string(kind), utc(now)).
		Scan(&t.Hash, &k, &t.MemberID, &t.Email, &t.CreatedAt, &t.ExpiresAt)
	t.Kind = idp.MailTokenKind(k)
	return t, m.s.wrap("mail tokens: get", err)
}

// Use consumes the token with hash and kind if it has not expired at now
// and returns it. The row is removed by a conditional DELETE, so of
// concurrent uses exactly one succeeds; the others, a token of another
// kind, and an unknown or expired token get an error wrapping
// idp.ErrNotFound. It runs in one transaction, joining the one ctx
// carries, so a caller's failure later in that transaction leaves the
// token usable.
func (m *MailTokens) Use(ctx context.Context, hash string, kind idp.MailTokenKind, now time.Time) (idp.MailToken, error) {
	var t idp.MailToken
	err := m.s.InTx(ctx, func(ctx context.Context) error {
		var err error
		if t, err = m.Get(ctx, hash, kind, now); err != nil {
			return err
		}
		n, err := m.s.exec(ctx, `DELETE FROM mail_tokens WHERE hash = $1 AND kind = $2 AND expires_at > $3`,
			hash, string(kind), utc(now))
		return affected(n, err)
	})
	return t, m.s.wrap("mail tokens: use", err)
}

// DeleteMember removes every token of kind for the member, as a change of
// the member that makes their links pointless does (a password set, an
// address verified).
func (m *MailTokens) DeleteMember(ctx context.Context, memberID string, kind idp.MailTokenKind) error {
	_, err := m.s.exec(ctx, `DELETE FROM mail_tokens WHERE member_id = $1 AND kind = $2`, memberID, string(kind))
	return m.s.wrap("mail tokens: delete member", err)
}

// DeleteExpired removes the tokens that expired at or before now and
// reports how many.
func (m *MailTokens) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	n, err := m.s.exec(ctx, `DELETE FROM mail_tokens WHERE expires_at <= $1`, utc(now))
	return n, m.s.wrap("mail tokens: delete expired", err)
}
