package conformance

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp/storage"
)

func testThrottle(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	const window = 15 * time.Minute
	hit := func(key string, at time.Time, wantN int, wantEnds time.Time) {
		t.Helper()
		n, ends, err := s.Throttle.Hit(ctx, key, at, window)
		must(t, err)
		if n != wantN || !ends.Equal(norm(wantEnds)) {
			t.Fatalf("Hit(%s, %v) = %d, %v; want %d, %v", key, at, n, ends, wantN, norm(wantEnds))
		}
	}
	hit("a", base, 1, base.Add(window))
	hit("a", base.Add(time.Minute), 2, base.Add(window)) // the window does not slide
	hit("b", base.Add(time.Minute), 1, base.Add(time.Minute+window))
	hit("a", base.Add(2*time.Minute), 3, base.Add(window))

	must(t, s.Throttle.Undo(ctx, "a"))
	hit("a", base.Add(3*time.Minute), 3, base.Add(window))
	must(t, s.Throttle.Undo(ctx, "missing"))

	later := base.Add(window)
	hit("a", later, 1, later.Add(window)) // a window that ended starts again

	must(t, s.Throttle.Reset(ctx, "b"))
	hit("b", later, 1, later.Add(window))
	must(t, s.Throttle.Reset(ctx, "missing"))

	hit("c", base, 1, base.Add(window))
	n, err := s.Throttle.DeleteExpired(ctx, base.Add(window))
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteExpired removed %d counters, want 1 (only c's window had ended)", n)
	}
	hit("a", later, 2, later.Add(window))
}

// testThrottleHitConcurrent: hits racing on one key each get their own
// count, so a limit checked against the count is never overshot.
func testThrottleHitConcurrent(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	const n = 40
	counts := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c, _, err := s.Throttle.Hit(ctx, "race", base, time.Minute)
			if err != nil {
				t.Error(err)
			}
			counts <- c
		})
	}
	wg.Wait()
	close(counts)
	var got []int
	for c := range counts {
		got = append(got, c)
	}
	slices.Sort(got)
	for i, c := range got {
		if c != i+1 {
			t.Fatalf("concurrent counts = %v, want 1..%d each once", got, n)
		}
	}
	if len(got) != n {
		t.Fatalf("%d counts, want %d", len(got), n)
	}
}
