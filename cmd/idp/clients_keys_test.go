package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// A public P-256 key set, and the same key with its private part, which
// registration must refuse.
const (
	testJWKS        = `{"keys":[{"use":"sig","kty":"EC","kid":"k1","crv":"P-256","alg":"ES256","x":"uR4LksWph32ydgP5up3iIgIty8Vo-PsH7tfOkgX1WYY","y":"QkM59BGp0HUKeRBC7ZY8RSEotwjKZBy7sd0wwDb9bsE"}]}`
	testPrivateJWKS = `{"keys":[{"use":"sig","kty":"EC","kid":"k1","crv":"P-256","alg":"ES256","x":"uR4LksWph32ydgP5up3iIgIty8Vo-PsH7tfOkgX1WYY","y":"QkM59BGp0HUKeRBC7ZY8RSEotwjKZBy7sd0wwDb9bsE","d":"_JBiq8Db_FNfDANOIFuHxZUL8t7tJjlqY-xwreTBf7M"}]}`
)

// TestClientsKeyAuthAndPAR: the private_key_jwt and pushed-request fields
// are registered from the command line through the clients rules: such a
// client gets no secret, its key set is shown, and bad metadata is refused
// naming the flag.
func TestClientsKeyAuthAndPAR(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		out := runOK(t, "", "clients", "add", db, "--id", "svc", "--grant-type", "client_credentials",
			"--auth-method", "private_key_jwt", "--jwks", testJWKS, "--auth-signing-alg", "ES256")
		if strings.Contains(out, "client_secret") {
			t.Fatalf("a private_key_jwt client was given a secret: %q", out)
		}
		c, err := openTestStore(t, dsn).Clients.ByID(context.Background(), "svc")
		if err != nil {
			t.Fatal(err)
		}
		if c.SecretHash != "" || c.Public() || c.JWKS == "" || c.TokenEndpointAuthSigningAlg != "ES256" {
			t.Fatalf("stored %+v", c)
		}
		svc := decodeOne[clientJSON](t, runOK(t, "", "clients", "show", "svc", db, "--json"))
		var compact bytes.Buffer
		if err := json.Compact(&compact, svc.JWKS); err != nil || !strings.Contains(compact.String(), `"kid":"k1"`) || svc.TokenEndpointAuthSigningAlg != "ES256" || svc.Public {
			t.Fatalf("clients show --json = %+v", svc)
		}

		runOK(t, "", "clients", "update", "svc", db, "--jwks", "", "--jwks-uri", "https://svc.example/jwks.json")
		if got := decodeOne[clientJSON](t, runOK(t, "", "clients", "show", "svc", db, "--json")); got.JWKS != nil || got.JWKSURI != "https://svc.example/jwks.json" {
			t.Fatalf("after moving to --jwks-uri: %+v", got)
		}

		wantContains(t, idpFails(t, "", "clients", "add", db, "--id", "bad", "--grant-type", "client_credentials",
			"--auth-method", "private_key_jwt", "--jwks", testPrivateJWKS, "--auth-signing-alg", "ES256"), "--jwks")
		wantContains(t, idpFails(t, "", "clients", "add", db, "--id", "bad", "--grant-type", "client_credentials",
			"--auth-method", "private_key_jwt", "--jwks", testJWKS, "--auth-signing-alg", "HS256"), "--auth-signing-alg")
		wantContains(t, idpFails(t, "", "clients", "add", db, "--id", "bad", "--grant-type", "client_credentials",
			"--auth-method", "private_key_jwt", "--jwks", testJWKS, "--auth-signing-alg", "ES256", "--secret-stdin"),
			"--secret-stdin")
		wantContains(t, idpFails(t, "", "clients", "add", db, "--id", "bad", "--redirect-uri", "https://web.example/cb",
			"--jwks-uri", "https://web.example/jwks"), "--jwks-uri")

		runOK(t, "", "clients", "add", db, "--id", "web", "--redirect-uri", "https://web.example/cb", "--require-par")
		if web := decodeOne[clientJSON](t, runOK(t, "", "clients", "show", "web", db, "--json")); !web.RequirePAR {
			t.Fatalf("clients add --require-par: %+v", web)
		}
		runOK(t, "", "clients", "update", "web", db, "--require-par=false")
		if web := decodeOne[clientJSON](t, runOK(t, "", "clients", "show", "web", db, "--json")); web.RequirePAR {
			t.Fatalf("clients update --require-par=false: %+v", web)
		}
	})
}
