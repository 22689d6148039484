package main

import (
	"context"
	"strings"
	"testing"

	"github.com/idp/idp/password"
)

func TestMembers(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		out := runOK(t, "alice-password\n", "members", "add", db,
			"--email", "alice@example.com", "--username", "alice", "--name", "Alice Example", "--role", "admin")
		wantContains(t, out, "added member", "alice@example.com")
		runOK(t, "bob-password", "members", "add", db, "--email", "bob@example.com", "--username", "bob", "--name", "Bob")

		list := runOK(t, "", "members", "list", db)
		wantContains(t, list, "EMAIL", "alice@example.com", "alice", "Alice Example", "admin", "bob@example.com", "member")
		if strings.Contains(list, "$argon2id$") {
			t.Fatal("members list prints password hashes")
		}

		msg := idpFails(t, "carol-password\n", "members", "add", db, "--email", "ALICE@example.com", "--username", "carol")
		wantContains(t, msg, "a member with email ALICE@example.com already exists")
		if strings.Contains(msg, "constraint") {
			t.Fatalf("the driver's error leaks: %s", msg)
		}

		runOK(t, "new-password\r\n", "members", "set-password", db, "--username", "alice")
		s := openTestStore(t, dsn)
		m, err := s.Members.ByEmail(context.Background(), "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := password.Verify(m.PasswordHash, "new-password"); err != nil || !ok {
			t.Fatalf("the new password does not verify: %v, %v", ok, err)
		}

		runOK(t, "", "members", "remove", db, "--email", "alice@example.com")
		list = runOK(t, "", "members", "list", db)
		if strings.Contains(list, "alice@example.com") || !strings.Contains(list, "bob@example.com") {
			t.Fatalf("after removing alice:\n%s", list)
		}
		wantContains(t, idpFails(t, "", "members", "remove", db, "--email", "alice@example.com"), "not found")
	})
}

func TestMembersRefuse(t *testing.T) {
	db := "--database=" + emptyDatabase(t)
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        []string
	}{
		{"every flag problem at once", "alice-password",
			[]string{"members", "add", db, "--email", "not-an-email", "--username", "a b", "--role", "root"},
			[]string{"--email:", "--username:", `--role: "root"`}},
		{"short password", "short\n",
			[]string{"members", "add", db, "--email", "a@example.com", "--username", "a"},
			[]string{"password: must be 8 to 1024 characters"}},
		{"no password", "",
			[]string{"members", "add", db, "--email", "a@example.com", "--username", "a"},
			[]string{"read password from standard input: empty"}},
		{"two selectors", "new-password",
			[]string{"members", "set-password", db, "--email", "a@example.com", "--username", "a"},
			[]string{"--email or --username: give exactly one"}},
		{"no selector", "",
			[]string{"members", "remove", db},
			[]string{"give exactly one"}},
		{"password flag", "",
			[]string{"members", "add", db, "--email", "a@example.com", "--username", "a", "--password", "x"},
			[]string{"flag provided but not defined: -password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := idpFails(t, tc.stdin, tc.args...)
			wantContains(t, msg, tc.want...)
			if strings.Contains(msg, tc.stdin) && tc.stdin != "" {
				t.Errorf("the error echoes the password: %s", msg)
			}
		})
	}
}

func TestMembersFromEnvironment(t *testing.T) {
	dsn := emptyDatabase(t)
	inv := invocation{env: map[string]string{"IDP_DATABASE_URL": dsn}, stdin: "dave-password"}
	if _, stderr, err := inv.run(t, "members", "add", "--email", "dave@example.com", "--username", "dave"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	wantContains(t, runOK(t, "", "members", "list", "--database", dsn), "dave@example.com")
}
