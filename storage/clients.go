package storage

import (
	"context"

	"github.com/idp/idp"
)

// Clients stores registered applications.
type Clients struct{ s *Store }

// Create inserts c, filling CreatedAt and UpdatedAt; an existing ID returns
// an error wrapping idp.ErrConflict.
func (c *Clients) Create(ctx context.Context, cl *idp.Client) error { return errUnimplemented }

// ByID returns the client, or an error wrapping idp.ErrNotFound.
func (c *Clients) ByID(ctx context.Context, id string) (idp.Client, error) {
	return idp.Client{}, errUnimplemented
}

// List returns every client ordered by ID.
func (c *Clients) List(ctx context.Context) ([]idp.Client, error) { return nil, errUnimplemented }

// Update replaces every field of the client with cl.ID but CreatedAt, and
// sets UpdatedAt.
func (c *Clients) Update(ctx context.Context, cl idp.Client) error { return errUnimplemented }

// Delete removes the client with its consents and tokens.
func (c *Clients) Delete(ctx context.Context, id string) error { return errUnimplemented }
