package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// invocation is one run of the command.
type invocation struct {
	env   map[string]string
	stdin string
}

// run runs idp with args and returns what it wrote and its error.
func (inv invocation) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut syncBuffer
	err = run(context.Background(), args, func(k string) string { return inv.env[k] },
		strings.NewReader(inv.stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// runOK runs a command that must succeed and returns its standard output.
func runOK(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := invocation{stdin: stdin}.run(t, args...)
	if err != nil {
		t.Fatalf("idp %s: %v\nstderr:\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// idpFails runs a command that must fail and returns its error message.
func idpFails(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, _, err := invocation{stdin: stdin}.run(t, args...)
	if err == nil {
		t.Fatalf("idp %s succeeded; want an error\nstdout:\n%s", strings.Join(args, " "), out)
	}
	return err.Error()
}

// eachDatabase runs fn as the subtests "sqlite", on an empty database
// file in a fresh directory, and "postgres", in a fresh schema.
func eachDatabase(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, emptyDatabase(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, storagetest.PostgresDSN(t))
	})
}

// openTestStore opens the database a command wrote, to check what it
// stored.
func openTestStore(t *testing.T, dsn string) *storage.Store {
	t.Helper()
	s, err := storage.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func wantContains(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("got:\n%s\nwant it to contain %q", got, w)
		}
	}
}

func TestUsage(t *testing.T) {
	_, stderr, err := invocation{}.run(t)
	if !errors.Is(err, errUsage) {
		t.Fatalf("idp with no command: %v; want errUsage", err)
	}
	wantContains(t, stderr, "serve", "migrate", "members", "clients", "keys")
	if _, _, err := (invocation{}).run(t, "members", "add", "-h"); err != nil {
		t.Fatalf("-h: %v; want nil", err)
	}
	msg := idpFails(t, "", "members", "list", "stray")
	wantContains(t, msg, `unexpected argument "stray"`)
}

// newDatabase returns the path of a new, migrated SQLite database.
func newDatabase(t *testing.T) string {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "idp.db")
	runOK(t, "", "migrate", "up", "--database", dsn)
	return dsn
}

// withTestStore opens the database dsn for fn and closes it afterwards.
func withTestStore(t *testing.T, dsn string, fn func(*storage.Store)) {
	t.Helper()
	fn(openTestStore(t, dsn))
}

// emptyDatabase returns the path of an existing, empty SQLite database: a
// file of zero bytes, which SQLite opens as a database without tables.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "idp.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
