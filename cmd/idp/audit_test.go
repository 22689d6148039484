package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
)

// auditRows runs idp audit list --json with args and decodes it.
func auditRows(t *testing.T, args ...string) []auditEventJSON {
	t.Helper()
	var rows []auditEventJSON
	out := runOK(t, "", append([]string{"audit", "list", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("audit list --json: %v\n%s", err, out)
	}
	return rows
}

// TestAuditList: key rotations and a consent revocation at the command
// line are in the trail, by the actor "cli", and idp audit list selects
// them by type, member, client, time and count, newest first.
func TestAuditList(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := "--database=" + dsn
		runOK(t, "", "migrate", "up", db)
		secret := "--secret=" + strings.Repeat("k", 32)
		start := time.Now().Add(-time.Second).UTC().Format(time.RFC3339)
		kid := addedKey.FindStringSubmatch(runOK(t, "", "keys", "rotate", db, secret, "--activate-after", "1h"))
		runOK(t, "alice-password", "members", "add", db, "--email", "alice@example.com", "--username", "alice")
		runOK(t, "", "clients", "add", db, "--id", "web", "--redirect-uri", "https://web.example/cb")
		s := openTestStore(t, dsn)
		alice, err := s.Members.ByEmail(ctx, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Consents.Grant(ctx, idp.Consent{MemberID: alice.ID, ClientID: "web", Scopes: []string{"openid"}, GrantedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		runOK(t, "", "consents", "revoke", db, "--email", "alice@example.com", "--client", "web")

		all := auditRows(t, db)
		if len(all) != 2 || all[0].Type != string(idp.AuditConsentRevoked) || all[1].Type != string(idp.AuditKeyRotated) {
			t.Fatalf("audit list = %+v; want consent.revoked, then key.rotated", all)
		}
		for _, e := range all {
			if e.Actor != actorCLI || e.ID == "" {
				t.Errorf("event %+v: want an id and the actor %q", e, actorCLI)
			}
		}
		if kid == nil || all[1].Detail["kid"] != kid[1] {
			t.Errorf("key.rotated detail %v; want the kid rotate printed (%v)", all[1].Detail, kid)
		}
		if all[0].MemberID != alice.ID || all[0].ClientID != "web" {
			t.Errorf("consent.revoked = %+v; want alice and web", all[0])
		}
		for _, c := range []struct {
			args []string
			want int
		}{
			{[]string{"--type", "key.rotated"}, 1},
			{[]string{"--member", alice.ID}, 1},
			{[]string{"--client", "web"}, 1},
			{[]string{"--client", "nobody"}, 0},
			{[]string{"--limit", "1"}, 1},
			{[]string{"--since", start}, 2},
			{[]string{"--since", "1h"}, 2},
			{[]string{"--until", start}, 0},
		} {
			if got := auditRows(t, append([]string{db}, c.args...)...); len(got) != c.want {
				t.Errorf("audit list %v: %d events, want %d", c.args, len(got), c.want)
			}
		}
		table := runOK(t, "", "audit", "list", db)
		wantContains(t, table, "TIME", "TYPE", "ACTOR", "consent.revoked", "key.rotated", "kid="+kid[1])
	})
}

func TestAuditListRefuses(t *testing.T) {
	msg := idpFails(t, "", "audit", "list", "--database", "x.db", "--since", "yesterday", "--until", "2024-13-01", "--limit", "501")
	wantContains(t, msg, "--since", "--until", "--limit: 501: want 1 to 500")
}
