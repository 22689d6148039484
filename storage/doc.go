// Package storage is the provider's only gateway to the database: every SQL
// statement of the project lives here.
//
// One implementation serves two backends, PostgreSQL (native pgx through
// pgxpool) and an embedded SQLite file (modernc.org/sqlite through
// database/sql), behind a small private querier interface and an explicit
// dialect that holds the few things that differ: lock statements and how
// errors are classified. Table definitions live only in the versioned files
// of package migrations.
//
// The store holds no policy. It stores and finds atomically; the provider
// decides what a reused code or an expired session means. Errors wrap
// idp.ErrNotFound (no such row), idp.ErrConflict (a unique value is taken, a
// conditional update lost, or the database aborted the transaction to break
// a deadlock) and are prefixed with the operation. They never include
// secrets, password hashes or token signatures.
//
// Transactions travel in the context: Store.InTx and Store.Begin return a
// context that every method of the store joins when called with it.
//
// Times are normalised to UTC and truncated to microseconds on the way in,
// so both backends return identical values.
package storage
