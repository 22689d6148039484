package storage_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

func TestOpenSQLiteDSNs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, dsn := range []string{
		filepath.Join(dir, "plain.db"),
		"sqlite:" + filepath.Join(dir, "prefixed.db"),
		"sqlite://" + filepath.Join(dir, "url.db"),
	} {
		s, err := storage.Open(ctx, dsn)
		if err != nil {
			t.Errorf("Open(%q): %v", dsn, err)
			continue
		}
		if s.Backend() != "sqlite" {
			t.Errorf("Open(%q).Backend() = %q, want sqlite", dsn, s.Backend())
		}
		if err := s.MigrateUp(ctx); err != nil {
			t.Errorf("Open(%q): migrate: %v", dsn, err)
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
	for _, dsn := range []string{"", "sqlite:", ":memory:", "sqlite::memory:", "file::memory:?cache=shared"} {
		if _, err := storage.Open(ctx, dsn); !errors.Is(err, idp.ErrInvalid) {
			t.Errorf("Open(%q) error = %v, want one wrapping ErrInvalid", dsn, err)
		}
	}
}

func TestOpenPostgresHidesPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Nothing listens on port 1.
	_, err := storage.Open(ctx, "postgres://idp:hunter2secret@127.0.0.1:1/idp?connect_timeout=2")
	if err == nil {
		t.Fatal("Open of an unreachable database succeeded")
	}
	if strings.Contains(err.Error(), "hunter2secret") {
		t.Errorf("error reveals the password: %v", err)
	}
}

func TestPostgresBackend(t *testing.T) {
	if b := storagetest.Postgres(t).Backend(); b != "postgres" {
		t.Errorf("Backend() = %q, want postgres", b)
	}
}

// TestInsertFirstAcrossStores stands for replicas starting together on one
// database: separate stores (pools) racing to insert the first key.
func TestInsertFirstAcrossStores(t *testing.T) {
	dsns := map[string]string{
		"sqlite":   filepath.Join(t.TempDir(), "shared.db"),
		"postgres": storagetest.PostgresDSN(t),
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) { insertFirstAcrossStores(t, dsn) })
	}
}

func insertFirstAcrossStores(t *testing.T, dsn string) {
	ctx := context.Background()
	const n = 4
	stores := make([]*storage.Store, n)
	for i := range stores {
		s, err := storage.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		stores[i] = s
	}
	// Replicas migrate concurrently too.
	var wg sync.WaitGroup
	errs := make([]error, n)
	inserted := make([]bool, n)
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = s.MigrateUp(ctx); errs[i] != nil {
				return
			}
			key := idp.SigningKey{ID: fmt.Sprintf("k%d", i), Algorithm: "RS256", Sealed: []byte{1}}
			inserted[i], errs[i] = s.Keys.InsertFirst(ctx, key)
		}()
	}
	wg.Wait()
	wins := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("store %d: %v", i, errs[i])
		}
		if inserted[i] {
			wins++
		}
	}
	if wins != 1 {
		t.Errorf("%d stores inserted the first key, want exactly 1", wins)
	}
	keys, err := stores[0].Keys.List(ctx)
	if err != nil || len(keys) != 1 {
		t.Errorf("stored keys = %v, %v; want exactly one", keys, err)
	}
}

// TestDSNParsing pins the prefixes Open and the command line both read.
func TestDSNParsing(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://u@h/db": "", "postgresql://u@h/db": "",
		"idp.db": "idp.db", "sqlite:idp.db": "idp.db", "sqlite:///var/idp.db?_x=1": "/var/idp.db",
	} {
		if got := storage.SQLitePath(dsn); got != want {
			t.Errorf("SQLitePath(%q) = %q, want %q", dsn, got, want)
		}
		if pg := storage.IsPostgres(dsn); pg != (want == "") {
			t.Errorf("IsPostgres(%q) = %v", dsn, pg)
		}
	}
}
