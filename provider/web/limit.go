package web

import (
	"context"
	"fmt"
	"time"
)

// Limit is how many requests of one kind a key may make in a window,
// for requests that are not sign-ins (those have Reserve): a mail asked
// for, say.
type Limit struct {
	Max    int
	Window time.Duration
}

// Allow counts one request under the key made of parts (hashed with the
// throttle's key, so the store never holds what was typed) and reports
// whether it is within l. Counts live in the store, shared by replicas.
func (t *Throttle) Allow(ctx context.Context, l Limit, parts ...string) (bool, error) {
	n, _, err := t.store.Throttle.Hit(ctx, t.hash(parts...), t.now(), l.Window)
	if err != nil {
		return false, fmt.Errorf("throttle: %w", err)
	}
	return n <= l.Max, nil
}

// NormalizeEmail is the form an address is counted under: as a username
// is (NormalizeUsername), trimmed and lower-cased.
func NormalizeEmail(e string) string { return normalizeUsername(e) }
