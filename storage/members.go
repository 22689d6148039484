package storage

import (
	"context"

	"github.com/idp/idp"
)

// Members stores the people who sign in.
type Members struct{ s *Store }

// Create inserts m, filling ID (a random UUID when empty), CreatedAt and
// UpdatedAt. The email is unique case-insensitively and the username is
// unique: a duplicate returns an error wrapping idp.ErrConflict.
func (m *Members) Create(ctx context.Context, mem *idp.Member) error { return errUnimplemented }

// ByID returns the member with the given ID, or an error wrapping
// idp.ErrNotFound.
func (m *Members) ByID(ctx context.Context, id string) (idp.Member, error) {
	return idp.Member{}, errUnimplemented
}

// ByEmail returns the member whose email matches, ignoring case, or an
// error wrapping idp.ErrNotFound.
func (m *Members) ByEmail(ctx context.Context, email string) (idp.Member, error) {
	return idp.Member{}, errUnimplemented
}

// ByUsername returns the member with the given username, or an error
// wrapping idp.ErrNotFound.
func (m *Members) ByUsername(ctx context.Context, username string) (idp.Member, error) {
	return idp.Member{}, errUnimplemented
}

// List returns every member ordered by email.
func (m *Members) List(ctx context.Context) ([]idp.Member, error) { return nil, errUnimplemented }

// Update replaces the mutable fields of the member with mem.ID and sets
// UpdatedAt.
func (m *Members) Update(ctx context.Context, mem idp.Member) error { return errUnimplemented }

// Delete removes the member with its sessions and consents.
func (m *Members) Delete(ctx context.Context, id string) error { return errUnimplemented }
