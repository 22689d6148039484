package storage

import (
	"context"

	"github.com/idp/idp"
)

// Keys stores the signing keys shared by every replica.
type Keys struct{ s *Store }

// Insert adds k; an existing ID returns an error wrapping idp.ErrConflict.
func (k *Keys) Insert(ctx context.Context, key idp.SigningKey) error { return errUnimplemented }

// InsertFirst inserts key only if no key is stored yet and reports whether
// it did.
func (k *Keys) InsertFirst(ctx context.Context, key idp.SigningKey) (bool, error) {
	return false, errUnimplemented
}

// List returns every key, newest ActiveAt first.
func (k *Keys) List(ctx context.Context) ([]idp.SigningKey, error) { return nil, errUnimplemented }

// Delete removes the key with the given ID.
func (k *Keys) Delete(ctx context.Context, id string) error { return errUnimplemented }
