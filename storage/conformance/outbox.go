package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// testOutbox checks the back-channel logout outbox: rows come back when
// due, oldest first; one Claim wins per read; Delete is idempotent; a
// removed client takes its deliveries with it; and a row added in a
// rolled-back transaction was never owed.
func testOutbox(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "a")
	mustClient(t, s, "b")
	later := idp.LogoutDelivery{ClientID: "a", URI: "https://a.example/bcl", MemberID: "m", SessionID: "s1",
		NextAttemptAt: base.Add(time.Minute)}
	first := idp.LogoutDelivery{ClientID: "b", URI: "https://b.example/bcl", MemberID: "m", SessionID: "s1",
		NextAttemptAt: base}
	must(t, s.Outbox.Add(ctx, &later))
	must(t, s.Outbox.Add(ctx, &first))
	wantErr(t, s.Outbox.Add(ctx, &idp.LogoutDelivery{ClientID: "nobody", URI: "x", NextAttemptAt: base}), idp.ErrNotFound)

	due, err := s.Outbox.Due(ctx, base, 10)
	must(t, err)
	if len(due) != 1 || due[0] != first {
		t.Fatalf("Due(base) = %+v, want only %+v", due, first)
	}
	due, err = s.Outbox.Due(ctx, base.Add(time.Hour), 10)
	must(t, err)
	if len(due) != 2 || due[0].ID != first.ID || due[1].ID != later.ID {
		t.Fatalf("Due(later) = %+v, want first then later", due)
	}

	must(t, s.Outbox.Claim(ctx, first, base.Add(time.Hour)))
	wantErr(t, s.Outbox.Claim(ctx, first, base.Add(time.Hour)), idp.ErrConflict) // a stale read loses
	due, err = s.Outbox.Due(ctx, base.Add(time.Hour), 10)
	must(t, err)
	if len(due) != 2 || due[1].ID != first.ID || due[1].Attempts != 1 || !due[1].NextAttemptAt.Equal(norm(base.Add(time.Hour))) {
		t.Fatalf("after Claim: %+v; want first counted once and due at the claim's end", due)
	}

	must(t, s.Outbox.Delete(ctx, first.ID))
	must(t, s.Outbox.Delete(ctx, first.ID))
	wantErr(t, s.Outbox.Claim(ctx, first, base), idp.ErrNotFound)

	must(t, s.Clients.Delete(ctx, "a"))
	if due, err = s.Outbox.Due(ctx, base.Add(time.Hour), 10); err != nil || len(due) != 0 {
		t.Fatalf("Due after deleting the client = %+v, %v; want none", due, err)
	}

	_ = s.InTx(ctx, func(ctx context.Context) error {
		must(t, s.Outbox.Add(ctx, &idp.LogoutDelivery{ClientID: "b", URI: "u", NextAttemptAt: base}))
		return context.Canceled // roll back
	})
	if due, err = s.Outbox.Due(ctx, base.Add(time.Hour), 10); err != nil || len(due) != 0 {
		t.Fatalf("Due after a rolled-back Add = %+v, %v; want none", due, err)
	}
}
