package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"

	"github.com/idp/idp"
	"github.com/idp/idp/migrations"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// migrator returns a goose provider over the backend's migrations and a
// function that releases what it opened.
func (s *Store) migrator() (*goose.Provider, func(), error) {
	var (
		db      *sql.DB
		dialect goose.Dialect
		fsys    fs.FS
		opts    = []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
		done    = func() {}
	)
	if s.pg != nil {
		// goose speaks database/sql; borrow the pool's connections. The
		// session lock keeps two replicas from migrating at once.
		db = stdlib.OpenDBFromPool(s.pg)
		done = func() { _ = db.Close() }
		dialect, fsys = goose.DialectPostgres, migrations.Postgres
		opts = append(opts, goose.WithSessionLocker(schemaLocker{}))
	} else {
		db, dialect, fsys = s.db, goose.DialectSQLite3, migrations.SQLite
	}
	p, err := goose.NewProvider(dialect, db, fsys, opts...)
	if err != nil {
		done()
		return nil, nil, err
	}
	return p, done, nil
}

// migrate runs fn with a migrator while holding this process's SQLite
// writer slot.
func (s *Store) migrate(ctx context.Context, op string, fn func(*goose.Provider) error) error {
	if s.writers != nil {
		if err := s.writers.enter(ctx); err != nil {
			return s.wrap(op, err)
		}
		defer s.writers.leave()
	}
	p, done, err := s.migrator()
	if err != nil {
		return s.wrap(op, err)
	}
	defer done()
	return s.wrap(op, fn(p))
}

// MigrateUp applies every pending migration, each in its own transaction
// together with its version record. Replicas may run it at once: on
// PostgreSQL a session advisory lock serialises them; on SQLite, which has
// no such lock, the loser of a race has its transaction rolled back, sees
// that the database moved on, and tries again from the new version.
func (s *Store) MigrateUp(ctx context.Context) error {
	const op = "storage: migrate up"
	for {
		var before, after int64
		err := s.migrate(ctx, op, func(p *goose.Provider) error {
			before = dbVersion(ctx, p)
			_, err := p.Up(ctx)
			return err
		})
		if err == nil {
			return nil
		}
		_ = s.migrate(ctx, op, func(p *goose.Provider) error {
			after = dbVersion(ctx, p)
			return nil
		})
		if after <= before {
			return err // no one else made progress: the failure is ours
		}
	}
}

// dbVersion is the newest applied version, or -1 when it cannot be read
// (no version table yet).
func dbVersion(ctx context.Context, p *goose.Provider) int64 {
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return -1
	}
	return v
}

// MigrateDown rolls back the newest applied migration. With none applied it
// returns an error wrapping idp.ErrNotFound.
func (s *Store) MigrateDown(ctx context.Context) error {
	return s.migrate(ctx, "storage: migrate down", func(p *goose.Provider) error {
		_, err := p.Down(ctx)
		if errors.Is(err, goose.ErrNoNextVersion) {
			return fmt.Errorf("no applied migration: %w", idp.ErrNotFound)
		}
		return err
	})
}

// MigrateStatus writes one line per known migration to w, oldest first:
// version, "applied" with the time or "pending", and the file name.
func (s *Store) MigrateStatus(ctx context.Context, w io.Writer) error {
	return s.migrate(ctx, "storage: migrate status", func(p *goose.Provider) error {
		status, err := p.Status(ctx)
		if err != nil {
			return err
		}
		for _, st := range status {
			state := string(st.State)
			if st.State == goose.StateApplied {
				state += " " + utc(st.AppliedAt).Format("2006-01-02T15:04:05Z")
			}
			if _, err := fmt.Fprintf(w, "%05d  %-28s  %s\n", st.Source.Version, state, path.Base(st.Source.Path)); err != nil {
				return err
			}
		}
		return nil
	})
}

// schemaLocker serialises migrations of one schema across processes with
// a session-level advisory lock. Unlike goose's own PostgreSQL locker,
// which polls every five seconds with one key for the whole database, it
// waits in pg_advisory_lock (until ctx ends) and is keyed by schema, so
// parallel test schemas do not queue behind each other.
type schemaLocker struct{}

func (schemaLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock("+advisoryKey("migrate")+")")
	return err
}

func (schemaLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock("+advisoryKey("migrate")+")")
	return err
}
