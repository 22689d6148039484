package conformance

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp/storage"
)

func testLocks(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	acquire := func(name, holder string, now time.Time, want bool) {
		t.Helper()
		got, err := s.Locks.Acquire(ctx, name, holder, now, now.Add(time.Minute))
		must(t, err)
		if got != want {
			t.Fatalf("Acquire(%s, %s, %v) = %v, want %v", name, holder, now, got, want)
		}
	}
	acquire("job", "a", base, true)
	acquire("job", "b", base.Add(59*time.Second), false) // a's lease runs
	acquire("other", "b", base, true)                    // names are independent
	acquire("job", "a", base.Add(30*time.Second), true)  // a renews, until +90s
	acquire("job", "b", base.Add(60*time.Second), false)
	acquire("job", "b", base.Add(90*time.Second), true) // a's lease ended
	acquire("job", "a", base.Add(91*time.Second), false)

	must(t, s.Locks.Release(ctx, "job", "a")) // a no longer holds it: no effect
	acquire("job", "a", base.Add(92*time.Second), false)
	must(t, s.Locks.Release(ctx, "job", "b"))
	acquire("job", "a", base.Add(92*time.Second), true)
}

// testLocksConcurrent: of many replicas racing for a free lease, exactly
// one gets it.
func testLocksConcurrent(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	for round := range 5 {
		name := fmt.Sprintf("race-%d", round)
		const n = 16
		var mu sync.Mutex
		var winners []string
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				holder := fmt.Sprintf("replica-%d", i)
				ok, err := s.Locks.Acquire(ctx, name, holder, base, base.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					winners = append(winners, holder)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: %d replicas acquired the lease (%v), want exactly one", round, len(winners), winners)
		}
	}
}
