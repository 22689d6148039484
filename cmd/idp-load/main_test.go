package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/internal/idptest"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// startDemo serves a provider with the demo bootstrap's load clients and
// member on a loopback port.
func startDemo(t *testing.T, store *storage.Store) string {
	t.Helper()
	srv, issuer := idptest.Listen(t)
	p, err := provider.New(context.Background(), provider.Config{
		Issuer: issuer, Store: store, Secret: []byte("0123456789abcdef0123456789abcdef-load"), Logger: idptest.Logger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	idptest.Start(t, srv, p)
	idptest.AddMember(t, store, idp.Member{Email: "alice@example.com", Username: "alice", Name: "Alice", Role: idp.RoleMember}, "alice-password")
	idptest.AddClient(t, store, idp.Client{
		ID: "demo-service", Name: "Demo service", GrantTypes: []string{idp.GrantClientCredentials},
		Scopes: []string{"api:read"}, Audience: []string{"demo-api"},
	}, "demo-service-secret")
	idptest.AddClient(t, store, idp.Client{
		ID: "app-b", Name: "App B", RedirectURIs: []string{"http://app-b.localhost:5556/callback"},
		GrantTypes: []string{idp.GrantAuthorizationCode, idp.GrantRefreshToken}, SkipConsent: true,
		Scopes: []string{"openid", "offline_access"},
	}, "app-b-secret")
	return issuer
}

// TestLoad runs every grant briefly against a real provider and checks
// each row: requests made, none failed, percentiles ordered.
func TestLoad(t *testing.T) {
	idptest.EachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		issuer := startDemo(t, open(t))
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"--json", "--duration", "700ms", "--concurrency", "2", issuer}, &out, &errOut)
		if err != nil {
			t.Fatalf("run: %v\n%s", err, errOut.String())
		}
		var rep struct {
			Results []result `json:"results"`
		}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out.String())
		}
		var grants []string
		for _, r := range rep.Results {
			grants = append(grants, r.Grant)
			if r.Requests == 0 || r.Errors != 0 || r.FirstError != "" || r.RPS <= 0 {
				t.Errorf("%s: %+v, want requests and no errors", r.Grant, r)
			}
			if !(r.P50 > 0 && r.P50 <= r.P95 && r.P95 <= r.P99) {
				t.Errorf("%s: percentiles %v %v %v not ordered", r.Grant, r.P50, r.P95, r.P99)
			}
		}
		if got, want := strings.Join(grants, ","), "client_credentials,authorize,authorization_code,refresh_token,introspection"; got != want {
			t.Errorf("grants = %s, want %s", got, want)
		}
	})
}

// TestLoadTable: the table names every grant with its figures.
func TestLoadTable(t *testing.T) {
	issuer := startDemo(t, storagetest.SQLite(t))
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"--duration", "30s", "--grants", "client_credentials", "--requests", "5", issuer}, &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "req/s") ||
		strings.Join(strings.Fields(lines[2])[:3], " ") != "client_credentials 5 0" {
		t.Fatalf("table:\n%s", out.String())
	}
}

// TestLoadRefusesRemote: a target off the loopback interface is refused
// before any request, unless allowed.
func TestLoadRefusesRemote(t *testing.T) {
	for _, target := range []string{"http://192.0.2.1:8080", "https://10.1.2.3", "http://[2001:db8::1]/"} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"--duration", "1s", target}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "--allow-remote") {
			t.Errorf("%s: err = %v, want a refusal naming --allow-remote", target, err)
		}
	}
	for _, args := range [][]string{
		{"--duration", "11m", "http://127.0.0.1:1"},
		{"--concurrency", "0", "http://127.0.0.1:1"},
		{"--concurrency", "100000", "http://127.0.0.1:1"},
		{"--grants", "password", "http://127.0.0.1:1"},
		{"ftp://127.0.0.1/"},
		{},
	} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
}
