// Package storagetest opens migrated stores for tests: a fresh SQLite file,
// or a fresh schema in a PostgreSQL database.
package storagetest

import (
	"testing"

	"github.com/idp/idp/storage"
)

// SQLite returns a migrated store in a fresh file under t.TempDir(), closed
// in t.Cleanup.
func SQLite(t testing.TB) *storage.Store {
	t.Helper()
	t.Fatal("storagetest: not implemented")
	return nil
}

// PostgresDSN creates a fresh schema in the database at
// IDP_TEST_DATABASE_URL and returns a DSN whose connections use it.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	t.Skip("storagetest: not implemented")
	return ""
}

// Postgres returns a migrated store on PostgresDSN(t).
func Postgres(t testing.TB) *storage.Store {
	t.Helper()
	t.Skip("storagetest: not implemented")
	return nil
}

// Each runs fn as a subtest on each backend.
func Each(t *testing.T, fn func(t *testing.T, s *storage.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}
