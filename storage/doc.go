// Package storage is the provider's only gateway to the database: every SQL
// statement of the project lives here.
//
// One implementation serves two backends, PostgreSQL (native pgx through
// pgxpool, whose statement cache prepares each query once per connection)
// and an embedded SQLite file (modernc.org/sqlite through database/sql),
// behind a small private querier interface and an explicit dialect that
// holds the few things that differ: lock statements, text ordering and how
// driver errors are classified. Both accept $n placeholders and
// INSERT ... ON CONFLICT, so the queries are written once. Table
// definitions live only in the versioned files of package migrations.
//
// The store holds no policy. It stores and finds atomically; the provider
// decides what a reused code or an expired session means.
//
// # Errors
//
// Errors are prefixed with the operation ("members: by email: ...") and
// wrap, where the caller can act on it:
//
//   - idp.ErrNotFound: no row has the key, or a write references a row
//     that does not exist (a foreign key: a session for an unknown member);
//   - idp.ErrConflict: a unique value is taken, a conditional update lost
//     (Tokens.Deactivate), PostgreSQL aborted a transaction to serialise it
//     or break a deadlock (SQLSTATE 40001, 40P01), or the SQLite write lock
//     stayed busy past the busy timeout.
//
// They never include secrets, password hashes or token signatures: driver
// messages name constraints, not the values that broke them.
//
// # Transactions
//
// Transactions travel in the context: Store.InTx and Store.Begin return a
// context that every method of the store joins when called with it.
// SQLite allows one writer at a time; the store queues this process's
// writers in Go and starts transactions with BEGIN IMMEDIATE, so writes do
// not deadlock and readers never wait (WAL).
//
// # Values
//
// Times are normalised to UTC and truncated to microseconds on the way in,
// so both backends return identical values that compare equal with ==.
// List fields are JSON arrays; nil and empty lists both come back nil, and
// so do empty byte slices.
package storage
