// Package storagetest opens migrated stores for tests: a fresh SQLite file,
// or a fresh schema in a PostgreSQL database, each removed when the test
// ends. Tests of other packages use it to run against the real store rather
// than a mock.
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/idp/idp/storage"
	"github.com/jackc/pgx/v5"
)

// DefaultDatabaseURL is the PostgreSQL database used when
// IDP_TEST_DATABASE_URL is unset.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// SQLite returns a migrated store in a fresh file under t.TempDir(), closed
// in t.Cleanup.
func SQLite(t testing.TB) *storage.Store {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "idp.db"))
}

// PostgresDSN creates a fresh schema with a random name in the database at
// IDP_TEST_DATABASE_URL (default DefaultDatabaseURL) and returns a DSN whose
// connections use it (search_path), so tests run in parallel without
// seeing each other's rows. The schema is dropped in t.Cleanup.
//
// When PostgreSQL is unreachable the test is skipped with a message saying
// so, unless IDP_TEST_REQUIRE_POSTGRES=1, in which case it fails.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("IDP_TEST_DATABASE_URL")
	if base == "" {
		base = DefaultDatabaseURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		msg := "storagetest: PostgreSQL unreachable (set IDP_TEST_DATABASE_URL): %v"
		if os.Getenv("IDP_TEST_REQUIRE_POSTGRES") == "1" {
			t.Fatalf(msg, err)
		}
		t.Skipf(msg, err)
	}
	defer conn.Close(ctx)
	schema := "idptest_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storagetest: create schema: %v", err)
	}
	t.Cleanup(func() { dropSchema(t, base, schema) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storagetest: IDP_TEST_DATABASE_URL is not a URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func dropSchema(t testing.TB, base, schema string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Errorf("storagetest: drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		t.Errorf("storagetest: drop schema %s: %v", schema, err)
	}
}

// Postgres returns a migrated store on PostgresDSN(t), closed in t.Cleanup.
func Postgres(t testing.TB) *storage.Store {
	t.Helper()
	return open(t, PostgresDSN(t))
}

// Each runs fn as the subtests "sqlite" and "postgres", each with a fresh
// migrated store.
func Each(t *testing.T, fn func(t *testing.T, s *storage.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

func open(t testing.TB, dsn string) *storage.Store {
	t.Helper()
	ctx := context.Background()
	s, err := storage.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("storagetest: %v", err)
		}
	})
	if err := s.MigrateUp(ctx); err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
