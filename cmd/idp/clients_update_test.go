package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/idp/idp/password"
)

var printedSecret = regexp.MustCompile(`client_secret: (\S+)`)

func TestClientsShowUpdateRotate(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := "--database=" + dsn
		first := printedSecret.FindStringSubmatch(runOK(t, "", "clients", "add", db, "--id", "web", "--name", "Web",
			"--redirect-uri", "https://web.example/cb", "--audience", "api"))
		if first == nil {
			t.Fatal("clients add printed no secret")
		}
		web := decodeOne[clientJSON](t, runOK(t, "", "clients", "show", "web", db, "--json"))
		if web.ID != "web" || web.Name != "Web" || web.Public || !slices.Equal(web.Audience, []string{"api"}) {
			t.Fatalf("clients show --json = %+v", web)
		}
		wantContains(t, runOK(t, "", "clients", "show", db, "web"), "Redirect URIs:", "https://web.example/cb", "Auth method:")
		wantContains(t, idpFails(t, "", "clients", "show", db, "nobody"), `find client "nobody"`, "not found")

		runOK(t, "", "clients", "update", "web", db, "--name", "Web App", "--redirect-uri", "https://web.example/a",
			"--redirect-uri", "https://web.example/b", "--audience", "", "--skip-consent")
		got := decodeOne[clientJSON](t, runOK(t, "", "clients", "show", "web", db, "--json"))
		if got.Name != "Web App" || !slices.Equal(got.RedirectURIs, []string{"https://web.example/a", "https://web.example/b"}) ||
			len(got.Audience) != 0 || !got.SkipConsent || got.Public || !slices.Equal(got.Scopes, web.Scopes) {
			t.Fatalf("after update: %+v", got)
		}

		msg := idpFails(t, "", "clients", "update", "web", db, "--redirect-uri", "http://evil.example/cb", "--grant-type", "implicit")
		wantContains(t, msg, "--redirect-uri[0]:", `--grant-type[0]: "implicit"`)
		if after := decodeOne[clientJSON](t, runOK(t, "", "clients", "show", "web", db, "--json")); !slices.Equal(after.RedirectURIs, got.RedirectURIs) {
			t.Fatalf("a refused update wrote %+v", after)
		}

		out := runOK(t, "", "clients", "rotate-secret", "web", db)
		second := printedSecret.FindStringSubmatch(out)
		if second == nil || second[1] == first[1] {
			t.Fatalf("rotate-secret printed %q", out)
		}
		c, err := openTestStore(t, dsn).Clients.ByID(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := password.Verify(c.SecretHash, second[1]); err != nil || !ok || strings.Contains(c.SecretHash, second[1]) {
			t.Fatalf("the stored hash does not verify the printed secret: %v, %v", ok, err)
		}
		if ok, _ := password.Verify(c.SecretHash, first[1]); ok {
			t.Fatal("the old secret still works")
		}

		// Token signing algorithms: shown, changed, refused naming the flag.
		wantContains(t, runOK(t, "", "clients", "show", db, "web"), "ID token algorithm:", "RS256 (default)")
		runOK(t, "", "clients", "update", "web", db, "--id-token-alg", "EdDSA", "--access-token-alg", "ES256")
		if got := decodeOne[clientJSON](t, runOK(t, "", "clients", "show", "web", db, "--json")); got.IDTokenAlg != "EdDSA" || got.AccessTokenAlg != "ES256" {
			t.Fatalf("after --id-token-alg/--access-token-alg: %+v", got)
		}
		wantContains(t, idpFails(t, "", "clients", "update", "web", db, "--id-token-alg", "HS256", "--access-token-alg", "none"),
			`--id-token-alg: "HS256" is not one of`, `--access-token-alg: "none" is not one of`)

		runOK(t, "", "clients", "add", db, "--id", "spa", "--public", "--redirect-uri", "https://spa.example/cb", "--dpop-bound-access-tokens")
		if spa := decodeOne[clientJSON](t, runOK(t, "", "clients", "show", "spa", db, "--json")); !spa.DPoPBoundAccessTokens {
			t.Fatalf("clients add --dpop-bound-access-tokens: %+v", spa)
		}
		runOK(t, "", "clients", "update", "spa", db, "--dpop-bound-access-tokens=false")
		if spa := decodeOne[clientJSON](t, runOK(t, "", "clients", "show", "spa", db, "--json")); spa.DPoPBoundAccessTokens {
			t.Fatalf("clients update --dpop-bound-access-tokens=false: %+v", spa)
		}
		wantContains(t, idpFails(t, "", "clients", "rotate-secret", db, "spa"), "public")
	})
}
