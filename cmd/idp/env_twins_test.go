package main

import (
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// TestSecurityStrayVariablesDoNotFillSubcommandFlags checks the rule "only
// server settings get IDP_* twins": a variable exported for some other
// purpose (IDP_ID, IDP_NAME, IDP_EMAIL, IDP_ROLE, IDP_CLIENT ...) must not
// silently decide what an administrative command does.
func TestSecurityStrayVariablesDoNotFillSubcommandFlags(t *testing.T) {
	dsn := newDatabase(t)
	stray := map[string]string{
		"IDP_DATABASE_URL": dsn, "IDP_ID": "stray-client", "IDP_NAME": "Stray", "IDP_EMAIL": "stray@example.com",
		"IDP_ROLE": "admin", "IDP_CLIENT": "web", "IDP_USERNAME": "stray", "IDP_PUBLIC": "true",
	}
	inv := invocation{env: stray, stdin: "carol-password-1"}
	if _, errOut, err := inv.run(t, "members", "add", "--email", "carol@example.com", "--username", "carol",
		"--name", "Carol"); err != nil {
		t.Fatalf("members add: %v\n%s", err, errOut)
	}
	_, _, err := inv.run(t, "clients", "add", "--redirect-uri", "https://app.example/cb")
	if err == nil || !strings.Contains(err.Error(), "--id") {
		t.Errorf("clients add without --id but IDP_ID set: %v; want --id refused", err)
	}
	withTestStore(t, dsn, func(store *storage.Store) {
		m, err := store.Members.ByEmail(t.Context(), "carol@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if m.Role != idp.RoleMember {
			t.Errorf("role = %q; IDP_ROLE filled --role", m.Role)
		}
		if _, err := store.Members.ByEmail(t.Context(), "stray@example.com"); err == nil {
			t.Error("a member was created from IDP_EMAIL")
		}
		if _, err := store.Clients.ByID(t.Context(), "stray-client"); err == nil {
			t.Error("a client was created from IDP_ID")
		}
	})
}

// TestServerSettingsKeepTheirTwins checks that serve's settings and the
// shared database setting are still read from the environment.
func TestServerSettingsKeepTheirTwins(t *testing.T) {
	dsn := newDatabase(t)
	out, errOut, err := invocation{env: map[string]string{"IDP_DATABASE_URL": dsn}}.run(t, "members", "list")
	if err != nil || !strings.Contains(out, "EMAIL") {
		t.Fatalf("members list from IDP_DATABASE_URL: %v\n%s", err, errOut)
	}
	_, _, err = invocation{env: map[string]string{"IDP_ISSUER": "id.example", "IDP_DATABASE_URL": dsn}}.run(t, "serve")
	if err == nil || !strings.Contains(err.Error(), "--issuer/IDP_ISSUER") {
		t.Fatalf("serve with a bad IDP_ISSUER: %v; want it refused by name", err)
	}
	_, _, err = invocation{env: map[string]string{"IDP_DATABASE_URL": dsn, "IDP_KEY_ROTATION_INTERVAL": "10m",
		"IDP_AUDIT_RETENTION": "-1h"}}.run(t, "serve")
	if err == nil || !strings.Contains(err.Error(), "--key-rotation-interval/IDP_KEY_ROTATION_INTERVAL: 10m0s") ||
		!strings.Contains(err.Error(), "--audit-retention/IDP_AUDIT_RETENTION") {
		t.Fatalf("serve with bad IDP_KEY_ROTATION_INTERVAL and IDP_AUDIT_RETENTION: %v; want both refused by name", err)
	}
}
