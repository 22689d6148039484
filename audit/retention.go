package audit

import (
	"context"
	"time"

	"github.com/idp/idp/storage"
)

// DefaultRetention is how long events are kept when --audit-retention is
// not given: 90 days, long enough to look back over a quarter's incidents,
// short enough that the table does not grow without bound.
const DefaultRetention = 2160 * time.Hour

// Expire returns the step of the provider's periodic cleanup that deletes
// the events older than retention at now, and reports how many, in the
// shape the cleanup calls its other steps.
func Expire(store *storage.Store, retention time.Duration) func(ctx context.Context, now time.Time) (int64, error) {
	return func(ctx context.Context, now time.Time) (int64, error) {
		return store.Audit.DeleteBefore(ctx, now.Add(-retention))
	}
}
