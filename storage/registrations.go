package storage

import (
	"context"
	"time"

	"github.com/idp/idp"
)

// Registrations stores what dynamic client registration needs (RFC 7591,
// RFC 7592): the operator's initial access tokens and the registration
// access token of each self-registered client, both by hash only. The
// store compares nothing secret itself: the initial access token is looked
// up by its hash, and the registration access token's hash is returned for
// the caller to compare in constant time.
type Registrations struct{ s *Store }

// CreateToken stores an initial access token. A hash already stored
// returns an error wrapping idp.ErrConflict.
func (r *Registrations) CreateToken(ctx context.Context, tok idp.InitialAccessToken) error {
	_, err := r.s.exec(ctx, `INSERT INTO registration_tokens (hash, created_at, expires_at) VALUES ($1, $2, $3)`,
		tok.Hash, tok.CreatedAt, tok.ExpiresAt)
	return r.s.wrap("registrations: create token", err)
}

// Token returns the initial access token with hash that has not expired
// at now, or an error wrapping idp.ErrNotFound.
func (r *Registrations) Token(ctx context.Context, hash string, now time.Time) (idp.InitialAccessToken, error) {
	var tok idp.InitialAccessToken
	err := r.s.q(ctx).queryRow(ctx, `SELECT hash, created_at, expires_at FROM registration_tokens
		WHERE hash = $1 AND expires_at > $2`, hash, now).Scan(&tok.Hash, &tok.CreatedAt, &tok.ExpiresAt)
	return tok, r.s.wrap("registrations: token", err)
}

// UseToken consumes the initial access token with hash if it has not
// expired at now, in one conditional DELETE, so of concurrent uses exactly
// one succeeds. The others, and an unknown or expired token, get an error
// wrapping idp.ErrNotFound.
func (r *Registrations) UseToken(ctx context.Context, hash string, now time.Time) error {
	n, err := r.s.exec(ctx, `DELETE FROM registration_tokens WHERE hash = $1 AND expires_at > $2`, hash, now)
	return r.s.wrap("registrations: use token", affected(n, err))
}

// DeleteExpiredTokens removes the initial access tokens that expired at or
// before now and reports how many.
func (r *Registrations) DeleteExpiredTokens(ctx context.Context, now time.Time) (int64, error) {
	n, err := r.s.exec(ctx, `DELETE FROM registration_tokens WHERE expires_at <= $1`, now)
	return n, r.s.wrap("registrations: delete expired tokens", err)
}

// Create records that reg.ClientID was registered dynamically, filling
// CreatedAt and UpdatedAt (normalised in place). An unknown client returns
// an error wrapping idp.ErrNotFound, a client already recorded one
// wrapping idp.ErrConflict.
func (r *Registrations) Create(ctx context.Context, reg *idp.ClientRegistration) error {
	reg.CreatedAt = r.s.clock()
	reg.UpdatedAt = reg.CreatedAt
	_, err := r.s.exec(ctx, `INSERT INTO client_registrations (client_id, access_token_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4)`, reg.ClientID, reg.AccessTokenHash, reg.CreatedAt, reg.UpdatedAt)
	return r.s.wrap("registrations: create", err)
}

// ByClient returns the registration of a dynamically registered client,
// or an error wrapping idp.ErrNotFound for any other client id.
func (r *Registrations) ByClient(ctx context.Context, clientID string) (idp.ClientRegistration, error) {
	var reg idp.ClientRegistration
	err := r.s.q(ctx).queryRow(ctx, `SELECT client_id, access_token_hash, created_at, updated_at
		FROM client_registrations WHERE client_id = $1`, clientID).
		Scan(&reg.ClientID, &reg.AccessTokenHash, &reg.CreatedAt, &reg.UpdatedAt)
	return reg, r.s.wrap("registrations: by client", err)
}

// ReplaceAccessToken sets the client's registration access token hash to
// next if it is still old, in one conditional UPDATE, so of two requests
// rotating the same token only one succeeds. The loser, and an unknown
// client, get an error wrapping idp.ErrNotFound.
func (r *Registrations) ReplaceAccessToken(ctx context.Context, clientID, old, next string) error {
	n, err := r.s.exec(ctx, `UPDATE client_registrations SET access_token_hash = $3, updated_at = $4
		WHERE client_id = $1 AND access_token_hash = $2`, clientID, old, next, r.s.clock())
	return r.s.wrap("registrations: replace access token", affected(n, err))
}
