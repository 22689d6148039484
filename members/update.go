package members

import (
	"context"
	"fmt"
	"strings"

	"github.com/idp/idp"
)

// Update replaces the profile of the member m.ID (email, username, name,
// role, disabled, email verified) with m's, keeping their password: a
// profile change is not a credential change, so it ends no session. A new
// address is unverified unless the same change flips EmailVerified on: an
// address nobody has proved to read must not be published as verified
// because the old one was. Disabling is the
// exception: it ends every session of the member with back-channel logout
// and revokes their refresh tokens (EndSessions) in the same transaction,
// so the member is locked out the moment the change commits.
//
// m is checked with Validate first, every problem reported at once, each
// a *FieldError wrapping idp.ErrInvalid; a member that does not exist is
// an error wrapping idp.ErrNotFound, a taken email or username one
// wrapping idp.ErrConflict. It runs in one transaction, joining the one
// ctx carries.
func (s Service) Update(ctx context.Context, m idp.Member) error {
	Normalize(&m)
	if err := Validate(m); err != nil {
		return fmt.Errorf("update member: %w", err)
	}
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		old, err := s.Store.Members.ByID(ctx, m.ID)
		if err != nil {
			return err
		}
		m.PasswordHash = old.PasswordHash
		if !strings.EqualFold(m.Email, old.Email) && m.EmailVerified == old.EmailVerified {
			m.EmailVerified = false
		}
		if err := s.Store.Members.Update(ctx, m); err != nil {
			return err
		}
		if m.Disabled && !old.Disabled {
			_, err = s.EndSessions(ctx, m.ID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("update member: %w", err)
	}
	return nil
}
