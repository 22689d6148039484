package main

import (
	"strings"
	"testing"
)

// TestSecurityRedirectURIListIsRefused checks the rule "a comma, white
// space or control character in a redirect URI is refused by the
// registration rules, everywhere": --redirect-uri a,b used to be stored as
// one URI containing a comma.
func TestSecurityRedirectURIListIsRefused(t *testing.T) {
	db := "--database=" + emptyDatabase(t)
	for _, uri := range []string{"https://a.example/cb,https://b.example/cb", "https://a.example/cb https://b.example/cb",
		"https://a.example/c\tb", "https://a.example/cb\n"} {
		msg := idpFails(t, "", "clients", "add", db, "--id", "a", "--public", "--redirect-uri", uri)
		wantContains(t, msg, "--redirect-uri[0]:", "must not contain a comma, white space or control characters")
		msg = idpFails(t, "", "clients", "add", db, "--id", "a", "--public", "--redirect-uri", "https://a.example/cb",
			"--post-logout-redirect-uri", uri)
		wantContains(t, msg, "--post-logout-redirect-uri[0]:", "must not contain a comma")
	}
	_, err := parseBootstrap("b.yaml", []byte("clients:\n  - id: a\n    redirect_uris: ['https://a.example/cb,https://b.example/cb']\n"))
	if err == nil || !strings.Contains(err.Error(), "b.yaml: clients[0] (a): redirect_uris[0]") ||
		!strings.Contains(err.Error(), "must not contain a comma") {
		t.Fatalf("bootstrap with a comma in a redirect URI: %v; want it refused by entry and field", err)
	}
	if strings.Contains(runOK(t, "", "clients", "list", db), "a.example") {
		t.Fatal("a refused client was stored")
	}
}

// TestSecurityShortClientSecretIsRefused checks the rule "operator-chosen
// client secrets need at least 32 characters": a 3-character secret used
// to be accepted. Bootstrap demo secrets are exempt only when the entry
// says insecure_demo_secret: true.
func TestSecurityShortClientSecretIsRefused(t *testing.T) {
	db := "--database=" + emptyDatabase(t)
	add := []string{"clients", "add", db, "--id", "svc", "--secret-stdin", "--grant-type", "client_credentials", "--scope", "api"}
	msg := idpFails(t, "abc\n", add...)
	wantContains(t, msg, "--secret-stdin", "at least 32 characters, got 3")
	if strings.Contains(msg, "abc") {
		t.Fatalf("the error echoes the secret: %s", msg)
	}
	runOK(t, strings.Repeat("s", 32)+"\n", add...)

	const entry = "clients:\n  - id: svc\n    secret: abc\n    grant_types: [client_credentials]\n"
	_, err := parseBootstrap("b.yaml", []byte(entry))
	if err == nil || !strings.Contains(err.Error(), "b.yaml: clients[0] (svc): secret: must be at least 32 characters") {
		t.Fatalf("bootstrap with a 3-character secret: %v; want it refused by entry and field", err)
	}
	if _, err := parseBootstrap("b.yaml", []byte(entry+"    insecure_demo_secret: true\n")); err != nil {
		t.Fatalf("bootstrap with a marked demo secret: %v", err)
	}
}
