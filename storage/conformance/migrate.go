package conformance

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

func testMigrations(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	status := func() string {
		t.Helper()
		var buf bytes.Buffer
		must(t, s.MigrateStatus(ctx, &buf))
		return buf.String()
	}
	if st := status(); !regexp.MustCompile(`(?m)^00001 +applied \S+ +00001_init\.sql$`).MatchString(st) {
		t.Errorf("status after up:\n%s", st)
	}
	mustMember(t, s, "before@example.com")

	// MigrateDown rolls back the newest migration: repeat it to the start.
	for i := 0; ; i++ {
		err := s.MigrateDown(ctx)
		if errors.Is(err, idp.ErrNotFound) {
			break
		}
		must(t, err)
		if i > 1000 {
			t.Fatal("MigrateDown never reached the first version")
		}
	}
	if st := status(); !regexp.MustCompile(`(?m)^00001 +pending +00001_init\.sql$`).MatchString(st) {
		t.Errorf("status after down:\n%s", st)
	}
	if _, err := s.Members.List(ctx); err == nil {
		t.Error("members table still there after MigrateDown")
	}

	must(t, s.MigrateUp(ctx))
	must(t, s.MigrateUp(ctx)) // nothing pending: a no-op
	list, err := s.Members.List(ctx)
	must(t, err)
	if len(list) != 0 {
		t.Errorf("members after down and up = %d, want 0", len(list))
	}
	mustMember(t, s, "after@example.com")
}
