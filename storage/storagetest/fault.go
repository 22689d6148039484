package storagetest

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the driver storage uses, for FailInserts on SQLite

	"github.com/idp/idp/storage"
)

// Backend opens a fresh migrated store and returns it with its DSN.
type Backend func(t testing.TB) (*storage.Store, string)

// SQLiteWithDSN is SQLite, with the DSN of its file.
func SQLiteWithDSN(t testing.TB) (*storage.Store, string) {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "idp.db")
	return open(t, dsn), dsn
}

// PostgresWithDSN is Postgres, with the DSN of its schema.
func PostgresWithDSN(t testing.TB) (*storage.Store, string) {
	t.Helper()
	dsn := PostgresDSN(t)
	return open(t, dsn), dsn
}

// FailInserts makes every insert into table whose column equals value
// fail, with a trigger, until the returned function drops it: a fault a
// test injects into the real database, on a connection of its own, to
// see that a change and the rows written with it roll back together.
// table, column and value must be plain identifiers and words chosen by
// the test.
func FailInserts(t testing.TB, dsn, table, column, value string) (restore func()) {
	t.Helper()
	for _, s := range []string{table, column, value} {
		if strings.ContainsAny(s, "'\"; ") {
			t.Fatalf("storagetest: FailInserts: %q is not a plain word", s)
		}
	}
	name := "fail_" + table
	if storage.IsPostgres(dsn) {
		exec(t, dsn, `CREATE FUNCTION `+name+`() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'injected failure'; END $$`,
			`CREATE TRIGGER `+name+` BEFORE INSERT ON `+table+` FOR EACH ROW
			WHEN (NEW.`+column+` = '`+value+`') EXECUTE FUNCTION `+name+`()`)
		return func() { exec(t, dsn, `DROP TRIGGER `+name+` ON `+table, `DROP FUNCTION `+name+`()`) }
	}
	exec(t, dsn, `CREATE TRIGGER `+name+` BEFORE INSERT ON `+table+`
		WHEN NEW.`+column+` = '`+value+`' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`)
	return func() { exec(t, dsn, `DROP TRIGGER `+name) }
}

// exec runs statements on a connection of its own.
func exec(t testing.TB, dsn string, stmts ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if storage.IsPostgres(dsn) {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatalf("storagetest: %v", err)
		}
		defer conn.Close(ctx)
		for _, s := range stmts {
			if _, err := conn.Exec(ctx, s); err != nil {
				t.Fatalf("storagetest: %s: %v", s, err)
			}
		}
		return
	}
	db, err := sql.Open("sqlite", dsn+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("storagetest: %s: %v", s, err)
		}
	}
}
