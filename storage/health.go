package storage

import (
	"context"
	"time"
)

// PoolStats is a snapshot of the store's connection pool, for metrics: a
// pool that is always fully in use, or whose callers wait for a
// connection, is the first sign of a database that cannot keep up.
type PoolStats struct {
	// MaxConns is the configured pool size; Open the connections
	// currently open, InUse those running a statement, Idle the rest.
	MaxConns, Open, InUse, Idle int64
	// WaitCount counts the acquisitions that had to wait for a free
	// connection; WaitDuration is their total wait.
	WaitCount    int64
	WaitDuration time.Duration
}

// PoolStats reports the main pool: pgxpool's on PostgreSQL (the small pool
// for volatile token writes is left out), database/sql's on SQLite. It is
// cheap and never touches the database.
func (s *Store) PoolStats() PoolStats {
	if s.pg != nil {
		st := s.pg.Stat()
		return PoolStats{
			MaxConns: int64(st.MaxConns()), Open: int64(st.TotalConns()),
			InUse: int64(st.AcquiredConns()), Idle: int64(st.IdleConns()),
			WaitCount: st.EmptyAcquireCount(), WaitDuration: st.EmptyAcquireWaitTime(),
		}
	}
	st := s.db.Stats()
	return PoolStats{
		MaxConns: int64(st.MaxOpenConnections), Open: int64(st.OpenConnections),
		InUse: int64(st.InUse), Idle: int64(st.Idle),
		WaitCount: st.WaitCount, WaitDuration: st.WaitDuration,
	}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var err error
	if s.pg != nil {
		err = s.pg.Ping(ctx)
	} else {
		err = s.db.PingContext(ctx)
	}
	return s.wrap("storage: ping", err)
}

// MigrationsCurrent reports whether every migration this build knows is
// applied, so a readiness probe keeps a replica out of rotation while its
// schema is behind (after a rollback, or before `idp migrate up`). It only
// reads the version table: it takes neither the migration lock nor the
// SQLite writer slot, so it never waits behind a migration or a write.
func (s *Store) MigrationsCurrent(ctx context.Context) (bool, error) {
	p, done, err := s.migrator()
	if err != nil {
		return false, s.wrap("storage: migrations current", err)
	}
	defer done()
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, s.wrap("storage: migrations current", err)
	}
	return !pending, nil
}
