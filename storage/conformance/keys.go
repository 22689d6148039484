package conformance

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

func signingKey(id string, activeAt time.Time) idp.SigningKey {
	return idp.SigningKey{
		ID:        id,
		Algorithm: "RS256",
		Sealed:    []byte{0, 1, 2, 0xff, byte(len(id))},
		CreatedAt: norm(activeAt.Add(-time.Hour)),
		ActiveAt:  norm(activeAt),
	}
}

func testKeys(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	list, err := s.Keys.List(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("List of an empty store = %v, %v", list, err)
	}
	old, cur, next := signingKey("old", base), signingKey("cur", base.Add(time.Hour)), signingKey("next", base.Add(2*time.Hour))
	for _, k := range []idp.SigningKey{cur, old, next} {
		must(t, s.Keys.Insert(ctx, k))
	}
	wantErr(t, s.Keys.Insert(ctx, signingKey("cur", base)), idp.ErrConflict)
	inserted, err := s.Keys.InsertFirst(ctx, signingKey("another", base))
	must(t, err)
	if inserted {
		t.Error("InsertFirst inserted although keys exist")
	}
	// Each algorithm has its own first key.
	es := signingKey("es", base)
	es.Algorithm = "ES256"
	inserted, err = s.Keys.InsertFirst(ctx, es)
	must(t, err)
	if !inserted {
		t.Error("InsertFirst refused the first ES256 key because RS256 keys exist")
	}
	must(t, s.Keys.Delete(ctx, "es"))

	list, err = s.Keys.List(ctx)
	must(t, err)
	if want := []idp.SigningKey{next, cur, old}; !reflect.DeepEqual(list, want) {
		t.Errorf("List =\n%+v\nwant newest ActiveAt first\n%+v", list, want)
	}

	must(t, s.Keys.Delete(ctx, "old"))
	wantErr(t, s.Keys.Delete(ctx, "old"), idp.ErrNotFound)
	list, err = s.Keys.List(ctx)
	must(t, err)
	if len(list) != 2 {
		t.Errorf("List after Delete has %d keys, want 2", len(list))
	}
}

func testKeysInsertFirstConcurrent(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	const n = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		winners  []string
		failures []error
	)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			id := fmt.Sprintf("k%d", i)
			ok, err := s.Keys.InsertFirst(ctx, signingKey(id, base))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, err)
			}
			if ok {
				winners = append(winners, id)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("InsertFirst failed: %v", failures)
	}
	if len(winners) != 1 {
		t.Fatalf("InsertFirst reported %d inserts (%q), want exactly 1", len(winners), winners)
	}
	list, err := s.Keys.List(ctx)
	must(t, err)
	if len(list) != 1 || list[0].ID != winners[0] {
		t.Errorf("stored keys = %+v, want only %s", list, winners[0])
	}
}
