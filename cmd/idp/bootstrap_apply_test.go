package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/password"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

func mustParseBootstrap(t *testing.T, doc string) *bootstrap {
	t.Helper()
	b, err := parseBootstrap("b.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustApply(t *testing.T, s *storage.Store, b *bootstrap, want bootstrapCounts) {
	t.Helper()
	n, err := applyBootstrap(context.Background(), s, b)
	if err != nil {
		t.Fatalf("applyBootstrap: %v", err)
	}
	if n != want {
		t.Fatalf("applyBootstrap = %+v, want %+v", n, want)
	}
}

func TestApplyBootstrapIsIdempotent(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := mustParseBootstrap(t, string(readTestdata(t, "bootstrap.yaml")))
		mustApply(t, s, b, bootstrapCounts{created: 5})
		first, firstMembers := listAll(t, s)

		mustApply(t, s, b, bootstrapCounts{unchanged: 5})
		second, secondMembers := listAll(t, s)
		for i := range first {
			if !first[i].UpdatedAt.Equal(second[i].UpdatedAt) || first[i].SecretHash != second[i].SecretHash {
				t.Errorf("client %s changed on the second run", first[i].ID)
			}
		}
		for i := range firstMembers {
			if !firstMembers[i].UpdatedAt.Equal(secondMembers[i].UpdatedAt) ||
				firstMembers[i].PasswordHash != secondMembers[i].PasswordHash {
				t.Errorf("member %s changed on the second run", firstMembers[i].Email)
			}
		}

		rp, err := s.Clients.ByID(ctx, "demo-rp")
		if err != nil || clients.NewVerifier(nil, 1).Verify(rp.SecretHash, "demo-rp-secret") != nil {
			t.Fatalf("demo-rp = %+v, %v; want the file's secret to verify", rp, err)
		}
		alice, err := s.Members.ByEmail(ctx, "alice@example.com")
		if ok, _ := password.Verify(alice.PasswordHash, "alice-password"); err != nil || !ok || alice.Role != idp.RoleAdmin {
			t.Fatalf("alice = %+v, %v; want an admin whose password verifies", alice, err)
		}
	})
}

func listAll(t *testing.T, s *storage.Store) ([]idp.Client, []idp.Member) {
	t.Helper()
	cs, err := s.Clients.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ms, err := s.Members.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cs, ms
}

func TestApplyBootstrapUpdates(t *testing.T) {
	s := storagetest.SQLite(t)
	ctx := context.Background()
	const before = "clients:\n  - id: a\n    secret: old-secret-0123456789-0123456789\n    redirect_uris: [https://a.example/cb]\n" +
		"members:\n  - email: m@example.com\n    username: m\n    password: old-password\n"
	mustApply(t, s, mustParseBootstrap(t, before), bootstrapCounts{created: 2})
	oldMember, _ := s.Members.ByEmail(ctx, "m@example.com")

	after := strings.NewReplacer("old-secret", "new-secret", "old-password", "new-password",
		"username: m", "username: m2").Replace(before)
	mustApply(t, s, mustParseBootstrap(t, after), bootstrapCounts{updated: 2})
	a, _ := s.Clients.ByID(ctx, "a")
	if err := clients.NewVerifier(nil, 1).Verify(a.SecretHash, "new-secret-0123456789-0123456789"); err != nil {
		t.Fatalf("new client secret: %v", err)
	}
	m, _ := s.Members.ByEmail(ctx, "m@example.com")
	if ok, _ := password.Verify(m.PasswordHash, "new-password"); !ok || m.Username != "m2" || m.ID != oldMember.ID {
		t.Fatalf("member = %+v; want the same member with the new username and password", m)
	}

	// Dropping the secret makes the client public.
	public := "clients:\n  - id: a\n    redirect_uris: [https://a.example/cb]\n"
	mustApply(t, s, mustParseBootstrap(t, public), bootstrapCounts{updated: 1})
	if a, _ = s.Clients.ByID(ctx, "a"); !a.Public() || a.TokenEndpointAuthMethod != idp.AuthMethodNone {
		t.Fatalf("client = %+v; want it public", a)
	}
}

// TestApplyBootstrapIsAtomic checks that a file that fails halfway, here
// on a username another member holds, leaves nothing behind.
func TestApplyBootstrapIsAtomic(t *testing.T) {
	s := storagetest.SQLite(t)
	ctx := context.Background()
	mustApply(t, s, mustParseBootstrap(t, "members:\n  - email: x@example.com\n    username: taken\n    password: x-password\n"),
		bootstrapCounts{created: 1})
	doc := "clients:\n  - id: new-client\n    secret: s\n    insecure_demo_secret: true\n    redirect_uris: [https://a.example/cb]\n" +
		"members:\n  - email: y@example.com\n    username: taken\n    password: y-password\n"
	_, err := applyBootstrap(ctx, s, mustParseBootstrap(t, doc))
	if err == nil || !strings.Contains(err.Error(), "members[0] (y@example.com)") {
		t.Fatalf("applyBootstrap = %v; want a conflict naming the entry", err)
	}
	if _, err := s.Clients.ByID(ctx, "new-client"); err == nil {
		t.Fatal("the client of a failed bootstrap was stored")
	}
}

func TestApplyBootstrapFileNamesTheFile(t *testing.T) {
	s := storagetest.SQLite(t)
	path := filepath.Join(t.TempDir(), "bootstrap.yaml")
	if err := os.WriteFile(path, []byte("clients:\n  - id: demo-rp\n    redirect_uris: [http://evil.example/cb]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := applyBootstrapFile(context.Background(), s, path, testSecret, slog.New(slog.DiscardHandler))
	want := path + `: clients[0] (demo-rp): redirect_uris[0]: "http://evil.example/cb": http is allowed only for loopback or localhost hosts`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant %s", err, want)
	}
}

// TestApplyBootstrapFileReplicas starts two replicas on one database at
// once, both applying the bootstrap file: both must start.
func TestApplyBootstrapFileReplicas(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		first := openTestStore(t, dsn)
		if err := first.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		stores := []*storage.Store{first, openTestStore(t, dsn)}
		errs := make(chan error, len(stores))
		for _, s := range stores {
			go func() {
				_, err := applyBootstrapFile(ctx, s, "testdata/bootstrap.yaml", testSecret, slog.New(slog.DiscardHandler))
				errs <- err
			}()
		}
		for range stores {
			if err := <-errs; err != nil {
				t.Errorf("replica: %v", err)
			}
		}
		if cs, ms := listAll(t, first); len(cs) != 3 || len(ms) != 2 {
			t.Fatalf("%d clients and %d members; want 3 and 2", len(cs), len(ms))
		}
	})
}

// testSecret is the system secret the bootstrap tests seal totp_secret
// values under.
var testSecret = []byte("0123456789abcdef0123456789abcdef-bootstrap-test")
