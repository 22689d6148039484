package storage

import (
	"context"
	"time"

	"github.com/idp/idp"
)

// MemberFilter narrows Members.Page; an empty field does not filter.
type MemberFilter struct {
	// Email matches ignoring case, as sign-in does.
	Email string
	// Username matches exactly.
	Username string
}

// Page returns up to limit members matching f whose ID sorts after after
// (byte by byte; "" starts at the beginning), ordered by ID. Keyset
// pagination by the primary key keeps every page one index range scan and
// never skips or repeats a member when others are added or removed between
// pages, which an offset would.
func (m *Members) Page(ctx context.Context, f MemberFilter, after string, limit int) ([]idp.Member, error) {
	b := m.s.dialect.bytewise
	q := `SELECT ` + memberColumns + ` FROM members WHERE id` + b + ` > $1
		AND ($2 = '' OR lower(email) = lower($2)) AND ($3 = '' OR username = $3)
		ORDER BY id` + b + ` LIMIT $4`
	list, err := collect(ctx, m.s.q(ctx), scanMember, q, after, f.Email, f.Username, limit)
	return list, m.s.wrap("members: page", err)
}

// Page returns up to limit clients whose ID sorts after after (byte by
// byte; "" starts at the beginning), ordered by ID: keyset pagination, as
// Members.Page.
func (c *Clients) Page(ctx context.Context, after string, limit int) ([]idp.Client, error) {
	b := c.s.dialect.bytewise
	list, err := collect(ctx, c.s.q(ctx), scanClient,
		`SELECT `+clientColumns+` FROM clients WHERE id`+b+` > $1 ORDER BY id`+b+` LIMIT $2`, after, limit)
	return list, c.s.wrap("clients: page", err)
}

// Page returns up to limit sessions that have not expired at now (ExpiresAt
// after now) and whose ID sorts after after (byte by byte; "" starts at
// the beginning), ordered by ID: keyset pagination, as Members.Page. The
// idle limit is the provider's to apply; a session past it is still
// listed until the cleanup ends it.
func (s *Sessions) Page(ctx context.Context, now time.Time, after string, limit int) ([]idp.Session, error) {
	b := s.s.dialect.bytewise
	list, err := collect(ctx, s.s.q(ctx), scanSession, `SELECT `+sessionColumns+` FROM sessions
		WHERE expires_at > $1 AND id`+b+` > $2 ORDER BY id`+b+` LIMIT $3`, utc(now), after, limit)
	return list, s.s.wrap("sessions: page", err)
}
