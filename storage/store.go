package storage

import (
	"context"
	"errors"
	"io"
)

// errUnimplemented is returned while a method is being written.
var errUnimplemented = errors.New("storage: not implemented")

// Store is the provider's database, grouped by entity. It is safe for
// concurrent use.
type Store struct {
	Members  *Members
	Clients  *Clients
	Keys     *Keys
	Sessions *Sessions
	Consents *Consents
	Flows    *Flows
	Tokens   *Tokens
}

// Open connects to the database named by dsn. "postgres://" and
// "postgresql://" URLs select PostgreSQL; "sqlite:PATH" or a plain path
// selects an SQLite file, created if missing. Open does not migrate: call
// MigrateUp.
func Open(ctx context.Context, dsn string) (*Store, error) { return nil, errUnimplemented }

// Close releases the connections.
func (s *Store) Close() error { return errUnimplemented }

// Backend names the database: "postgres" or "sqlite".
func (s *Store) Backend() string { return "" }

// MigrateUp applies every pending migration.
func (s *Store) MigrateUp(ctx context.Context) error { return errUnimplemented }

// MigrateDown rolls back the newest applied migration.
func (s *Store) MigrateDown(ctx context.Context) error { return errUnimplemented }

// MigrateStatus writes one line per known migration version to w, saying
// whether it is applied or pending.
func (s *Store) MigrateStatus(ctx context.Context, w io.Writer) error { return errUnimplemented }

// InTx runs fn in one transaction. The transaction travels in the context
// passed to fn: every Store method called with it joins the transaction.
// It commits when fn returns nil and rolls back otherwise. A nested InTx
// joins the outer transaction.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return errUnimplemented
}

// Begin starts a transaction and returns the context that carries it; it is
// InTx split for fosite's storage.Transactional.
func (s *Store) Begin(ctx context.Context) (context.Context, error) { return nil, errUnimplemented }

// Commit commits the transaction carried by ctx.
func (s *Store) Commit(ctx context.Context) error { return errUnimplemented }

// Rollback rolls back the transaction carried by ctx.
func (s *Store) Rollback(ctx context.Context) error { return errUnimplemented }
