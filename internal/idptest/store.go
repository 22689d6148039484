package idptest

import (
	"testing"

	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// EachStore runs fn as the subtests "sqlite" and "postgres". fn opens the
// store itself, through open, so it can open more than one (a replica, a
// second provider); each open is a fresh migrated store. PostgreSQL skips
// or fails as storagetest says.
func EachStore(t *testing.T, fn func(t *testing.T, open func(testing.TB) *storage.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, storagetest.SQLite) })
	t.Run("postgres", func(t *testing.T) { fn(t, storagetest.Postgres) })
}
