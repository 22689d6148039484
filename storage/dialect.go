package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

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
	// lockChallenges is lockFlows for WebAuthnChallenges.Put.
	lockChallenges string
	// forUpdate ends a SELECT of one row that a read-modify-write will
	// change, locking the row until the transaction ends; empty where the
	// write transaction already holds the only write lock (SQLite).
	forUpdate string
	// bytewise follows an ORDER BY expression so text sorts byte by byte,
	// as Go's sort.Strings does, whatever the database's collation.
	bytewise string
	// classify maps a driver error to the sentinel it means, or nil.
	classify func(error) error
	// violated names the unique constraint a driver error broke, in the
	// backend's own spelling, or "".
	violated func(error) string
}

// advisoryKey is a PostgreSQL advisory lock key private to this schema, so
// stores in different schemas of one database do not wait for each other.
func advisoryKey(name string) string {
	return "hashtextextended('idp." + name + ".' || current_schema(), 0)"
}

var postgresDialect = dialect{
	name:           "postgres",
	lockKeys:       "SELECT pg_advisory_xact_lock(" + advisoryKey("signing_keys") + ")",
	lockFlows:      "SELECT pg_advisory_xact_lock(hashtextextended('idp.flows.' || current_schema() || '.' || $1, 0))",
	lockChallenges: "SELECT pg_advisory_xact_lock(hashtextextended('idp.webauthn_challenges.' || current_schema() || '.' || $1, 0))",
	forUpdate:      ` FOR UPDATE`,
	bytewise:       ` COLLATE "C"`,
	classify:       classifyPostgres,
	violated:       violatedPostgres,
}

var sqliteDialect = dialect{
	name:     "sqlite",
	classify: classifySQLite,
	violated: violatedSQLite,
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
	case "53300", // too_many_connections
		"57P01", // admin_shutdown
		"57P02", // crash_shutdown
		"57P03": // cannot_connect_now: starting up or shutting down
		return idp.ErrUnavailable
	}
	if strings.HasPrefix(pe.Code, "08") { // connection_exception
		return idp.ErrUnavailable
	}
	return nil
}

// unreachable reports whether err means the database could not be reached
// or did not answer in time, rather than that it refused the statement:
// a failed connect, a connection lost mid-statement, or a deadline.
func unreachable(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ce), errors.As(err, &ne):
		return true
	case errors.As(err, &pe):
		return false // the server answered
	}
	// A connection that died under a statement: pgx reports EOF, a closed
	// connection or a timeout; SafeToRetry marks errors before any byte
	// reached the server.
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.Timeout(err) ||
		pgconn.SafeToRetry(err) || errors.Is(err, net.ErrClosed)
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

// violatedPostgres returns the constraint of a unique_violation.
func violatedPostgres(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName
	}
	return ""
}

// violatedSQLite returns what SQLite names in a unique violation: an
// expression index ("members_email_key") or the columns ("clients.id").
func violatedSQLite(err error) string {
	var se *sqlite.Error
	if !errors.As(err, &se) ||
		(se.Code() != sqlite3.SQLITE_CONSTRAINT_UNIQUE && se.Code() != sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return ""
	}
	_, what, ok := strings.Cut(se.Error(), "UNIQUE constraint failed: ")
	if !ok {
		return ""
	}
	if i := strings.LastIndex(what, " ("); i >= 0 { // the result code
		what = what[:i]
	}
	if name, ok := strings.CutPrefix(what, "index '"); ok {
		return strings.TrimSuffix(name, "'")
	}
	return what
}

// uniqueKeys names, under both backends' spellings, the unique constraints
// an operator can run into, with the record kind and field a
// DuplicateError reports.
var uniqueKeys = map[string][2]string{
	"members_email_key":    {"member", "email"},
	"members_username_key": {"member", "username"},
	"members.username":     {"member", "username"},
	"members_pkey":         {"member", "id"},
	"members.id":           {"member", "id"},
	"clients_pkey":         {"client", "id"},
	"clients.id":           {"client", "id"},
}

// wrapUnique is wrap for writes of records with unique fields: a unique
// violation of a known constraint becomes an *idp.DuplicateError naming the
// field and its value, taken from values by field name.
func (s *Store) wrapUnique(op string, err error, values map[string]string) error {
	if key, ok := uniqueKeys[s.dialect.violated(err)]; ok && err != nil {
		return fmt.Errorf("%s: %w", op, &idp.DuplicateError{Kind: key[0], Field: key[1], Value: values[key[1]]})
	}
	return s.wrap(op, err)
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
	if errors.Is(err, idp.ErrNotFound) || errors.Is(err, idp.ErrConflict) || errors.Is(err, idp.ErrInvalid) ||
		errors.Is(err, idp.ErrUnavailable) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if sentinel := s.dialect.classify(err); sentinel != nil {
		return fmt.Errorf("%s: %w: %w", op, sentinel, err)
	}
	if unreachable(err) {
		return fmt.Errorf("%s: %w: %w", op, idp.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
