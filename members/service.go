package members

import (
	"context"
	"errors"
	"fmt"

	"github.com/idp/idp"
	"github.com/idp/idp/password"
	"github.com/idp/idp/storage"
)

// EndSessionsFunc ends every session of a member, queuing their
// back-channel logouts, and revokes their refresh tokens, in the
// transaction ctx carries; it returns how many sessions it ended.
type EndSessionsFunc func(ctx context.Context, memberID string) (int, error)

// Service changes members in the store. EndSessions is how sessions end;
// it is a dependency rather than a call into the provider so this package
// stays below the HTTP layer.
type Service struct {
	Store       *storage.Store
	EndSessions EndSessionsFunc
}

// Create hashes pw and stores m as a new member, setting m.ID. The caller
// validates m and pw first (Check, CheckPassword). An empty pw stores no
// password: the member cannot sign in until they set one through an
// invitation (Mail.Invite) or reset link. A taken email or username is an
// error wrapping idp.ErrConflict.
func (s Service) Create(ctx context.Context, m *idp.Member, pw string) error {
	m.PasswordHash = ""
	if pw != "" {
		h, err := password.Hash(pw)
		if err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
		m.PasswordHash = h
	}
	if err := s.Store.Members.Create(ctx, m); err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	return nil
}

// Upsert makes the store hold m, matched by email, with password pw (and
// m.EmailVerified, which it sets but never clears): it
// creates the member, updates one that differs, or leaves an equal one
// alone. A stored hash that still verifies against pw is kept, so applying
// the same input twice writes nothing the second time. It runs in one
// transaction, joining the one ctx carries.
func (s Service) Upsert(ctx context.Context, m idp.Member, pw string) (idp.Change, error) {
	change := idp.Unchanged
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		old, err := s.Store.Members.ByEmail(ctx, m.Email)
		if err != nil && !errors.Is(err, idp.ErrNotFound) {
			return err
		}
		exists := err == nil
		// The bootstrap file and the CLI have no "disabled": applying
		// them again must not enable a member an administrator disabled.
		m.Disabled = old.Disabled
		// Nor withdraw a verification the member made by mail: they may
		// vouch for an address, never take one back.
		m.EmailVerified = m.EmailVerified || old.EmailVerified
		// Nor may a file without profile fields erase the profile a
		// member or administrator has since written.
		if exists && m.Profile == (idp.Profile{}) {
			m.Profile = old.Profile
		}
		if m.PasswordHash, err = keepOrHash(old.PasswordHash, pw); err != nil {
			return err
		}
		switch {
		case !exists:
			change = idp.Created
			return s.Store.Members.Create(ctx, &m)
		case sameMember(old, m):
			return nil
		}
		m.ID = old.ID
		change = idp.Updated
		return s.Store.Members.Update(ctx, m)
	})
	return change, err
}

func sameMember(a, b idp.Member) bool {
	return a.Email == b.Email && a.Username == b.Username && a.Name == b.Name &&
		a.Role == b.Role && a.PasswordHash == b.PasswordHash && a.EmailVerified == b.EmailVerified &&
		a.MFARequired == b.MFARequired && SameProfile(a.Profile, b.Profile)
}

// SameProfile reports whether two profiles hold the same claims (Address
// is compared by value).
func SameProfile(a, b idp.Profile) bool {
	var x, y idp.Address
	if a.Address != nil {
		x = *a.Address
	}
	if b.Address != nil {
		y = *b.Address
	}
	a.Address, b.Address = nil, nil
	return a == b && x == y
}

// keepOrHash returns the stored hash when it still verifies against pw, so
// unchanged input changes nothing, or a new hash of pw.
func keepOrHash(stored, pw string) (string, error) {
	if stored != "" {
		if ok, err := password.Verify(stored, pw); err == nil && ok {
			return stored, nil
		}
	}
	return password.Hash(pw)
}

// SetPassword replaces m's password with pw. Whoever knew the old one may
// hold a session or a refresh token obtained with it, so unless
// keepSessions is set it also ends every session of m and revokes their
// refresh tokens, in the transaction that stores the new hash; it returns
// how many sessions ended.
func (s Service) SetPassword(ctx context.Context, m idp.Member, pw string, keepSessions bool) (int, error) {
	h, err := password.Hash(pw)
	if err != nil {
		return 0, fmt.Errorf("hash password: %w", err)
	}
	m.PasswordHash = h
	var ended int
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.Store.Members.Update(ctx, m); err != nil {
			return err
		}
		if keepSessions {
			return nil
		}
		ended, err = s.EndSessions(ctx, m.ID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("set password: %w", err)
	}
	return ended, nil
}

// ChangePassword is SetPassword for a member changing their own password,
// who chooses which of their sessions end: hash (of a new password
// CheckPassword accepted, derived by the caller in its KDF slots)
// replaces member id's, the member locked meanwhile, and then (when not
// nil) runs in the same transaction, joining the one ctx carries, to end
// sessions and record the change. A member that does not exist is an
// error wrapping idp.ErrNotFound.
func (s Service) ChangePassword(ctx context.Context, id, hash string, then func(ctx context.Context, m idp.Member) error) error {
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		m, err := s.Store.Members.Lock(ctx, id)
		if err != nil {
			return err
		}
		m.PasswordHash = hash
		if err := s.Store.Members.Update(ctx, m); err != nil {
			return err
		}
		if then == nil {
			return nil
		}
		return then(ctx, m)
	})
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	return nil
}

// Remove deletes member id with their sessions and consents. Ending the
// sessions first, in the same transaction, queues their back-channel
// logouts, which deleting the member's rows alone would not.
func (s Service) Remove(ctx context.Context, id string) error {
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.EndSessions(ctx, id); err != nil {
			return err
		}
		return s.Store.Members.Delete(ctx, id)
	})
	if err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	return nil
}

// ResetMFA removes every second factor of the member (TOTP secret,
// recovery codes, passkeys), for a member who lost them, and reports whether they
// had any. A member with mfa_required, or of a role that requires a
// second factor, enrols again at their next sign-in. The caller records
// the audit event in the same transaction (ctx).
func (s Service) ResetMFA(ctx context.Context, memberID string) (bool, error) {
	if _, err := s.Store.Members.ByID(ctx, memberID); err != nil {
		return false, err
	}
	had, err := s.Store.Factors.DeleteAll(ctx, memberID)
	if err != nil {
		return false, fmt.Errorf("reset second factors: %w", err)
	}
	// Passkeys are second factors too: a lost device goes with them.
	pks, err := s.Store.Passkeys.ByMember(ctx, memberID)
	if err != nil {
		return false, fmt.Errorf("reset second factors: %w", err)
	}
	for _, pk := range pks {
		if err := s.Store.Passkeys.Remove(ctx, memberID, pk.ID); err != nil {
			return false, fmt.Errorf("reset second factors: %w", err)
		}
	}
	return had || len(pks) > 0, nil
}
