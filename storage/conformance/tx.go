package conformance

import (
	"context"
	"errors"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

var errBoom = errors.New("boom")

func testInTx(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	mustClient(t, s, "app")
	var id string
	err := s.InTx(ctx, func(ctx context.Context) error {
		id = createMember(t, ctx, s, "rolled@example.com")
		// The transaction sees its own writes.
		if _, err := s.Members.ByID(ctx, id); err != nil {
			t.Errorf("read inside the transaction: %v", err)
		}
		must(t, s.Tokens.Create(ctx, token(storage.KindCode, "c", "r", "app")))
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx error = %v, want fn's error", err)
	}
	_, err = s.Members.ByID(ctx, id)
	wantErr(t, err, idp.ErrNotFound)
	_, err = s.Tokens.Get(ctx, storage.KindCode, "c")
	wantErr(t, err, idp.ErrNotFound)

	must(t, s.InTx(ctx, func(ctx context.Context) error {
		m := idp.Member{Email: "kept@example.com", Role: idp.RoleMember}
		if err := s.Members.Create(ctx, &m); err != nil {
			return err
		}
		id = m.ID
		return s.Tokens.Create(ctx, token(storage.KindCode, "c", "r", "app"))
	}))
	if _, err := s.Members.ByID(ctx, id); err != nil {
		t.Errorf("member committed by InTx: %v", err)
	}
	if _, err := s.Tokens.Get(ctx, storage.KindCode, "c"); err != nil {
		t.Errorf("token committed by InTx: %v", err)
	}
}

func testInTxNested(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	var outerID, innerID string
	must(t, s.InTx(ctx, func(ctx context.Context) error {
		outerID = createMember(t, ctx, s, "outer@example.com")
		return s.InTx(ctx, func(ctx context.Context) error {
			innerID = createMember(t, ctx, s, "inner@example.com")
			return nil
		})
	}))
	for _, id := range []string{outerID, innerID} {
		if _, err := s.Members.ByID(ctx, id); err != nil {
			t.Errorf("nested commit: %v", err)
		}
	}

	// An inner failure swallowed by the outer fn must not commit.
	err := s.InTx(ctx, func(ctx context.Context) error {
		outerID = createMember(t, ctx, s, "outer2@example.com")
		inner := s.InTx(ctx, func(ctx context.Context) error {
			innerID = createMember(t, ctx, s, "inner2@example.com")
			return errBoom
		})
		if !errors.Is(inner, errBoom) {
			t.Errorf("inner InTx error = %v, want fn's error", inner)
		}
		return nil
	})
	if err == nil {
		t.Error("outer InTx committed after an inner scope failed")
	}
	for _, id := range []string{outerID, innerID} {
		_, err := s.Members.ByID(ctx, id)
		wantErr(t, err, idp.ErrNotFound)
	}
}

func createMember(t *testing.T, ctx context.Context, s *storage.Store, email string) string {
	t.Helper()
	m := idp.Member{Email: email, Role: idp.RoleMember}
	must(t, s.Members.Create(ctx, &m))
	return m.ID
}

func testInTxPanic(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	var id string
	func() {
		defer func() {
			if recover() == nil {
				t.Error("InTx swallowed the panic")
			}
		}()
		_ = s.InTx(ctx, func(ctx context.Context) error {
			id = createMember(t, ctx, s, "panic@example.com")
			panic("boom")
		})
	}()
	_, err := s.Members.ByID(ctx, id)
	wantErr(t, err, idp.ErrNotFound)
	// The store is usable afterwards (on SQLite: the writer slot was freed).
	createMember(t, ctx, s, "after@example.com")
}

func testBeginCommitRollback(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	if err := s.Commit(ctx); err == nil {
		t.Error("Commit without a transaction succeeded")
	}
	if err := s.Rollback(ctx); err == nil {
		t.Error("Rollback without a transaction succeeded")
	}

	txCtx, err := s.Begin(ctx)
	must(t, err)
	committed := createMember(t, txCtx, s, "committed@example.com")
	// A Begin inside joins: its Commit leaves the decision to the owner.
	inner, err := s.Begin(txCtx)
	must(t, err)
	must(t, s.Commit(inner))
	must(t, s.Commit(txCtx))
	if err := s.Commit(txCtx); err == nil {
		t.Error("second Commit succeeded")
	}
	must(t, s.Rollback(txCtx)) // after the end: a no-op
	if _, err := s.Members.ByID(ctx, committed); err != nil {
		t.Errorf("committed member: %v", err)
	}
	// A context whose transaction ended acts as a plain one.
	createMember(t, txCtx, s, "after-commit@example.com")

	txCtx, err = s.Begin(ctx)
	must(t, err)
	rolled := createMember(t, txCtx, s, "rolled@example.com")
	must(t, s.Rollback(txCtx))
	_, err = s.Members.ByID(ctx, rolled)
	wantErr(t, err, idp.ErrNotFound)

	// A joined scope that rolls back dooms the outer transaction.
	txCtx, err = s.Begin(ctx)
	must(t, err)
	doomed := createMember(t, txCtx, s, "doomed@example.com")
	inner, err = s.Begin(txCtx)
	must(t, err)
	must(t, s.Rollback(inner))
	if err := s.Commit(txCtx); err == nil {
		t.Error("Commit succeeded after a joined scope rolled back")
	}
	_, err = s.Members.ByID(ctx, doomed)
	wantErr(t, err, idp.ErrNotFound)
}

func testTxIsolation(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	txCtx, err := s.Begin(ctx)
	must(t, err)
	id := createMember(t, txCtx, s, "pending@example.com")
	_, err = s.Members.ByID(ctx, id)
	wantErr(t, err, idp.ErrNotFound) // not visible before the commit
	must(t, s.Commit(txCtx))
	if _, err := s.Members.ByID(ctx, id); err != nil {
		t.Errorf("after Commit: %v", err)
	}
}

// testAfterCommit: work registered in a transaction runs only once it has
// committed, never for one that rolled back, and at once outside one.
func testAfterCommit(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	var ran []string
	s.AfterCommit(ctx, func() { ran = append(ran, "plain") })
	if len(ran) != 1 {
		t.Fatalf("AfterCommit without a transaction ran %v, want it at once", ran)
	}
	must(t, s.InTx(ctx, func(ctx context.Context) error {
		s.AfterCommit(ctx, func() { ran = append(ran, "outer") })
		err := s.InTx(ctx, func(ctx context.Context) error {
			s.AfterCommit(ctx, func() { ran = append(ran, "nested") })
			return nil
		})
		if len(ran) != 1 {
			t.Errorf("ran %v before the outer transaction committed", ran)
		}
		return err
	}))
	if len(ran) != 3 || ran[1] != "outer" || ran[2] != "nested" {
		t.Fatalf("after commit ran %v, want plain, outer, nested", ran)
	}
	err := s.InTx(ctx, func(ctx context.Context) error {
		s.AfterCommit(ctx, func() { ran = append(ran, "rolled back") })
		return errBoom
	})
	if !errors.Is(err, errBoom) || len(ran) != 3 {
		t.Fatalf("a rolled-back transaction: err %v, ran %v; want errBoom and nothing more run", err, ran)
	}
}
