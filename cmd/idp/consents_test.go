package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
)

func TestConsents(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := "--database=" + dsn
		runOK(t, "alice-password", "members", "add", db, "--email", "alice@example.com", "--username", "alice")
		runOK(t, "bob-password", "members", "add", db, "--email", "bob@example.com", "--username", "bob")
		runOK(t, "", "clients", "add", db, "--id", "web", "--redirect-uri", "https://web.example/cb")
		runOK(t, "", "clients", "add", db, "--id", "spa", "--public", "--redirect-uri", "https://spa.example/cb")
		s := openTestStore(t, dsn)
		alice, err := s.Members.ByEmail(ctx, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		bob, err := s.Members.ByEmail(ctx, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		granted := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
		for _, con := range []idp.Consent{
			{MemberID: alice.ID, ClientID: "web", Scopes: []string{"openid", "profile", "email"}, GrantedAt: granted},
			{MemberID: alice.ID, ClientID: "spa", Scopes: []string{"openid"}, GrantedAt: granted.Add(time.Hour)},
			{MemberID: bob.ID, ClientID: "web", Scopes: []string{"openid", "offline_access"}, GrantedAt: granted},
		} {
			if err := s.Consents.Grant(ctx, con); err != nil {
				t.Fatal(err)
			}
		}

		rows := consentRows(t, runOK(t, "", "consents", "list", db, "--email", "alice@example.com"))
		if len(rows) != 2 || rows[0].client != "spa" || rows[1].client != "web" {
			t.Fatalf("alice's consents = %+v; want spa and web", rows)
		}
		if rows[1].scopes != "openid profile email" || !rows[1].granted.Equal(granted) {
			t.Fatalf("alice's consent to web = %+v; want scopes %q granted at %s",
				rows[1], "openid profile email", granted)
		}

		out := runOK(t, "", "consents", "revoke", db, "--username", "alice", "--client", "web")
		wantContains(t, out, "revoked consent", "alice@example.com", "web")
		left, err := s.Consents.ByMember(ctx, alice.ID)
		if err != nil || len(left) != 1 || left[0].ClientID != "spa" {
			t.Fatalf("alice's consents after revoking web = %+v, %v; want only spa", left, err)
		}
		if _, err := s.Consents.Get(ctx, bob.ID, "web"); err != nil {
			t.Fatalf("revoking alice's consent touched bob's: %v", err)
		}

		msg := idpFails(t, "", "consents", "revoke", db, "--email", "alice@example.com", "--client", "web")
		wantContains(t, msg, "no consent of alice@example.com for client web")

		runOK(t, "", "consents", "revoke", db, "--email", "alice@example.com", "--client", "spa")
		if left, err := s.Consents.ByMember(ctx, alice.ID); err != nil || len(left) != 0 {
			t.Fatalf("alice's consents after revoking both = %+v, %v; want none", left, err)
		}
		if rows := consentRows(t, runOK(t, "", "consents", "list", db, "--username", "alice")); len(rows) != 0 {
			t.Fatalf("list after revoking both = %+v; want no rows", rows)
		}
	})
}

// consentRow is one line of idp consents list.
type consentRow struct {
	client, scopes string
	granted        time.Time
}

// consentRows parses the table idp consents list prints, checking the
// header. Scopes are the fields between the client and the time.
func consentRows(t *testing.T, out string) []consentRow {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "CLIENT SCOPES GRANTED AT" {
		t.Fatalf("header = %q", lines[0])
	}
	var rows []consentRow
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 3 {
			t.Fatalf("row %q: want client, scopes and time", l)
		}
		at, err := time.Parse(time.RFC3339, f[len(f)-1])
		if err != nil {
			t.Fatalf("row %q: %v", l, err)
		}
		rows = append(rows, consentRow{client: f[0], scopes: strings.Join(f[1:len(f)-1], " "), granted: at})
	}
	return rows
}

func TestConsentsRefuse(t *testing.T) {
	dsn := emptyDatabase(t)
	db := "--database=" + dsn
	runOK(t, "alice-password", "members", "add", db, "--email", "alice@example.com", "--username", "alice")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"revoke without flags", []string{"consents", "revoke", db},
			[]string{"--email or --username: give exactly one", "--client: required"}},
		{"revoke without client", []string{"consents", "revoke", db, "--email", "alice@example.com"},
			[]string{"--client: required"}},
		{"list without member", []string{"consents", "list", db},
			[]string{"--email or --username: give exactly one"}},
		{"list with two selectors", []string{"consents", "list", db, "--email", "alice@example.com", "--username", "alice"},
			[]string{"give exactly one"}},
		{"unknown member", []string{"consents", "revoke", db, "--email", "carol@example.com", "--client", "web"},
			[]string{"find member", "not found"}},
		{"unknown client", []string{"consents", "revoke", db, "--username", "alice", "--client", "nope"},
			[]string{"no consent of alice@example.com for client nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantContains(t, idpFails(t, "", tc.args...), tc.want...)
		})
	}

	inv := invocation{env: map[string]string{"IDP_DATABASE_URL": dsn, "IDP_CLIENT": "web"}}
	_, _, err := inv.run(t, "consents", "revoke", "--username", "alice")
	if err == nil || !strings.Contains(err.Error(), "--client: required") {
		t.Fatalf("revoke with only IDP_CLIENT set: %v; want --client: required (no twin)", err)
	}
}
