package provider_test

import (
	"errors"
	"testing"

	"golang.org/x/oauth2"

	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

func openSQLite(t testing.TB) *storage.Store { return storagetest.SQLite(t) }

func asRetrieveError(err error, re **oauth2.RetrieveError) bool { return errors.As(err, re) }
