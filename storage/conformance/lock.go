package conformance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// testRowLock: a row read with Lock cannot change under the transaction that
// read it. A second read-modify-write waits, then sees the first one's
// change, so a precondition checked on the read holds when writing.
func testRowLock(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	m := mustMember(t, s, "locked@example.com")
	mustClient(t, s, "locked")

	tx, err := s.Begin(ctx)
	must(t, err)
	got, err := s.Members.Lock(tx, m.ID)
	must(t, err)
	if got.Email != m.Email {
		t.Fatalf("Lock = %+v", got)
	}
	_, err = s.Clients.Lock(tx, "locked")
	must(t, err)
	seen := make(chan string, 2)
	go func() {
		err := s.InTx(ctx, func(ctx context.Context) error {
			m, err := s.Members.Lock(ctx, m.ID)
			if err != nil {
				return err
			}
			c, err := s.Clients.Lock(ctx, "locked")
			if err != nil {
				return err
			}
			seen <- m.Name
			seen <- c.Name
			return nil
		})
		if err != nil {
			seen <- "error: " + err.Error()
		}
	}()
	time.Sleep(200 * time.Millisecond) // the second transaction is waiting now
	got.Name = "changed under lock"
	must(t, s.Members.Update(tx, got))
	c, _ := s.Clients.ByID(tx, "locked")
	c.Name = "changed under lock"
	must(t, s.Clients.Update(tx, c))
	must(t, s.Commit(tx))
	for range 2 {
		select {
		case name := <-seen:
			if name != "changed under lock" {
				t.Fatalf("the second transaction read %q; want the first one's committed change", name)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the second transaction never got the lock")
		}
	}
	_, err = s.Members.Lock(ctx, "nobody")
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.Clients.Lock(ctx, "nobody")
	if !errors.Is(err, idp.ErrNotFound) {
		t.Fatalf("Clients.Lock(nobody) = %v", err)
	}
}
