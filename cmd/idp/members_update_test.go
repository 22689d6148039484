package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/idp/idp/password"
)

// decodeOne decodes the output of a show command run with --json,
// refusing fields the view type does not know and any secret material.
func decodeOne[T any](t *testing.T, out string) T {
	t.Helper()
	for _, leak := range []string{"$argon2id$", "hash", "sealed", "secret\""} {
		if strings.Contains(strings.ToLower(out), leak) {
			t.Fatalf("--json output holds %q:\n%s", leak, out)
		}
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(out)))
	dec.DisallowUnknownFields()
	var v T
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	return v
}

func TestMembersShowAndUpdate(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		runOK(t, "alice-password", "members", "add", db, "--email", "alice@example.com", "--username", "alice", "--name", "Alice")
		runOK(t, "bob-password", "members", "add", db, "--email", "bob@example.com", "--username", "bob")
		alice := decodeOne[memberJSON](t, runOK(t, "", "members", "show", "alice", db, "--json"))
		if alice.Email != "alice@example.com" || alice.Name != "Alice" || alice.Role != "member" || alice.ID == "" {
			t.Fatalf("members show --json = %+v", alice)
		}
		for _, key := range []string{alice.ID, "ALICE@example.com"} {
			wantContains(t, runOK(t, "", "members", "show", db, key), "Email:", "alice@example.com", "Username:", "alice", "Role:")
		}
		wantContains(t, idpFails(t, "", "members", "show", db, "carol"), "not found")
		wantContains(t, idpFails(t, "", "members", "show", db), "missing argument")

		out := runOK(t, "", "members", "update", "alice", db, "--name", "Alice Liddell", "--role", "admin")
		wantContains(t, out, "updated member "+alice.ID)
		got := decodeOne[memberJSON](t, runOK(t, "", "members", "show", db, alice.ID, "--json"))
		if got.Name != "Alice Liddell" || got.Role != "admin" || got.Email != alice.Email || got.Username != "alice" {
			t.Fatalf("after update: %+v", got)
		}
		// The password is untouched by a profile change.
		if !verifies(t, dsn, "alice@example.com", "alice-password") {
			t.Fatal("members update changed the password")
		}

		msg := idpFails(t, "", "members", "update", "alice", db, "--email", "bob@example.com")
		wantContains(t, msg, "already exists")
		msg = idpFails(t, "", "members", "update", "alice", db, "--email", "nope", "--role", "root")
		wantContains(t, msg, "--email:", `--role: "root"`)
		if got := decodeOne[memberJSON](t, runOK(t, "", "members", "show", db, "alice", "--json")); got != (memberJSON{
			ID: alice.ID, Email: "alice@example.com", Username: "alice", Name: "Alice Liddell", Role: "admin",
			EmailVerified: got.EmailVerified, CreatedAt: got.CreatedAt, UpdatedAt: got.UpdatedAt}) {
			t.Fatalf("a refused update wrote %+v", got)
		}
	})
}

// verifies reports whether the stored password of the member with email
// is pw.
func verifies(t *testing.T, dsn, email, pw string) bool {
	t.Helper()
	m, err := openTestStore(t, dsn).Members.ByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := password.Verify(m.PasswordHash, pw)
	return err == nil && ok
}
