package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseBootstrap(t *testing.T) {
	b, err := parseBootstrap("bootstrap.yaml", readTestdata(t, "bootstrap.yaml"))
	if err != nil {
		t.Fatalf("parseBootstrap: %v", err)
	}
	if len(b.clients) != 3 || len(b.members) != 2 {
		t.Fatalf("got %d clients and %d members, want 3 and 2", len(b.clients), len(b.members))
	}
	rp, spa, svc := b.clients[0], b.clients[1], b.clients[2]
	if rp.secret != "demo-rp-secret" || rp.value.SecretHash != clients.PendingHash {
		t.Errorf("demo-rp: secret %q, hash %q; want the clear secret kept aside and no hash yet", rp.secret, rp.value.SecretHash)
	}
	if rp.value.BackchannelLogoutURI != "http://localhost:5555/backchannel-logout" ||
		!slices.Equal(rp.value.ResponseTypes, []string{"code"}) || rp.value.TokenEndpointAuthMethod != idp.AuthMethodBasic {
		t.Errorf("demo-rp = %+v", rp.value)
	}
	if spa.value.TokenEndpointAuthMethod != idp.AuthMethodNone ||
		!slices.Equal(spa.value.GrantTypes, clients.DefaultGrantTypes) || !slices.Equal(spa.value.Scopes, clients.DefaultScopes) {
		t.Errorf("demo-spa: want a public client with the default grants and scopes, got %+v", spa.value)
	}
	if svc.value.ResponseTypes != nil || !slices.Equal(svc.value.Audience, []string{"https://api.example"}) ||
		svc.value.Introspection != idp.IntrospectionAll || rp.value.Introspection != "" {
		t.Errorf("demo-service = %+v", svc.value)
	}
	alice, bob := b.members[0], b.members[1]
	if alice.value.Role != idp.RoleAdmin || alice.secret != "alice-password" || alice.value.Username != "alice" {
		t.Errorf("alice = %+v", alice)
	}
	if bob.value.Role != idp.RoleMember {
		t.Errorf("bob's role = %q; want the default, member", bob.value.Role)
	}
}

// TestExampleBootstrapParses keeps the demo's bootstrap file and the
// loader in step.
func TestExampleBootstrapParses(t *testing.T) {
	data, err := os.ReadFile("../../examples/bootstrap.yaml")
	if err != nil {
		t.Skipf("no example file: %v", err)
	}
	if _, err := parseBootstrap("examples/bootstrap.yaml", data); err != nil {
		t.Fatal(err)
	}
}

func TestParseBootstrapEmpty(t *testing.T) {
	for _, doc := range []string{"", "# nothing yet\n", "clients: []\nmembers: []\n"} {
		b, err := parseBootstrap("b.yaml", []byte(doc))
		if err != nil || len(b.clients)+len(b.members) != 0 {
			t.Errorf("parseBootstrap(%q) = %+v, %v; want an empty bootstrap", doc, b, err)
		}
	}
}

func TestParseBootstrapRefuses(t *testing.T) {
	const rp = "clients:\n  - id: demo-rp\n    secret: s\n    redirect_uris: [http://localhost/cb]\n"
	const alice = "members:\n  - email: alice@example.com\n    username: alice\n    password: alice-password\n"
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"unknown top-level key", "client: []\n",
			[]string{"b.yaml: client: unknown field (line 1)"}},
		{"unknown client key", rp + "    colour: blue\n    redirect_uri: x\n",
			[]string{"b.yaml: clients[0] (demo-rp): colour: unknown field (line 5)",
				"b.yaml: clients[0] (demo-rp): redirect_uri: unknown field (line 6)"}},
		{"unknown key in a later client", rp + "  - id: two\n    secrett: s\n" + alice,
			[]string{"b.yaml: clients[1] (two): secrett: unknown field (line 6)"}},
		{"unknown member key", rp + alice + "    admin: true\n",
			[]string{"b.yaml: members[0] (alice@example.com): admin: unknown field (line 9)"}},
		{"wrong type", "clients:\n  - id: x\n    redirect_uris: http://localhost/cb\n",
			[]string{"b.yaml: clients[0] (x): cannot unmarshal"}},
		{"bad redirect URI", "clients:\n  - id: demo-rp\n    redirect_uris: [https://ok.example/cb, http://evil.example/cb]\n",
			[]string{`b.yaml: clients[0] (demo-rp): redirect_uris[1]: "http://evil.example/cb": http is allowed only for loopback or localhost hosts`}},
		{"unknown grant type", rp + "    grant_types: [authorization_code, password]\n",
			[]string{`b.yaml: clients[0] (demo-rp): grant_types[1]: "password": unknown grant type`}},
		{"public client credentials", "clients:\n  - id: svc\n    grant_types: [client_credentials]\n",
			[]string{"b.yaml: clients[0] (svc): grant_types: client_credentials needs a client secret"}},
		{"none with secret", rp + "    token_endpoint_auth_method: none\n",
			[]string{`b.yaml: clients[0] (demo-rp): token_endpoint_auth_method: "none" is only for public clients`}},
		{"duplicate client", rp + "  - id: demo-rp\n    redirect_uris: [http://localhost/cb]\n",
			[]string{"b.yaml: clients[1] (demo-rp): id: duplicate of clients[0] (demo-rp)"}},
		{"unknown role", alice + "    role: root\n",
			[]string{`b.yaml: members[0] (alice@example.com): role: "root": want "admin" or "member"`}},
		{"bad email", "members:\n  - email: Alice <alice@example.com>\n    username: alice\n    password: alice-password\n",
			[]string{`b.yaml: members[0] (Alice <alice@example.com>): email: "Alice <alice@example.com>" is not a plain email address`}},
		{"email longer than a sign-in accepts", "members:\n  - email: " + strings.Repeat("a", 250) + "@example.com\n    username: a\n    password: alice-password\n",
			[]string{"email: must be at most 254 bytes"}},
		{"short password", "members:\n  - email: a@example.com\n    username: a\n    password: short\n",
			[]string{"b.yaml: members[0] (a@example.com): password: must be 8 to 1024 characters"}},
		{"duplicate email", alice + "  - email: ALICE@example.com\n    username: alice2\n    password: alice-password\n",
			[]string{"b.yaml: members[1] (ALICE@example.com): email: duplicate of members[0] (alice@example.com)"}},
		{"every problem at once", "clients:\n  - id: a b\n    redirect_uris: [ftp://x]\nmembers:\n  - email: x\n    username: x\n    password: p\n",
			[]string{`clients[0] (a b): id: "a b"`, `clients[0] (a b): redirect_uris[0]: "ftp://x"`,
				"members[0] (x): email:", "members[0] (x): password:"}},
		{"two documents", rp + "---\n" + alice, []string{"b.yaml: want a single YAML document"}},
		{"not YAML", "clients: [\n", []string{"b.yaml: "}},
		{"top level is a list", "- id: x\n", []string{"b.yaml: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := parseBootstrap("b.yaml", []byte(tc.doc))
			if err == nil {
				t.Fatalf("parseBootstrap = %+v; want an error", b)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error:\n%v\nwant it to contain:\n%s", err, want)
				}
			}
		})
	}
}

func TestParseBootstrapHidesSecrets(t *testing.T) {
	doc := "clients:\n  - id: x y\n    secret: hunter2-client\nmembers:\n  - email: bad\n    username: u\n    password: hunter2\n"
	_, err := parseBootstrap("b.yaml", []byte(doc))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v; want one that does not contain a secret", err)
	}
}

func FuzzParseBootstrap(f *testing.F) {
	good, err := os.ReadFile("testdata/bootstrap.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("clients:\n  - id: a\n    colour: b\n"))
	f.Add([]byte("members:\n  - {email: a@b.c, username: a, password: aaaaaaaa, role: x}\n"))
	f.Add([]byte("clients: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parseBootstrap("f.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for _, c := range b.clients {
			if c.value.Public() != (c.secret == "") || (c.secret != "" && c.value.SecretHash != clients.PendingHash) {
				t.Fatalf("client %q: hash %q before it is applied", c.value.ID, c.value.SecretHash)
			}
		}
	})
}
