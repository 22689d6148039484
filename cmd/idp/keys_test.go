package main

import (
	"errors"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
)

var addedKey = regexp.MustCompile(`added key (\S+), signing from (\S+)`)

func TestKeys(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		runOK(t, "", "migrate", "up", db)
		secretArgs := []string{"--secret", strings.Repeat("k", 32)}
		rotate := append([]string{"keys", "rotate", db, "--activate-after", "1h"}, secretArgs...)
		first := addedKey.FindStringSubmatch(runOK(t, "", rotate...))
		second := addedKey.FindStringSubmatch(runOK(t, "", rotate...))
		if first == nil || second == nil || first[1] == second[1] {
			t.Fatalf("rotate printed %q and %q; want two different key IDs", first, second)
		}
		list := runOK(t, "", "keys", "list", db)
		wantContains(t, list, "KID", first[1], second[1], "RS256", second[2])
		if strings.Index(list, second[1]) > strings.Index(list, first[1]) {
			t.Fatalf("keys list:\n%s\nwant the newest key first", list)
		}
		// Both wait an hour; the ring signs with the older one until then.
		wantContains(t, list, "STATE", second[1]+"  next", first[1]+"  active")
	})
}

func TestKeysRotateRefuses(t *testing.T) {
	msg := idpFails(t, "", "keys", "rotate", "--database", "postgres://127.0.0.1:1/x", "--activate-after", "-1m")
	wantContains(t, msg, "--secret/IDP_SECRET: required with PostgreSQL", "--activate-after: must not be negative")
}

// TestKeysRotateRefusesEarlyActivation: a key must not sign before every
// replica has reloaded its keys and every cached JWKS has expired, so
// --activate-after below that is refused, naming the flag and the
// minimum, and nothing is written.
func TestKeysRotateRefusesEarlyActivation(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		runOK(t, "", "migrate", "up", db)
		secret := "--secret=" + strings.Repeat("k", 32)
		for _, after := range []string{"0s", "30s", "89s"} {
			msg := idpFails(t, "", "keys", "rotate", db, secret, "--activate-after", after)
			wantContains(t, msg, "--activate-after: must be at least 1m30s")
		}
		if list := runOK(t, "", "keys", "list", db); strings.Contains(list, "RS256") {
			t.Fatalf("keys list after refused rotations:\n%s\nwant no key", list)
		}
		runOK(t, "", "keys", "rotate", db, secret, "--activate-after", "90s")
	})
}

// TestSecurityKeysRotateProvesTheSecret checks the rule "a command that
// writes sealed material first proves the secret opens the existing keys,
// and refuses otherwise", naming the setting: a key sealed with the wrong
// secret would stop the next idp serve.
func TestSecurityKeysRotateProvesTheSecret(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		runOK(t, "", "migrate", "up", db)
		right, wrong := strings.Repeat("r", 32), strings.Repeat("w", 32)
		first := addedKey.FindStringSubmatch(runOK(t, "", "keys", "rotate", db, "--secret", right))
		msg := idpFails(t, "", "keys", "rotate", db, "--secret", wrong)
		wantContains(t, msg, "--secret/IDP_SECRET", "does not open", first[1], "nothing was written")
		if strings.Contains(msg, wrong) {
			t.Fatalf("the error echoes the secret: %s", msg)
		}
		list := runOK(t, "", "keys", "list", db)
		if n := strings.Count(list, "RS256"); n != 1 {
			t.Fatalf("keys list after a refused rotation:\n%s\nwant 1 key", list)
		}
		runOK(t, "", "keys", "rotate", db, "--secret", right)
	})
}

// TestSecurityKeysRotateNeverGeneratesTheSecret checks that keys rotate on
// SQLite without --secret uses the secret file serve created and refuses
// when there is none, instead of sealing with a freshly generated secret.
func TestSecurityKeysRotateNeverGeneratesTheSecret(t *testing.T) {
	dsn := newDatabase(t)
	msg := idpFails(t, "", "keys", "rotate", "--database", dsn)
	wantContains(t, msg, "--secret/IDP_SECRET", dsn+".secret")
	if _, err := os.Stat(dsn + ".secret"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("keys rotate created the secret file: %v", err)
	}
}

// TestKeysRemove checks idp keys remove: it removes a key that is not the
// active one and refuses the active one, which every replica signs with.
func TestKeysRemove(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		runOK(t, "", "migrate", "up", db)
		secret := "--secret=" + strings.Repeat("k", 32)
		active := addedKey.FindStringSubmatch(runOK(t, "", "keys", "rotate", db, secret, "--activate-after", "90s"))
		next := addedKey.FindStringSubmatch(runOK(t, "", "keys", "rotate", db, secret, "--activate-after", "1h"))
		wantContains(t, idpFails(t, "", "keys", "remove", db, "--kid", active[1]), "active signing key")
		wantContains(t, idpFails(t, "", "keys", "remove", db, "--", "no-such-kid"), "not found")
		wantContains(t, idpFails(t, "", "keys", "remove", db), "give exactly one key ID")
		wantContains(t, runOK(t, "", "keys", "remove", db, "--", next[1]), "removed key "+next[1])
		list := runOK(t, "", "keys", "list", db)
		if strings.Contains(list, next[1]) || !strings.Contains(list, active[1]) {
			t.Fatalf("keys list after remove:\n%s", list)
		}
		removed := auditRows(t, db, "--type", "key.removed")
		if len(removed) != 1 || removed[0].Detail["kid"] != next[1] || removed[0].Actor != actorCLI {
			t.Fatalf("key.removed events = %+v; want one for %s by cli (none for the refused removals)", removed, next[1])
		}
	})
}

// TestKeysRotateByAlgorithm: --alg rotates the key of one algorithm; each
// algorithm has its own active key, shown as such, and an unknown
// algorithm is refused naming the flag, writing nothing.
func TestKeysRotateByAlgorithm(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		runOK(t, "", "migrate", "up", db)
		secret := "--secret=" + strings.Repeat("k", 32)
		rs := addedKey.FindStringSubmatch(runOK(t, "", "keys", "rotate", db, secret))
		es := addedKey.FindStringSubmatch(runOK(t, "", "keys", "rotate", db, secret, "--alg", "ES256"))
		ed := addedKey.FindStringSubmatch(runOK(t, "", "keys", "rotate", db, secret, "--alg", "EdDSA"))
		if rs == nil || es == nil || ed == nil {
			t.Fatal("rotate printed no key")
		}
		list := runOK(t, "", "keys", "list", db)
		// Each is its algorithm's only key: all three sign from their
		// activation (the oldest key of an algorithm signs until then).
		wantContains(t, list, rs[1]+"  active", es[1]+"  active", ed[1]+"  active", "ES256", "EdDSA")
		for _, alg := range []string{"HS256", "none", "es256"} {
			wantContains(t, idpFails(t, "", "keys", "rotate", db, secret, "--alg", alg), "--alg:", alg)
		}
		if n := strings.Count(runOK(t, "", "keys", "list", db), "  active"); n != 3 {
			t.Fatalf("after refused rotations: %d active keys, want 3", n)
		}
	})
}
