package members_test

import (
	"context"
	"errors"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/password"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// recorder is an EndSessions that records whom it was asked about and
// fails when told to; a failure must undo the change it came with.
type recorder struct {
	ended []string
	fail  error
}

func (r *recorder) end(_ context.Context, memberID string) (int, error) {
	r.ended = append(r.ended, memberID)
	return 1, r.fail
}

func newService(s *storage.Store) (members.Service, *recorder) {
	r := &recorder{}
	return members.Service{Store: s, EndSessions: r.end}, r
}

func verifies(t *testing.T, s *storage.Store, email, pw string) bool {
	t.Helper()
	m, err := s.Members.ByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := password.Verify(m.PasswordHash, pw)
	return err == nil && ok
}

func TestUpsert(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		svc, _ := newService(s)
		m := idp.Member{Email: "m@example.com", Username: "m", Role: idp.RoleMember}
		for i, want := range []idp.Change{idp.Created, idp.Unchanged} {
			if got, err := svc.Upsert(ctx, m, "first-password"); err != nil || got != want {
				t.Fatalf("Upsert #%d = %v, %v; want %v", i+1, got, err, want)
			}
		}
		first, _ := s.Members.ByEmail(ctx, m.Email)
		m.Username = "m2"
		if got, err := svc.Upsert(ctx, m, "second-password"); err != nil || got != idp.Updated {
			t.Fatalf("Upsert of a changed member = %v, %v; want Updated", got, err)
		}
		after, _ := s.Members.ByEmail(ctx, m.Email)
		if after.ID != first.ID || after.Username != "m2" || !verifies(t, s, m.Email, "second-password") {
			t.Fatalf("after update: %+v; want the same member with the new username and password", after)
		}
	})
}

func TestSetPasswordEndsSessionsInItsTransaction(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		svc, rec := newService(s)
		m := idp.Member{Email: "m@example.com", Username: "m", Role: idp.RoleMember}
		if err := svc.Create(ctx, &m, "old-password"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetPassword(ctx, m, "kept-password", true); err != nil || len(rec.ended) != 0 {
			t.Fatalf("SetPassword keeping sessions: %v, ended %v; want no sessions ended", err, rec.ended)
		}
		if n, err := svc.SetPassword(ctx, m, "new-password", false); err != nil || n != 1 || len(rec.ended) != 1 || rec.ended[0] != m.ID {
			t.Fatalf("SetPassword = %d, %v, ended %v; want the member's sessions ended", n, err, rec.ended)
		}
		rec.fail = errors.New("outbox down")
		if _, err := svc.SetPassword(ctx, m, "lost-password", false); !errors.Is(err, rec.fail) {
			t.Fatalf("SetPassword with failing EndSessions = %v; want its error", err)
		}
		if !verifies(t, s, m.Email, "new-password") {
			t.Fatal("a password change whose sessions could not end was stored")
		}
	})
}

func TestRemoveEndsSessionsFirst(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		svc, rec := newService(s)
		m := idp.Member{Email: "m@example.com", Username: "m", Role: idp.RoleMember}
		if err := svc.Create(ctx, &m, "a-password"); err != nil {
			t.Fatal(err)
		}
		rec.fail = errors.New("outbox down")
		if err := svc.Remove(ctx, m.ID); !errors.Is(err, rec.fail) {
			t.Fatalf("Remove with failing EndSessions = %v; want its error", err)
		}
		if _, err := s.Members.ByID(ctx, m.ID); err != nil {
			t.Fatalf("the member went although their sessions could not end: %v", err)
		}
		rec.fail = nil
		if err := svc.Remove(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Members.ByID(ctx, m.ID); !errors.Is(err, idp.ErrNotFound) {
			t.Fatalf("after Remove: %v; want not found", err)
		}
	})
}

func TestUpdateDisablingEndsSessions(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		svc, rec := newService(s)
		m := idp.Member{Email: "m@example.com", Username: "m", Role: idp.RoleMember}
		if err := svc.Create(ctx, &m, "a-password"); err != nil {
			t.Fatal(err)
		}
		renamed := m
		renamed.Name, renamed.PasswordHash = "M", "stolen"
		if err := svc.Update(ctx, renamed); err != nil || len(rec.ended) != 0 {
			t.Fatalf("rename: %v, ended %v; want no session ended", err, rec.ended)
		}
		if got, _ := s.Members.ByID(ctx, m.ID); got.Name != "M" || got.PasswordHash != m.PasswordHash {
			t.Fatalf("after rename: %+v; want the name changed and the hash kept", got)
		}
		bad := m
		bad.Email = "not an address"
		var fe *members.FieldError
		if err := svc.Update(ctx, bad); !errors.As(err, &fe) || fe.Field != "email" || !errors.Is(err, idp.ErrInvalid) {
			t.Fatalf("invalid email: %v; want a field error on email", err)
		}
		disabled := m
		disabled.Disabled = true
		rec.fail = errors.New("outbox down")
		if err := svc.Update(ctx, disabled); !errors.Is(err, rec.fail) {
			t.Fatalf("disable with failing EndSessions = %v; want its error", err)
		}
		if got, _ := s.Members.ByID(ctx, m.ID); got.Disabled {
			t.Fatal("a member was disabled although their sessions could not end")
		}
		rec.fail, rec.ended = nil, nil
		if err := svc.Update(ctx, disabled); err != nil || len(rec.ended) != 1 || rec.ended[0] != m.ID {
			t.Fatalf("disable: %v, ended %v; want the member's sessions ended", err, rec.ended)
		}
		got, _ := s.Members.ByID(ctx, m.ID)
		if err := members.CanSignIn(got); !errors.Is(err, members.ErrDisabled) {
			t.Fatalf("CanSignIn(disabled) = %v", err)
		}
		if err := svc.Update(ctx, disabled); err != nil || len(rec.ended) != 1 {
			t.Fatalf("updating a member already disabled: %v, ended %v; want nothing more ended", err, rec.ended)
		}
		if _, err := svc.Upsert(ctx, idp.Member{Email: m.Email, Username: "renamed", Role: idp.RoleMember}, "a-password"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Members.ByID(ctx, m.ID); !got.Disabled {
			t.Fatal("Upsert (bootstrap, CLI) enabled a disabled member")
		}
	})
}

// TestChangePasswordRunsThenInItsTransaction: the new hash is stored with
// what then does, or not at all when then fails; an unknown member is
// ErrNotFound.
func TestChangePasswordRunsThenInItsTransaction(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		svc, rec := newService(s)
		m := idp.Member{Email: "m@example.com", Username: "m", Role: idp.RoleMember}
		if err := svc.Create(ctx, &m, "old-password"); err != nil {
			t.Fatal(err)
		}
		hash := func(pw string) string {
			h, err := password.Hash(pw)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		fail := errors.New("audit down")
		err := svc.ChangePassword(ctx, m.ID, hash("lost-password"), func(context.Context, idp.Member) error { return fail })
		if !errors.Is(err, fail) || !verifies(t, s, m.Email, "old-password") {
			t.Fatalf("ChangePassword with a failing then = %v; want its error and the old password kept", err)
		}
		var seen idp.Member
		err = svc.ChangePassword(ctx, m.ID, hash("new-password"), func(_ context.Context, got idp.Member) error { seen = got; return nil })
		if err != nil || seen.ID != m.ID || !verifies(t, s, m.Email, "new-password") || len(rec.ended) != 0 {
			t.Fatalf("ChangePassword = %v, then saw %q, ended %v; want the new password, no session ended by the service", err, seen.ID, rec.ended)
		}
		if err := svc.ChangePassword(ctx, "no-such-member", hash("x-password"), nil); !errors.Is(err, idp.ErrNotFound) {
			t.Fatalf("ChangePassword of an unknown member = %v; want ErrNotFound", err)
		}
	})
}

// TestUpsertProfile: the bootstrap file's profile fields are applied and
// idempotent (a profile with an address compares by value), and an entry
// without any keeps the profile written since by the member or an admin.
func TestUpsertProfile(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		svc, _ := newService(s)
		m := idp.Member{Email: "p@example.com", Username: "p", Role: idp.RoleMember, Profile: fullProfile()}
		for i, want := range []idp.Change{idp.Created, idp.Unchanged} {
			if got, err := svc.Upsert(ctx, m, "first-password"); err != nil || got != want {
				t.Fatalf("Upsert #%d = %v, %v; want %v", i+1, got, err, want)
			}
		}
		m.Profile.Address.Locality = "Lyon"
		if got, err := svc.Upsert(ctx, m, "first-password"); err != nil || got != idp.Updated {
			t.Fatalf("Upsert of a changed address = %v, %v; want Updated", got, err)
		}
		m.Profile = idp.Profile{}
		if got, err := svc.Upsert(ctx, m, "first-password"); err != nil || got != idp.Unchanged {
			t.Fatalf("Upsert without profile fields = %v, %v; want Unchanged", got, err)
		}
		stored, _ := s.Members.ByEmail(ctx, m.Email)
		if stored.Profile.Address == nil || stored.Profile.Address.Locality != "Lyon" || stored.Profile.GivenName != "Alice" {
			t.Fatalf("stored profile %+v", stored.Profile)
		}
	})
}
