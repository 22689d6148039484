package conformance

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

func testSessions(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := mustMember(t, s, "s@example.com")
	other := mustMember(t, s, "o@example.com")
	first := mustSession(t, s, m.ID, base)
	if first.ID == "" || first.LastSeenAt != first.CreatedAt || first.CreatedAt != norm(base) {
		t.Fatalf("Create did not fill ID and LastSeenAt or normalise times: %+v", first)
	}
	second := mustSession(t, s, m.ID, base.Add(time.Minute))
	mustSession(t, s, other.ID, base.Add(2*time.Minute))

	got, err := s.Sessions.ByID(ctx, first.ID)
	must(t, err)
	if !reflect.DeepEqual(got, first) {
		t.Errorf("ByID =\n%+v\nwant\n%+v", got, first)
	}
	got, err = s.Sessions.ByTokenHash(ctx, second.TokenHash)
	must(t, err)
	if !reflect.DeepEqual(got, second) {
		t.Errorf("ByTokenHash =\n%+v\nwant\n%+v", got, second)
	}
	_, err = s.Sessions.ByID(ctx, "missing")
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.Sessions.ByTokenHash(ctx, "missing")
	wantErr(t, err, idp.ErrNotFound)

	list, err := s.Sessions.ByMember(ctx, m.ID)
	must(t, err)
	if want := []idp.Session{second, first}; !reflect.DeepEqual(list, want) {
		t.Errorf("ByMember =\n%+v\nwant newest first\n%+v", list, want)
	}

	seen := base.Add(time.Hour + time.Nanosecond)
	must(t, s.Sessions.Touch(ctx, first.ID, seen))
	got, err = s.Sessions.ByID(ctx, first.ID)
	must(t, err)
	if got.LastSeenAt != norm(seen) {
		t.Errorf("LastSeenAt after Touch = %v, want %v", got.LastSeenAt, norm(seen))
	}
	wantErr(t, s.Sessions.Touch(ctx, "missing", seen), idp.ErrNotFound)

	dup := idp.Session{TokenHash: first.TokenHash, MemberID: m.ID}
	wantErr(t, s.Sessions.Create(ctx, &dup), idp.ErrConflict)
	orphan := idp.Session{TokenHash: "orphan", MemberID: "no-such-member"}
	wantErr(t, s.Sessions.Create(ctx, &orphan), idp.ErrNotFound)

	must(t, s.Sessions.Delete(ctx, first.ID))
	wantErr(t, s.Sessions.Delete(ctx, first.ID), idp.ErrNotFound)
	_, err = s.Sessions.ByID(ctx, first.ID)
	wantErr(t, err, idp.ErrNotFound)
}

func testSessionClients(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := mustMember(t, s, "sc@example.com")
	ss := mustSession(t, s, m.ID, base)
	for _, id := range []string{"b", "a", "C"} {
		mustClient(t, s, id)
	}
	for _, id := range []string{"b", "a", "b", "C", "a"} { // repeats are no-ops
		must(t, s.Sessions.AddClient(ctx, ss.ID, id))
	}
	ids, err := s.Sessions.Clients(ctx, ss.ID)
	must(t, err)
	if want := []string{"C", "a", "b"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Clients = %q, want %q", ids, want)
	}
	wantErr(t, s.Sessions.AddClient(ctx, "missing", "a"), idp.ErrNotFound)
	wantErr(t, s.Sessions.AddClient(ctx, ss.ID, "missing"), idp.ErrNotFound)
	ids, err = s.Sessions.Clients(ctx, "missing")
	if err != nil || ids != nil {
		t.Errorf("Clients(missing) = %q, %v; want nil, nil", ids, err)
	}
	must(t, s.Sessions.Delete(ctx, ss.ID))
	ids, err = s.Sessions.Clients(ctx, ss.ID)
	if err != nil || ids != nil {
		t.Errorf("Clients after Delete = %q, %v; want nil, nil", ids, err)
	}
}

func testSessionsDeleteExpired(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := mustMember(t, s, "exp@example.com")
	var sessions []idp.Session
	for i := range 4 { // expire at base+24h, +1m, +2m, +3m
		sessions = append(sessions, mustSession(t, s, m.ID, base.Add(time.Duration(i)*time.Minute)))
	}
	now := sessions[1].ExpiresAt // the one expiring exactly now goes too
	n, err := s.Sessions.DeleteExpired(ctx, now)
	must(t, err)
	if n != 2 {
		t.Errorf("DeleteExpired removed %d, want 2", n)
	}
	for i, ss := range sessions {
		_, err := s.Sessions.ByID(ctx, ss.ID)
		if i < 2 {
			wantErr(t, err, idp.ErrNotFound)
		} else if err != nil {
			t.Errorf("session %d: %v", i, err)
		}
	}
}
