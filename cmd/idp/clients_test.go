package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
)

var secretLine = regexp.MustCompile(`(?m)^client_secret: (\S+)$`)

func TestClients(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := "--database=" + dsn
		out, stderr, err := invocation{}.run(t, "clients", "add", db, "--id", "web", "--name", "Web app",
			"--redirect-uri", "https://app.example/cb", "--redirect-uri", "http://localhost:5555/cb",
			"--audience", "https://api.example", "--skip-consent")
		if err != nil {
			t.Fatalf("clients add: %v\n%s", err, stderr)
		}
		m := secretLine.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("clients add printed no secret:\n%s", out)
		}
		secret := m[1]
		if n := strings.Count(out+stderr, secret); n != 1 {
			t.Fatalf("the secret appears %d times in the output; want once", n)
		}
		s := openTestStore(t, dsn)
		web, err := s.Clients.ByID(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if err := clients.NewVerifier(nil, 1).Verify(web.SecretHash, secret); err != nil {
			t.Fatalf("the printed secret does not verify against the stored hash: %v", err)
		}
		if strings.Contains(web.SecretHash, secret) || web.TokenEndpointAuthMethod != idp.AuthMethodBasic ||
			len(web.GrantTypes) != 2 || len(web.Scopes) != 5 || !web.SkipConsent {
			t.Fatalf("stored client = %+v", web)
		}

		out = runOK(t, "", "clients", "add", db, "--id", "spa", "--public", "--redirect-uri", "http://127.0.0.1:4000/cb")
		if strings.Contains(out, "client_secret") {
			t.Fatalf("a public client got a secret:\n%s", out)
		}
		if spa, err := s.Clients.ByID(ctx, "spa"); err != nil || !spa.Public() || spa.TokenEndpointAuthMethod != idp.AuthMethodNone {
			t.Fatalf("spa = %+v, %v; want a public client", spa, err)
		}

		out = runOK(t, "svc-secret-from-stdin-0123456789ab\n", "clients", "add", db, "--id", "svc", "--secret-stdin",
			"--grant-type", "client_credentials", "--scope", "api.read", "--auth-method", "client_secret_post", "--introspection", "all")
		if strings.Contains(out, "svc-secret-from-stdin-0123456789ab") || strings.Contains(out, "client_secret:") {
			t.Fatalf("a secret from stdin was printed:\n%s", out)
		}
		svc, err := s.Clients.ByID(ctx, "svc")
		if err != nil || clients.NewVerifier(nil, 1).Verify(svc.SecretHash, "svc-secret-from-stdin-0123456789ab") != nil {
			t.Fatalf("svc = %+v, %v; want the secret from stdin to verify", svc, err)
		}
		if svc.Introspection != idp.IntrospectionAll || web.Introspection != "" {
			t.Fatalf("introspection: svc %q, web %q; want all and empty", svc.Introspection, web.Introspection)
		}

		list := runOK(t, "", "clients", "list", db)
		wantContains(t, list, "web", "Web app", "spa", "none", "svc", "client_credentials")
		if strings.Contains(list, "$argon2id$") {
			t.Fatal("clients list prints secret hashes")
		}
		wantContains(t, idpFails(t, "", "clients", "add", db, "--id", "spa", "--public",
			"--redirect-uri", "http://127.0.0.1:4000/cb"), "a client with id spa already exists")

		runOK(t, "", "clients", "remove", db, "--id", "spa")
		if strings.Contains(runOK(t, "", "clients", "list", db), "spa") {
			t.Fatal("spa is still listed after remove")
		}
		wantContains(t, idpFails(t, "", "clients", "remove", db, "--id", "spa"), "not found")
	})
}

func TestClientsAddRefuses(t *testing.T) {
	db := "--database=" + emptyDatabase(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"rules name the flags", []string{"--id", "bad id", "--redirect-uri", "https://ok.example/cb",
			"--redirect-uri", "http://evil.example/cb", "--grant-type", "password"},
			[]string{`--id: "bad id"`, `--redirect-uri[1]: "http://evil.example/cb": http is allowed only`,
				`--grant-type[0]: "password": unknown grant type`}},
		{"no redirect URI", []string{"--id", "a"},
			[]string{"--redirect-uri: the authorization_code grant needs at least one redirect URI"}},
		{"public with a secret", []string{"--id", "a", "--public", "--secret-stdin", "--redirect-uri", "http://localhost/cb"},
			[]string{"--secret-stdin: a public client has no secret"}},
		{"public with basic auth", []string{"--id", "a", "--public", "--auth-method", "client_secret_basic",
			"--redirect-uri", "http://localhost/cb"},
			[]string{`--auth-method: "client_secret_basic" needs a client secret`}},
		{"public client credentials", []string{"--id", "a", "--public", "--grant-type", "client_credentials"},
			[]string{"--grant-type: client_credentials needs a client secret"}},
		{"unknown introspection", []string{"--id", "a", "--grant-type", "client_credentials", "--introspection", "some"},
			[]string{`--introspection: "some": want empty`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantContains(t, idpFails(t, "", append([]string{"clients", "add", db}, tc.args...)...), tc.want...)
		})
	}
}
