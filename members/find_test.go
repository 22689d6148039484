package members_test

import (
	"context"
	"errors"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

func TestFind(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		alice := idp.Member{Email: "Alice@Example.com", Username: "alice", Role: idp.RoleMember}
		if err := s.Members.Create(ctx, &alice); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{alice.ID, "alice@example.COM", "alice"} {
			m, err := members.Find(ctx, s, key)
			if err != nil || m.ID != alice.ID {
				t.Errorf("Find(%q) = %+v, %v; want alice", key, m, err)
			}
		}
		for _, key := range []string{"bob", "bob@example.com", "00000000-0000-0000-0000-000000000000", "Alice"} {
			if _, err := members.Find(ctx, s, key); !errors.Is(err, idp.ErrNotFound) {
				t.Errorf("Find(%q): %v; want ErrNotFound", key, err)
			}
		}
		if _, err := members.Find(ctx, s, ""); !errors.Is(err, idp.ErrInvalid) {
			t.Errorf("Find(\"\"): %v; want ErrInvalid", err)
		}
	})
}

// TestSecurityFindRefusesAUsernameShapedLikeAnID: a member may pick a
// username equal to another member's ID; the key then names two members,
// and an administrator acting on it must not reach either by accident.
func TestSecurityFindRefusesAUsernameShapedLikeAnID(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		victim := idp.Member{Email: "victim@example.com", Username: "victim", Role: idp.RoleAdmin}
		if err := s.Members.Create(ctx, &victim); err != nil {
			t.Fatal(err)
		}
		mallory := idp.Member{Email: "mallory@example.com", Username: victim.ID, Role: idp.RoleMember}
		if err := s.Members.Create(ctx, &mallory); err != nil {
			t.Fatal(err)
		}
		m, err := members.Find(ctx, s, victim.ID)
		if !errors.Is(err, members.ErrAmbiguous) || !errors.Is(err, idp.ErrConflict) || m.ID != "" {
			t.Fatalf("Find(victim's ID) = %+v, %v; want ErrAmbiguous", m, err)
		}
		if m, err := members.Find(ctx, s, "mallory@example.com"); err != nil || m.ID != mallory.ID {
			t.Fatalf("Find by email = %+v, %v", m, err)
		}
	})
}
