package storage

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier is what every query of the store runs on: a pool or a
// transaction of either backend. Statements use $1, $2... placeholders,
// which PostgreSQL and the SQLite driver both bind by position.
//
// The adapters translate the two types that differ between the backends,
// so queries are written once: a time.Time argument is normalised to UTC
// microseconds (timestamptz on PostgreSQL, an integer of Unix microseconds
// on SQLite), and a *time.Time scan target receives a UTC time. "No rows"
// is reported as errNoRows by both.
type querier interface {
	// exec runs a statement and returns the number of rows it affected.
	exec(ctx context.Context, query string, args ...any) (int64, error)
	query(ctx context.Context, query string, args ...any) (rows, error)
	queryRow(ctx context.Context, query string, args ...any) row
}

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type row interface {
	Scan(dest ...any) error
}

// errNoRows is what both adapters return when queryRow finds nothing.
var errNoRows = errors.New("no rows")

// utc normalises t to what both backends store: UTC, whole microseconds,
// no monotonic reading.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// pgxQuerier is implemented by *pgxpool.Pool and pgx.Tx.
type pgxQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// pgxAdapter runs queries natively on pgx, whose statement cache prepares
// each distinct query once per connection.
type pgxAdapter struct{ q pgxQuerier }

func pgxArgs(args []any) []any {
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			args[i] = utc(t)
		}
	}
	return args
}

func (a pgxAdapter) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := a.q.Exec(ctx, query, pgxArgs(args)...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (a pgxAdapter) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := a.q.Query(ctx, query, pgxArgs(args)...)
	if err != nil {
		return nil, err
	}
	return pgxRows{r}, nil
}

func (a pgxAdapter) queryRow(ctx context.Context, query string, args ...any) row {
	return pgxRow{a.q.QueryRow(ctx, query, pgxArgs(args)...)}
}

type pgxRow struct{ r pgx.Row }

func (r pgxRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNoRows
	}
	if err == nil {
		pgxTimes(dest)
	}
	return err
}

type pgxRows struct{ pgx.Rows }

func (r pgxRows) Scan(dest ...any) error {
	err := r.Rows.Scan(dest...)
	if err == nil {
		pgxTimes(dest)
	}
	return err
}

// pgxTimes converts scanned times, which pgx returns in the local zone, to
// UTC.
func pgxTimes(dest []any) {
	for _, d := range dest {
		if p, ok := d.(*time.Time); ok {
			*p = p.UTC()
		}
	}
}

// sqlQuerier is implemented by *sql.DB and *sql.Tx.
type sqlQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlAdapter runs queries on SQLite through database/sql.
type sqlAdapter struct{ q sqlQuerier }

func sqliteArgs(args []any) []any {
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			args[i] = t.UnixMicro()
		}
	}
	return args
}

// sqliteDest replaces each *time.Time scan target by a scanner of Unix
// microseconds.
func sqliteDest(dest []any) []any {
	var out []any
	for i, d := range dest {
		p, ok := d.(*time.Time)
		if !ok {
			continue
		}
		if out == nil {
			out = slices.Clone(dest)
		}
		out[i] = (*microTime)(p)
	}
	if out == nil {
		return dest
	}
	return out
}

// microTime scans an integer of Unix microseconds into a UTC time.
type microTime time.Time

func (m *microTime) Scan(v any) error {
	n, ok := v.(int64)
	if !ok {
		return errors.New("time column does not hold an integer")
	}
	*m = microTime(time.UnixMicro(n).UTC())
	return nil
}

func (a sqlAdapter) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := a.q.ExecContext(ctx, query, sqliteArgs(args)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (a sqlAdapter) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := a.q.QueryContext(ctx, query, sqliteArgs(args)...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (a sqlAdapter) queryRow(ctx context.Context, query string, args ...any) row {
	return sqlRow{a.q.QueryRowContext(ctx, query, sqliteArgs(args)...)}
}

type sqlRow struct{ r *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.r.Scan(sqliteDest(dest)...)
	if errors.Is(err, sql.ErrNoRows) {
		return errNoRows
	}
	return err
}

type sqlRows struct{ r *sql.Rows }

func (r sqlRows) Next() bool             { return r.r.Next() }
func (r sqlRows) Err() error             { return r.r.Err() }
func (r sqlRows) Close()                 { _ = r.r.Close() }
func (r sqlRows) Scan(dest ...any) error { return r.r.Scan(sqliteDest(dest)...) }
