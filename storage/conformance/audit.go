package conformance

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// testAudit: events come back as appended, newest first, filtered, and
// paged by a cursor that neither skips nor repeats events appended between
// pages.
func testAudit(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	e := idp.AuditEvent{
		Time: base, Type: idp.AuditLoginFailed, Actor: idp.ActorMember("m1"), MemberID: "m1", ClientID: "app",
		SessionID: "s1", Address: "192.0.2.1", Detail: map[string]any{"reason": "bad_credentials", "n": 2.0},
	}
	must(t, s.Audit.Append(ctx, &e))
	if e.ID == "" || e.Time != norm(base) {
		t.Fatalf("Append filled ID %q, Time %v; want an ID and %v", e.ID, e.Time, norm(base))
	}
	got, next, err := s.Audit.List(ctx, storage.AuditQuery{})
	must(t, err)
	if len(got) != 1 || next != "" || !reflect.DeepEqual(got[0], e) {
		t.Fatalf("List = %+v, %q; want [%+v] and no next page", got, next, e)
	}
	wantErr(t, s.Audit.Append(ctx, &idp.AuditEvent{ID: e.ID, Type: idp.AuditLogout}), idp.ErrConflict)
	wantErr(t, s.Audit.Append(ctx, &idp.AuditEvent{}), idp.ErrInvalid)

	none := idp.AuditEvent{Type: idp.AuditLogout}
	must(t, s.Audit.Append(ctx, &none))
	if none.Time.IsZero() || none.Time.Location() != time.UTC {
		t.Fatalf("Append without Time stored %v; want the store's clock in UTC", none.Time)
	}
	if got, _, _ := s.Audit.List(ctx, storage.AuditQuery{Type: idp.AuditLogout}); len(got) != 1 || got[0].Detail != nil {
		t.Fatalf("an event without detail = %+v; want one with a nil Detail", got)
	}

	// Filters.
	for i := range 6 {
		ev := idp.AuditEvent{Time: base.Add(time.Duration(i) * time.Minute), Type: idp.AuditTokenIssued,
			MemberID: fmt.Sprintf("m%d", i%2), ClientID: fmt.Sprintf("c%d", i%3)}
		must(t, s.Audit.Append(ctx, &ev))
	}
	count := func(q storage.AuditQuery) int {
		t.Helper()
		got, _, err := s.Audit.List(ctx, q)
		must(t, err)
		for _, ev := range got {
			if (q.Type != "" && ev.Type != q.Type) || (q.MemberID != "" && ev.MemberID != q.MemberID) ||
				(q.ClientID != "" && ev.ClientID != q.ClientID) ||
				(!q.Since.IsZero() && ev.Time.Before(norm(q.Since))) || (!q.Until.IsZero() && !ev.Time.Before(norm(q.Until))) {
				t.Errorf("List(%+v) returned %+v, which the query excludes", q, ev)
			}
		}
		return len(got)
	}
	for _, c := range []struct {
		q    storage.AuditQuery
		want int
	}{
		{storage.AuditQuery{Type: idp.AuditTokenIssued}, 6},
		{storage.AuditQuery{Type: idp.AuditTokenIssued, MemberID: "m1"}, 3},
		{storage.AuditQuery{MemberID: "m1"}, 4}, // with the failed login
		{storage.AuditQuery{ClientID: "c2"}, 2},
		{storage.AuditQuery{Type: idp.AuditTokenIssued, Since: base.Add(2 * time.Minute)}, 4},
		{storage.AuditQuery{Type: idp.AuditTokenIssued, Until: base.Add(2 * time.Minute)}, 2},
		{storage.AuditQuery{Since: base.Add(time.Minute), Until: base.Add(3 * time.Minute)}, 2},
		{storage.AuditQuery{Type: "no.such"}, 0},
	} {
		if n := count(c.q); n != c.want {
			t.Errorf("List(%+v) = %d events, want %d", c.q, n, c.want)
		}
	}

	// Retention.
	n, err := s.Audit.DeleteBefore(ctx, base.Add(2*time.Minute))
	must(t, err)
	if n != 4 { // the failed login, the logout (stamped now, years before base), the tokens at +0 and +1 minute
		t.Errorf("DeleteBefore removed %d events, want 4", n)
	}
	if n := count(storage.AuditQuery{Type: idp.AuditTokenIssued}); n != 4 {
		t.Errorf("%d token events after DeleteBefore, want 4", n)
	}
}

// testAuditPages: pages are newest first by (time, id), events sharing one
// instant included, and an event appended between pages neither shifts
// nor repeats the rest.
func testAuditPages(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	var want []string // newest first
	for i := range 7 {
		// Pairs of events share an instant, so the ID breaks ties.
		ev := idp.AuditEvent{ID: fmt.Sprintf("ev-%d", i), Time: base.Add(time.Duration(i/2) * time.Second), Type: idp.AuditLogout}
		must(t, s.Audit.Append(ctx, &ev))
		want = append([]string{ev.ID}, want...)
	}
	// Within an instant IDs sort descending too: ev-1 after ev-0 is newer.
	var got []string
	cursor := ""
	for page := 0; ; page++ {
		list, next, err := s.Audit.List(ctx, storage.AuditQuery{Cursor: cursor, Limit: 3})
		must(t, err)
		if len(list) > 3 {
			t.Fatalf("page of %d events, want at most 3", len(list))
		}
		for _, ev := range list {
			got = append(got, ev.ID)
		}
		if page == 0 { // a newer event arrives while the reader pages
			must(t, s.Audit.Append(ctx, &idp.AuditEvent{ID: "late", Time: base.Add(time.Hour), Type: idp.AuditLogout}))
		}
		if next == "" {
			break
		}
		if page > 5 {
			t.Fatal("paging never ends")
		}
		cursor = next
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("paged IDs = %v, want %v", got, want)
	}
	for _, bad := range []string{"!!", "bm90LWEtY3Vyc29y", "MTIzLg"} {
		_, _, err := s.Audit.List(ctx, storage.AuditQuery{Cursor: bad})
		wantErr(t, err, idp.ErrInvalid)
	}
	list, _, err := s.Audit.List(ctx, storage.AuditQuery{Limit: 10_000})
	must(t, err)
	if len(list) != 8 {
		t.Fatalf("List with a huge limit = %d events, want all 8", len(list))
	}
}

// testAuditDetailBounded: a detail over MaxAuditDetail is refused and
// nothing is written; one just under it is stored whole.
func testAuditDetailBounded(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	big := idp.AuditEvent{Type: idp.AuditClientUpdated, Detail: map[string]any{"x": strings.Repeat("a", storage.MaxAuditDetail)}}
	wantErr(t, s.Audit.Append(ctx, &big), idp.ErrInvalid)
	bad := idp.AuditEvent{Type: idp.AuditClientUpdated, Detail: map[string]any{"f": func() {}}}
	wantErr(t, s.Audit.Append(ctx, &bad), idp.ErrInvalid)
	fits := idp.AuditEvent{Type: idp.AuditClientUpdated, Detail: map[string]any{"x": strings.Repeat("a", storage.MaxAuditDetail-10)}}
	must(t, s.Audit.Append(ctx, &fits))
	list, _, err := s.Audit.List(ctx, storage.AuditQuery{})
	must(t, err)
	if len(list) != 1 || list[0].Detail["x"] != fits.Detail["x"] {
		t.Fatalf("stored %d events; want only the one that fits, whole", len(list))
	}
}

// testAuditInTx: an event appended in a transaction that rolls back is
// gone with the change it described.
func testAuditInTx(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	err := s.InTx(ctx, func(ctx context.Context) error {
		m := idp.Member{Email: "gone@example.com", Role: idp.RoleMember}
		if err := s.Members.Create(ctx, &m); err != nil {
			return err
		}
		if err := s.Audit.Append(ctx, &idp.AuditEvent{Type: idp.AuditMemberCreated, MemberID: m.ID}); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	must(t, s.InTx(ctx, func(ctx context.Context) error {
		return s.Audit.Append(ctx, &idp.AuditEvent{Type: idp.AuditMemberCreated, MemberID: "kept"})
	}))
	list, _, err := s.Audit.List(ctx, storage.AuditQuery{})
	must(t, err)
	if len(list) != 1 || list[0].MemberID != "kept" {
		t.Fatalf("events after one rolled-back and one committed transaction: %+v; want only the committed one", list)
	}
}
