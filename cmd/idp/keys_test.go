package main

import (
	"regexp"
	"strings"
	"testing"
)

var addedKey = regexp.MustCompile(`added key (\S+), signing from (\S+)`)

func TestKeys(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		var secretArgs []string
		if isPostgres(dsn) {
			secretArgs = []string{"--secret", strings.Repeat("k", 32)}
		}
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
	})
}

func TestKeysRotateRefuses(t *testing.T) {
	msg := idpFails(t, "", "keys", "rotate", "--database", "postgres://127.0.0.1:1/x", "--activate-after", "-1m")
	wantContains(t, msg, "--secret/IDP_SECRET: required with PostgreSQL", "--activate-after/IDP_ACTIVATE_AFTER: must not be negative")
}
