package conformance

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

func testMembers(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	m := idp.Member{Email: "Ada@Example.com", Username: "ada", Name: "Ada", PasswordHash: "$h", Role: idp.RoleAdmin}
	must(t, s.Members.Create(ctx, &m))
	if m.ID == "" || m.CreatedAt.Before(before) || !m.UpdatedAt.Equal(m.CreatedAt) {
		t.Fatalf("Create did not fill ID and times: %+v", m)
	}

	for name, get := range map[string]func() (idp.Member, error){
		"ByID":           func() (idp.Member, error) { return s.Members.ByID(ctx, m.ID) },
		"ByEmail":        func() (idp.Member, error) { return s.Members.ByEmail(ctx, "Ada@Example.com") },
		"ByEmail folded": func() (idp.Member, error) { return s.Members.ByEmail(ctx, "aDA@eXAMPLE.COM") },
		"ByUsername":     func() (idp.Member, error) { return s.Members.ByUsername(ctx, "ada") },
	} {
		got, err := get()
		must(t, err)
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%s = %+v, want %+v", name, got, m)
		}
	}
	_, err := s.Members.ByID(ctx, "nobody")
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.Members.ByEmail(ctx, "bob@example.com")
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.Members.ByUsername(ctx, "ADA") // usernames are exact
	wantErr(t, err, idp.ErrNotFound)

	mustMember(t, s, "carol@example.com")
	mustMember(t, s, "bob@example.com")
	list, err := s.Members.List(ctx)
	must(t, err)
	var emails []string
	for _, m := range list {
		emails = append(emails, m.Email)
	}
	if want := []string{"Ada@Example.com", "bob@example.com", "carol@example.com"}; !reflect.DeepEqual(emails, want) {
		t.Errorf("List emails = %q, want %q", emails, want)
	}

	upd := m
	upd.Email, upd.Username, upd.Name, upd.PasswordHash, upd.Role = "ada@new.example", "lovelace", "A. L.", "$h2", idp.RoleMember
	upd.Disabled = true
	upd.CreatedAt = base // not mutable: ignored
	must(t, s.Members.Update(ctx, upd))
	got, err := s.Members.ByID(ctx, m.ID)
	must(t, err)
	if got.Email != upd.Email || got.Username != upd.Username || got.Name != upd.Name ||
		got.PasswordHash != upd.PasswordHash || got.Role != upd.Role || !got.Disabled {
		t.Errorf("after Update = %+v, want fields of %+v", got, upd)
	}
	if !got.CreatedAt.Equal(m.CreatedAt) || got.UpdatedAt.Before(m.UpdatedAt) {
		t.Errorf("Update times: created %v (want %v), updated %v (want ≥ %v)",
			got.CreatedAt, m.CreatedAt, got.UpdatedAt, m.UpdatedAt)
	}
	wantErr(t, s.Members.Update(ctx, idp.Member{ID: "nobody", Email: "x@example.com"}), idp.ErrNotFound)

	must(t, s.Members.Delete(ctx, m.ID))
	_, err = s.Members.ByID(ctx, m.ID)
	wantErr(t, err, idp.ErrNotFound)
	wantErr(t, s.Members.Delete(ctx, m.ID), idp.ErrNotFound)
}

func testMemberUniqueness(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	a := idp.Member{ID: "a", Email: "a@example.com", Username: "a", Role: idp.RoleMember}
	must(t, s.Members.Create(ctx, &a))
	if a.ID != "a" {
		t.Fatalf("Create replaced the given ID with %q", a.ID)
	}
	dupes := map[string]idp.Member{
		"id":         {ID: "a", Email: "other@example.com", Role: idp.RoleMember},
		"email case": {Email: "A@EXAMPLE.COM", Username: "b", Role: idp.RoleMember},
		"username":   {Email: "b@example.com", Username: "a", Role: idp.RoleMember},
	}
	for name, m := range dupes {
		if err := s.Members.Create(ctx, &m); !errors.Is(err, idp.ErrConflict) {
			t.Errorf("duplicate %s: error = %v, want one wrapping ErrConflict", name, err)
		}
	}
	// Members without a username do not collide, and are not found by "".
	for _, email := range []string{"c@example.com", "d@example.com"} {
		mustMember(t, s, email)
	}
	_, err := s.Members.ByUsername(ctx, "")
	wantErr(t, err, idp.ErrNotFound)

	b := mustMember(t, s, "b@example.com")
	b.Email = "a@Example.com"
	wantErr(t, s.Members.Update(ctx, b), idp.ErrConflict)
	b.Email, b.Username = "b@example.com", "a"
	wantErr(t, s.Members.Update(ctx, b), idp.ErrConflict)
}

func testMemberDeleteCascades(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := mustMember(t, s, "gone@example.com")
	keep := mustMember(t, s, "kept@example.com")
	c := mustClient(t, s, "app")
	ss := mustSession(t, s, m.ID, base)
	kept := mustSession(t, s, keep.ID, base)
	must(t, s.Sessions.AddClient(ctx, ss.ID, c.ID))
	must(t, s.Consents.Grant(ctx, idp.Consent{MemberID: m.ID, ClientID: c.ID, Scopes: []string{"openid"}}))
	must(t, s.Consents.Grant(ctx, idp.Consent{MemberID: keep.ID, ClientID: c.ID, Scopes: []string{"openid"}}))

	must(t, s.Members.Delete(ctx, m.ID))
	_, err := s.Sessions.ByID(ctx, ss.ID)
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.Consents.Get(ctx, m.ID, c.ID)
	wantErr(t, err, idp.ErrNotFound)
	if ids, err := s.Sessions.Clients(ctx, ss.ID); err != nil || len(ids) != 0 {
		t.Errorf("Clients of a deleted session = %q, %v; want none", ids, err)
	}
	if _, err := s.Sessions.ByID(ctx, kept.ID); err != nil {
		t.Errorf("another member's session: %v", err)
	}
	if _, err := s.Consents.Get(ctx, keep.ID, c.ID); err != nil {
		t.Errorf("another member's consent: %v", err)
	}
}
