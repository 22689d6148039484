package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"github.com/idp/idp/storage"
)

// defaultDatabase is an SQLite file in the working directory, so a first
// run needs no setup.
const defaultDatabase = "idp.db"

// databaseVar registers --database on fs.
func databaseVar(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "database", defaultDatabase,
		"database: postgres://… for PostgreSQL, sqlite:PATH or a plain path for SQLite")
}

// checkDatabase reports a problem with the --database value, if any.
func checkDatabase(dsn string) error {
	if dsn == "" || (!storage.IsPostgres(dsn) && storage.SQLitePath(dsn) == "") {
		return fmt.Errorf("%s: required", setting("database"))
	}
	return nil
}

// errNoDatabase means an administrative command was pointed at an SQLite
// file that does not exist.
var errNoDatabase = errors.New("no database")

// requireDatabase refuses an SQLite file that does not exist. Only serve
// and migrate up create a database: any other command run in the wrong
// directory, or with a mistyped path, would otherwise create and migrate a
// new empty one and act on it as if it were the real one.
func requireDatabase(dsn string) error {
	if storage.IsPostgres(dsn) {
		return nil
	}
	path := storage.SQLitePath(dsn)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w at %s; create it with idp migrate up or idp serve, or point %s at the right file",
			setting("database"), errNoDatabase, path, setting("database"))
	} else if err != nil {
		return fmt.Errorf("%s: %w", setting("database"), err)
	}
	return nil
}

// openStore opens an existing database for an administrative command and
// applies pending migrations. A missing SQLite file is refused (see
// requireDatabase). The caller closes the store.
func openStore(ctx context.Context, dsn string) (*storage.Store, error) {
	if err := requireDatabase(dsn); err != nil {
		return nil, err
	}
	return createStore(ctx, dsn)
}

// createStore opens the database, creating an SQLite file when missing,
// and applies pending migrations: what serve does on first start. The
// caller closes the store.
func createStore(ctx context.Context, dsn string) (*storage.Store, error) {
	store, err := storage.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := store.MigrateUp(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("migrate database: %w", err), store.Close())
	}
	return store, nil
}

// withStore opens the database, runs fn and closes the database.
func withStore(ctx context.Context, dsn string, fn func(*storage.Store) error) error {
	store, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	return errors.Join(fn(store), store.Close())
}
