package storage

import (
	"context"
	"strings"
	"time"

	"github.com/idp/idp"
)

// Sessions stores members' browser sessions at the provider, and which
// clients each one signed in to (for OpenID Connect Back-Channel Logout).
type Sessions struct{ s *Store }

const sessionColumns = `id, token_hash, member_id, auth_time, amr, acr, user_agent, address, created_at,
	last_seen_at, expires_at`

func scanSession(r row) (idp.Session, error) {
	var ss idp.Session
	var amr string
	err := r.Scan(&ss.ID, &ss.TokenHash, &ss.MemberID, &ss.AuthTime, &amr, &ss.ACR, &ss.UserAgent, &ss.Address,
		&ss.CreatedAt, &ss.LastSeenAt, &ss.ExpiresAt)
	ss.AMR = splitWords(amr)
	return ss, err
}

// splitWords and joinWords store a short list of words (authentication
// method references) as one space-separated column.
// An empty column is a nil list.
func splitWords(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}

func joinWords(l []string) string { return strings.Join(l, " ") }

// Create inserts sess, filling its ID (a random UUID) when empty, CreatedAt
// when zero and LastSeenAt (from CreatedAt) when zero; times are normalised
// in place. A taken ID or token hash returns an error wrapping
// idp.ErrConflict, an unknown member one wrapping idp.ErrNotFound.
func (s *Sessions) Create(ctx context.Context, sess *idp.Session) error {
	if sess.ID == "" {
		sess.ID = newID()
	}
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = s.s.clock()
	}
	if sess.LastSeenAt.IsZero() {
		sess.LastSeenAt = sess.CreatedAt
	}
	sess.AuthTime, sess.CreatedAt = utc(sess.AuthTime), utc(sess.CreatedAt)
	sess.LastSeenAt, sess.ExpiresAt = utc(sess.LastSeenAt), utc(sess.ExpiresAt)
	_, err := s.s.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		sess.ID, sess.TokenHash, sess.MemberID, sess.AuthTime, joinWords(sess.AMR), sess.ACR, sess.UserAgent,
		sess.Address, sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt)
	return s.s.wrap("sessions: create", err)
}

// ByID returns the session even when expired (the provider checks), or an
// error wrapping idp.ErrNotFound.
func (s *Sessions) ByID(ctx context.Context, id string) (idp.Session, error) {
	ss, err := scanSession(s.s.q(ctx).queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1`, id))
	return ss, s.s.wrap("sessions: by id", err)
}

// ByTokenHash returns the session whose cookie token hashes to hash, or an
// error wrapping idp.ErrNotFound.
func (s *Sessions) ByTokenHash(ctx context.Context, hash string) (idp.Session, error) {
	ss, err := scanSession(s.s.q(ctx).queryRow(ctx,
		`SELECT `+sessionColumns+` FROM sessions WHERE token_hash = $1`, hash))
	return ss, s.s.wrap("sessions: by token hash", err)
}

// ByMember returns the member's sessions, newest CreatedAt first.
func (s *Sessions) ByMember(ctx context.Context, memberID string) ([]idp.Session, error) {
	list, err := collect(ctx, s.s.q(ctx), scanSession, `SELECT `+sessionColumns+` FROM sessions
		WHERE member_id = $1 ORDER BY created_at DESC, id`+s.s.dialect.bytewise, memberID)
	return list, s.s.wrap("sessions: by member", err)
}

// Touch sets LastSeenAt, which the provider's idle limit is measured from.
// It returns an error wrapping idp.ErrNotFound when the session is gone.
func (s *Sessions) Touch(ctx context.Context, id string, at time.Time) error {
	n, err := s.s.exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, id, at)
	return s.s.wrap("sessions: touch", affected(n, err))
}

// Update renews a session at sign-in: it replaces the token hash (a new
// cookie at every sign-in), AuthTime, AMR, ACR, UserAgent, Address,
// LastSeenAt and ExpiresAt, keeping the ID, so clients already attached
// to the session stay attached. It returns an error wrapping
// idp.ErrNotFound when the session is gone.
func (s *Sessions) Update(ctx context.Context, sess idp.Session) error {
	n, err := s.s.exec(ctx, `UPDATE sessions SET token_hash = $2, auth_time = $3, amr = $4, acr = $5,
		user_agent = $6, address = $7, last_seen_at = $8, expires_at = $9 WHERE id = $1`,
		sess.ID, sess.TokenHash, utc(sess.AuthTime), joinWords(sess.AMR), sess.ACR, sess.UserAgent, sess.Address,
		utc(sess.LastSeenAt), utc(sess.ExpiresAt))
	return s.s.wrap("sessions: update", affected(n, err))
}

// Delete removes the session and its client records. It returns an error
// wrapping idp.ErrNotFound when the session is already gone, so of two
// concurrent logouts exactly one succeeds. Tokens issued through the
// session stay until the provider deletes them (Tokens.DeleteBySession).
func (s *Sessions) Delete(ctx context.Context, id string) error {
	n, err := s.s.exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return s.s.wrap("sessions: delete", affected(n, err))
}

// AddClient records that clientID obtained tokens through the session, so
// a logout can notify it. It is idempotent. An unknown session or client
// returns an error wrapping idp.ErrNotFound.
func (s *Sessions) AddClient(ctx context.Context, sessionID, clientID string) error {
	_, err := s.s.exec(ctx, `INSERT INTO session_clients (session_id, client_id) VALUES ($1, $2)
		ON CONFLICT (session_id, client_id) DO NOTHING`, sessionID, clientID)
	return s.s.wrap("sessions: add client", err)
}

// Clients returns the IDs of the clients recorded for the session, sorted
// byte by byte; nil for an unknown session.
func (s *Sessions) Clients(ctx context.Context, sessionID string) ([]string, error) {
	list, err := collect(ctx, s.s.q(ctx), scanString, `SELECT client_id FROM session_clients
		WHERE session_id = $1 ORDER BY client_id`+s.s.dialect.bytewise, sessionID)
	return list, s.s.wrap("sessions: clients", err)
}

// Ended returns up to limit sessions that have ended by now: past their
// ExpiresAt, or last seen at or before idleSince. The provider ends these
// one by one (revoking their tokens, telling their clients) rather than
// deleting them blind. Oldest expiry first.
func (s *Sessions) Ended(ctx context.Context, now, idleSince time.Time, limit int) ([]idp.Session, error) {
	list, err := collect(ctx, s.s.q(ctx), scanSession, `SELECT `+sessionColumns+` FROM sessions
		WHERE expires_at <= $1 OR last_seen_at <= $2 ORDER BY expires_at, id`+s.s.dialect.bytewise+` LIMIT $3`,
		utc(now), utc(idleSince), limit)
	return list, s.s.wrap("sessions: ended", err)
}

// DeleteExpired removes the sessions whose ExpiresAt is at or before now,
// and reports how many.
func (s *Sessions) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	n, err := s.s.exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now)
	return n, s.s.wrap("sessions: delete expired", err)
}

func scanString(r row) (string, error) {
	var v string
	err := r.Scan(&v)
	return v, err
}
