package storage

import (
	"errors"
	"fmt"

	"github.com/idp/idp"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds what differs between the backends beyond the value
// translation the adapters do. Both accept $n placeholders and
// INSERT ... ON CONFLICT upserts, so queries themselves are shared.
type dialect struct {
	name string
	// lockKeys serialises InsertFirst across processes for the rest of the
	// transaction; empty when a write transaction already holds the only
	// write lock (SQLite's BEGIN IMMEDIATE).
	lockKeys string
	// lockFlows, given an address digest as $1, serialises
	// Flows.CreateBounded for that address for the rest of the transaction;
	// empty where the write transaction already does (SQLite).
	lockFlows string
	// bytewise follows an ORDER BY expression so text sorts byte by byte,
	// as Go's sort.Strings does, whatever the database's collation.
	bytewise string
	// classify maps a driver error to the sentinel it means, or nil.
	classify func(error) error
}

// advisoryKey is a PostgreSQL advisory lock key private to this schema, so
// stores in different schemas of one database do not wait for each other.
func advisoryKey(name string) string {
	return "hashtextextended('idp." + name + ".' || current_schema(), 0)"
}

var postgresDialect = dialect{
	name:      "postgres",
	lockKeys:  "SELECT pg_advisory_xact_lock(" + advisoryKey("signing_keys") + ")",
	lockFlows: "SELECT pg_advisory_xact_lock(hashtextextended('idp.flows.' || current_schema() || '.' || $1, 0))",
	bytewise:  ` COLLATE "C"`,
	classify:  classifyPostgres,
}

var sqliteDialect = dialect{
	name:     "sqlite",
	classify: classifySQLite,
}

// classifyPostgres maps SQLSTATE codes (PostgreSQL Appendix A).
func classifyPostgres(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return nil
	}
	switch pe.Code {
	case "23505", // unique_violation
		"40001", // serialization_failure
		"40P01": // deadlock_detected
		return idp.ErrConflict
	case "23503": // foreign_key_violation: the referenced row is missing
		return idp.ErrNotFound
	}
	return nil
}

// classifySQLite maps SQLite (extended) result codes.
func classifySQLite(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch code := se.Code(); {
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE, code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return idp.ErrConflict
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return idp.ErrNotFound
	case code&0xff == sqlite3.SQLITE_BUSY, code&0xff == sqlite3.SQLITE_LOCKED:
		// Another writer held the database past the busy timeout.
		return idp.ErrConflict
	}
	return nil
}

// wrap prefixes err with the operation and, when the driver error has a
// meaning the callers act on, wraps the matching sentinel as well. It maps
// errNoRows to idp.ErrNotFound. Driver messages name constraints, never the
// values that violated them.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, errNoRows) {
		return fmt.Errorf("%s: %w", op, idp.ErrNotFound)
	}
	if errors.Is(err, idp.ErrNotFound) || errors.Is(err, idp.ErrConflict) || errors.Is(err, idp.ErrInvalid) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if sentinel := s.dialect.classify(err); sentinel != nil {
		return fmt.Errorf("%s: %w: %w", op, sentinel, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
