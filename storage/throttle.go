package storage

import (
	"context"
	"time"
)

// Throttle counts attempts per key in fixed windows, in the database, so
// every replica of the provider sees the same counts. Keys are opaque to
// the store; the provider passes fixed-size hashes.
type Throttle struct{ s *Store }

// hitQuery counts one attempt in a single statement, so concurrent hits on
// one key (from any process) are serialised by the row lock and each sees
// its own count: $1 key, $2 the window's end if this hit starts one, $3
// now. A window that has ended starts again at 1.
const hitQuery = `INSERT INTO throttle (key, count, expires_at) VALUES ($1, 1, $2)
	ON CONFLICT (key) DO UPDATE SET
		count = CASE WHEN throttle.expires_at <= $3 THEN 1 ELSE throttle.count + 1 END,
		expires_at = CASE WHEN throttle.expires_at <= $3 THEN $2 ELSE throttle.expires_at END
	RETURNING count, expires_at`

// Hit counts one attempt for key at now and returns the attempts counted in
// the current window, this one included, and when that window ends. The
// first attempt, or the first after a window ended, opens a window ending
// at now+window. It is atomic: of n concurrent hits on a fresh key, each
// gets a different count from 1 to n.
func (t *Throttle) Hit(ctx context.Context, key string, now time.Time, window time.Duration) (int, time.Time, error) {
	var n int
	var ends time.Time
	err := t.s.writeRow(ctx, hitQuery, []any{key, utc(now.Add(window)), utc(now)}, &n, &ends)
	return n, ends, t.s.wrap("throttle: hit", err)
}

// Undo takes back one attempt counted for key in its current window (an
// attempt that turned out not to count against the limit). A key without
// attempts is left alone.
func (t *Throttle) Undo(ctx context.Context, key string) error {
	_, err := t.s.exec(ctx, `UPDATE throttle SET count = count - 1 WHERE key = $1 AND count > 0`, key)
	return t.s.wrap("throttle: undo", err)
}

// Reset forgets every attempt counted for key.
func (t *Throttle) Reset(ctx context.Context, key string) error {
	_, err := t.s.exec(ctx, `DELETE FROM throttle WHERE key = $1`, key)
	return t.s.wrap("throttle: reset", err)
}

// DeleteExpired removes the counters whose window ended at or before now,
// and reports how many, so the table holds only live windows.
func (t *Throttle) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	n, err := t.s.exec(ctx, `DELETE FROM throttle WHERE expires_at <= $1`, now)
	return n, t.s.wrap("throttle: delete expired", err)
}
