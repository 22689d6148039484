package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecurityCommandsRefuseMissingDatabase checks the rule "only serve and
// migrate up create a database; other commands refuse a missing one with a
// message naming the path": run in the wrong directory, members list used
// to create and migrate an empty idp.db and report no members.
func TestSecurityCommandsRefuseMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "idp.db")
	for _, args := range [][]string{
		{"members", "list"},
		{"members", "set-password", "--username", "alice"},
		{"members", "remove", "--username", "alice"},
		{"members", "show", "alice"},
		{"members", "update", "alice", "--name", "A"},
		{"clients", "show", "web"},
		{"clients", "update", "web", "--name", "W"},
		{"clients", "rotate-secret", "web"},
		{"sessions", "list"},
		{"sessions", "revoke", "sid"},
		{"clients", "list"},
		{"clients", "remove", "--id", "web"},
		{"keys", "list"},
		{"keys", "rotate", "--secret", strings.Repeat("k", 32)},
		{"keys", "remove", "kid"},
		{"consents", "list", "--username", "alice"},
		{"migrate", "status"},
		{"migrate", "down"},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			argv := append(append(args[:2:2], "--database", path), args[2:]...)
			msg := idpFails(t, "new-password-1", argv...)
			wantContains(t, msg, "no database at "+path, "--database/IDP_DATABASE_URL")
			for _, p := range []string{path, path + ".secret"} {
				if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("%s: created %s (%v)", strings.Join(args, " "), p, err)
				}
			}
		})
	}
	runOK(t, "", "migrate", "up", "--database", path)
	wantContains(t, runOK(t, "", "members", "list", "--database", path), "EMAIL")
}
