package storage

import (
	"context"
	"time"

	"github.com/idp/idp"
)

// Flows stores authorization requests waiting for a login or consent.
type Flows struct{ s *Store }

// Create inserts f, filling ID when empty.
func (f *Flows) Create(ctx context.Context, fl *idp.Flow) error { return errUnimplemented }

// ByID returns the flow even when expired, or an error wrapping
// idp.ErrNotFound.
func (f *Flows) ByID(ctx context.Context, id string) (idp.Flow, error) {
	return idp.Flow{}, errUnimplemented
}

// Update stores MemberID, SessionID, AuthTime and CSRFHash of fl.
func (f *Flows) Update(ctx context.Context, fl idp.Flow) error { return errUnimplemented }

// Delete removes the flow.
func (f *Flows) Delete(ctx context.Context, id string) error { return errUnimplemented }

// DeleteExpired removes flows whose ExpiresAt is not after now.
func (f *Flows) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	return 0, errUnimplemented
}
