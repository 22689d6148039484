package storage

import (
	"context"
	"time"

	"github.com/idp/idp"
)

// Sessions stores members' browser sessions at the provider.
type Sessions struct{ s *Store }

// Create inserts sess, filling ID when empty.
func (s *Sessions) Create(ctx context.Context, sess *idp.Session) error { return errUnimplemented }

// ByID returns the session, or an error wrapping idp.ErrNotFound.
func (s *Sessions) ByID(ctx context.Context, id string) (idp.Session, error) {
	return idp.Session{}, errUnimplemented
}

// ByTokenHash returns the session whose cookie token hashes to hash.
func (s *Sessions) ByTokenHash(ctx context.Context, hash string) (idp.Session, error) {
	return idp.Session{}, errUnimplemented
}

// ByMember returns the member's sessions, newest first.
func (s *Sessions) ByMember(ctx context.Context, memberID string) ([]idp.Session, error) {
	return nil, errUnimplemented
}

// Touch sets LastSeenAt.
func (s *Sessions) Touch(ctx context.Context, id string, at time.Time) error { return errUnimplemented }

// Delete removes the session.
func (s *Sessions) Delete(ctx context.Context, id string) error { return errUnimplemented }

// AddClient records that clientID obtained tokens through the session.
func (s *Sessions) AddClient(ctx context.Context, sessionID, clientID string) error {
	return errUnimplemented
}

// Clients returns the IDs of the clients recorded for the session, sorted.
func (s *Sessions) Clients(ctx context.Context, sessionID string) ([]string, error) {
	return nil, errUnimplemented
}

// DeleteExpired removes sessions whose ExpiresAt is not after now.
func (s *Sessions) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	return 0, errUnimplemented
}
