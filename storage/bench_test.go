package storage_test

import (
	"testing"

	"github.com/idp/idp/storage/conformance"
	"github.com/idp/idp/storage/storagetest"
)

func BenchmarkTokensCreate(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { conformance.BenchmarkTokensCreate(b, storagetest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { conformance.BenchmarkTokensCreate(b, storagetest.Postgres(b)) })
}
