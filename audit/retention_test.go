package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// TestExpire: the cleanup step deletes exactly the events older than the
// retention.
func TestExpire(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		retention := 48 * time.Hour
		for _, age := range []time.Duration{retention + time.Second, retention, time.Hour} {
			e := idp.AuditEvent{Type: idp.AuditLogout, Time: fixedNow.Add(-age)}
			if err := store.Audit.Append(ctx, &e); err != nil {
				t.Fatal(err)
			}
		}
		n, err := audit.Expire(store, retention)(ctx, fixedNow)
		if err != nil || n != 1 {
			t.Fatalf("Expire = %d, %v; want the one event older than the retention", n, err)
		}
		if left := list(t, store); len(left) != 2 || left[1].Time != fixedNow.Add(-retention) {
			t.Fatalf("left %+v; want the event exactly at the cut-off and the newer one", left)
		}
	})
}
