package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
)

// decodeList decodes the output of a list command run with --json,
// refusing fields the view type does not know, and checks no secret
// material is among them.
func decodeList[T any](t *testing.T, out string) []T {
	t.Helper()
	for _, leak := range []string{"$argon2id$", "hash", "sealed"} {
		if strings.Contains(strings.ToLower(out), strings.ToLower(leak)) {
			t.Fatalf("--json output holds %q:\n%s", leak, out)
		}
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(out)))
	dec.DisallowUnknownFields()
	var items []T
	if err := dec.Decode(&items); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	return items
}

func TestMembersListJSON(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		runOK(t, "", "migrate", "up", db)
		if got := decodeList[memberJSON](t, runOK(t, "", "members", "list", db, "--json")); len(got) != 0 {
			t.Fatalf("empty store: %+v; want []", got)
		}
		runOK(t, "alice-password", "members", "add", db, "--email", "alice@example.com", "--username", "alice",
			"--name", "Alice", "--role", "admin")
		got := decodeList[memberJSON](t, runOK(t, "", "members", "list", db, "--json"))
		if len(got) != 1 || got[0].ID == "" || got[0].Email != "alice@example.com" || got[0].Username != "alice" ||
			got[0].Name != "Alice" || got[0].Role != "admin" || got[0].CreatedAt.IsZero() {
			t.Fatalf("members list --json = %+v", got)
		}
	})
}

func TestClientsListJSON(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		runOK(t, "", "clients", "add", db, "--id", "web", "--redirect-uri", "https://web.example/cb")
		runOK(t, "", "clients", "add", db, "--id", "spa", "--public", "--redirect-uri", "https://spa.example/cb")
		got := decodeList[clientJSON](t, runOK(t, "", "clients", "list", db, "--json"))
		byID := map[string]clientJSON{}
		for _, c := range got {
			byID[c.ID] = c
		}
		web, spa := byID["web"], byID["spa"]
		if len(got) != 2 || web.Public || web.TokenEndpointAuthMethod != "client_secret_basic" ||
			!slices.Equal(web.RedirectURIs, []string{"https://web.example/cb"}) || !slices.Contains(web.Scopes, "openid") {
			t.Fatalf("web = %+v in %+v", web, got)
		}
		if !spa.Public || spa.TokenEndpointAuthMethod != "none" || spa.Audience == nil {
			t.Fatalf("spa = %+v; want a public client with lists as [] not null", spa)
		}
	})
}

func TestKeysListJSON(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		runOK(t, "", "migrate", "up", db)
		added := addedKey.FindStringSubmatch(runOK(t, "", "keys", "rotate", db, "--activate-after", "1h",
			"--secret", strings.Repeat("k", 32)))
		if added == nil {
			t.Fatal("rotate printed no key")
		}
		got := decodeList[keyJSON](t, runOK(t, "", "keys", "list", db, "--json"))
		activeAt, _ := time.Parse(time.RFC3339, added[2])
		if len(got) != 1 || got[0].ID != added[1] || got[0].Algorithm != "RS256" || !got[0].ActiveAt.Truncate(time.Second).Equal(activeAt) {
			t.Fatalf("keys list --json = %+v; want the key %s active at %s", got, added[1], added[2])
		}
		// A lone key signs even before its ActiveAt, as the ring does.
		if got[0].State != "active" || got[0].SupersededAt != nil {
			t.Fatalf("keys list --json = %+v; want the lone key active, not superseded", got)
		}
	})
}

func TestConsentsListJSON(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := "--database=" + dsn
		runOK(t, "alice-password", "members", "add", db, "--email", "alice@example.com", "--username", "alice")
		runOK(t, "", "clients", "add", db, "--id", "web", "--redirect-uri", "https://web.example/cb")
		s := openTestStore(t, dsn)
		alice, err := s.Members.ByEmail(ctx, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		granted := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
		con := idp.Consent{MemberID: alice.ID, ClientID: "web", Scopes: []string{"openid", "email"}, GrantedAt: granted}
		if err := s.Consents.Grant(ctx, con); err != nil {
			t.Fatal(err)
		}
		got := decodeList[consentJSON](t, runOK(t, "", "consents", "list", db, "--username", "alice", "--json"))
		if len(got) != 1 || got[0].ClientID != "web" || !slices.Equal(got[0].Scopes, con.Scopes) || !got[0].GrantedAt.Equal(granted) {
			t.Fatalf("consents list --json = %+v; want %+v", got, con)
		}
	})
}
