package storage

import (
	"context"
	"errors"
	"time"
)

// Locks are leases in the store that let exactly one replica do a periodic
// job, such as the key schedule. A lease names its holder and ends at a
// given time, so a replica that dies while holding one blocks the job
// only until then.
type Locks struct{ s *Store }

// acquireQuery takes or renews the lease $1 for holder $2 until $3 in one
// statement: a new row, or an existing one whose lease ended by $4 (now)
// or that $2 already holds. Concurrent acquirers of one name are
// serialised by the row (PostgreSQL re-checks the WHERE on the row a
// concurrent insert or update left; SQLite has one writer), so exactly one
// gets a row back.
const acquireQuery = `INSERT INTO locks (name, holder, expires_at) VALUES ($1, $2, $3)
	ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
	WHERE locks.expires_at <= $4 OR locks.holder = excluded.holder
	RETURNING holder`

// Acquire takes the lease name for holder until until, and reports whether
// it did: true when nobody held it, when the previous lease ended at or
// before now, or when holder already held it (the lease is then renewed);
// false while another holder's lease runs. now is passed in, like
// Throttle.Hit's, so every replica's lease is judged by the caller's
// clock rather than each database connection's.
func (l *Locks) Acquire(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	var got string
	err := l.s.writeRow(ctx, acquireQuery, []any{name, holder, utc(until), utc(now)}, &got)
	if errors.Is(err, errNoRows) {
		return false, nil
	}
	if err != nil {
		return false, l.s.wrap("locks: acquire", err)
	}
	return true, nil
}

// Release ends holder's lease name early, so another replica need not
// wait for it to run out. A lease holder no longer holds is left alone.
func (l *Locks) Release(ctx context.Context, name, holder string) error {
	_, err := l.s.exec(ctx, `DELETE FROM locks WHERE name = $1 AND holder = $2`, name, holder)
	return l.s.wrap("locks: release", err)
}
