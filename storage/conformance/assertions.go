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

func testAssertions(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	must(t, s.Assertions.Use(ctx, "a", base.Add(time.Minute), base))
	wantErr(t, s.Assertions.Use(ctx, "a", base.Add(time.Hour), base.Add(30*time.Second)), idp.ErrConflict)
	must(t, s.Assertions.Use(ctx, "b", base.Add(time.Minute), base))
	// Once expired, the hash may be recorded again (an assertion that old
	// is refused for its exp anyway).
	must(t, s.Assertions.Use(ctx, "a", base.Add(2*time.Minute), base.Add(time.Minute)))
	wantErr(t, s.Assertions.Use(ctx, "a", base.Add(3*time.Minute), base.Add(time.Minute)), idp.ErrConflict)

	n, err := s.Assertions.DeleteExpired(ctx, base.Add(time.Minute))
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteExpired removed %d, want 1 (b)", n)
	}
	must(t, s.Assertions.Use(ctx, "b", base.Add(time.Hour), base))
}

// testAssertionsUseConcurrent: an assertion is accepted once, however
// many requests race with it.
func testAssertionsUseConcurrent(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := s.Assertions.Use(ctx, "race", base.Add(time.Hour), base)
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, idp.ErrConflict):
				t.Errorf("Use: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d concurrent uses succeeded, want 1", wins.Load())
	}
}
