package conformance

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// testProofs: a DPoP proof is used once; expired proofs are removed.
func testProofs(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	must(t, s.Proofs.Use(ctx, "a", base.Add(time.Minute)))
	must(t, s.Proofs.Use(ctx, "b", base.Add(time.Hour)))
	wantErr(t, s.Proofs.Use(ctx, "a", base.Add(time.Hour)), idp.ErrConflict)

	n, err := s.Proofs.DeleteExpired(ctx, base.Add(time.Minute))
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteExpired removed %d, want 1 (a)", n)
	}
	must(t, s.Proofs.Use(ctx, "a", base.Add(2*time.Minute)))
	wantErr(t, s.Proofs.Use(ctx, "b", base.Add(time.Hour)), idp.ErrConflict)
}

// testProofUseConcurrent: of concurrent uses of one proof, one succeeds.
func testProofUseConcurrent(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := s.Proofs.Use(ctx, "race", base.Add(time.Minute))
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, idp.ErrConflict):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d uses of one proof succeeded, want 1", wins.Load())
	}
}
