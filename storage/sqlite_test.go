package storage_test

import (
	"testing"

	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/conformance"
	"github.com/idp/idp/storage/storagetest"
)

func TestSQLite(t *testing.T) {
	conformance.Run(t, func(t *testing.T) *storage.Store { return storagetest.SQLite(t) })
}
