package storage

import (
	"context"

	"github.com/idp/idp"
)

// Consents stores the scopes members allowed clients, one row per pair.
type Consents struct{ s *Store }

// Get returns the consent, or an error wrapping idp.ErrNotFound.
func (c *Consents) Get(ctx context.Context, memberID, clientID string) (idp.Consent, error) {
	return idp.Consent{}, errUnimplemented
}

// Grant stores con, replacing the scopes and GrantedAt of an existing one.
func (c *Consents) Grant(ctx context.Context, con idp.Consent) error { return errUnimplemented }

// Revoke removes the consent.
func (c *Consents) Revoke(ctx context.Context, memberID, clientID string) error {
	return errUnimplemented
}

// ByMember returns the member's consents.
func (c *Consents) ByMember(ctx context.Context, memberID string) ([]idp.Consent, error) {
	return nil, errUnimplemented
}
