package members

import (
	"context"
	"errors"
	"fmt"

	"github.com/idp/idp"
)

// Update replaces the profile of the member m.ID (email, username, name,
// role) with m's, keeping their password: a profile change is not a
// credential change, so it ends no session. m is checked with Check first,
// every problem reported at once and wrapping idp.ErrInvalid; a member that
// does not exist is an error wrapping idp.ErrNotFound, a taken email or
// username one wrapping idp.ErrConflict. It runs in one transaction,
// joining the one ctx carries.
func (s Service) Update(ctx context.Context, m idp.Member) error {
	Normalize(&m)
	if errs := Check(m, Field); len(errs) > 0 {
		return fmt.Errorf("update member: %w: %w", idp.ErrInvalid, errors.Join(errs...))
	}
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		old, err := s.Store.Members.ByID(ctx, m.ID)
		if err != nil {
			return err
		}
		m.PasswordHash = old.PasswordHash
		return s.Store.Members.Update(ctx, m)
	})
	if err != nil {
		return fmt.Errorf("update member: %w", err)
	}
	return nil
}
