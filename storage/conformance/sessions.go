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

func testSessionsEnded(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := mustMember(t, s, "ended@example.com")
	var sessions []idp.Session
	for i := range 4 { // created (and last seen) at base, +1h, +2h, +3h; each expires 24h after
		sessions = append(sessions, mustSession(t, s, m.ID, base.Add(time.Duration(i)*time.Hour)))
	}
	must(t, s.Sessions.Touch(ctx, sessions[0].ID, base.Add(5*time.Hour)))

	// Idle since base+1h: sessions 1 (last seen exactly then) and... not 0
	// (touched later); none has expired yet.
	got, err := s.Sessions.Ended(ctx, base.Add(4*time.Hour), base.Add(time.Hour), 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != sessions[1].ID {
		t.Errorf("Ended by idleness = %v, want session 1", ids(got))
	}
	// At base+25h sessions 0 and 1 have expired; 2 is idle.
	got, err = s.Sessions.Ended(ctx, base.Add(25*time.Hour), base.Add(2*time.Hour), 10)
	must(t, err)
	if want := []string{sessions[0].ID, sessions[1].ID, sessions[2].ID}; !equalSets(ids(got), want) {
		t.Errorf("Ended = %v, want %v", ids(got), want)
	}
	got, err = s.Sessions.Ended(ctx, base.Add(48*time.Hour), base, 2)
	must(t, err)
	if len(got) != 2 || got[0].ID != sessions[0].ID {
		t.Errorf("Ended with limit 2 = %v, want the two oldest expiries", ids(got))
	}
}

func ids(list []idp.Session) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.ID)
	}
	return out
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
