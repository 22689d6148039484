package clients_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

func TestPrepare(t *testing.T) {
	c := idp.Client{ID: "a", RedirectURIs: []string{"https://a.example/cb"}}
	clients.Prepare(&c, true)
	if !slices.Equal(c.GrantTypes, clients.DefaultGrantTypes) || !slices.Equal(c.Scopes, clients.DefaultScopes) ||
		c.SecretHash != clients.PendingHash || c.TokenEndpointAuthMethod != idp.AuthMethodBasic ||
		!slices.Equal(c.ResponseTypes, []string{clients.ResponseTypeCode}) {
		t.Fatalf("Prepare(confidential) = %+v", c)
	}
	if err := clients.Validate(c); err != nil {
		t.Fatalf("a prepared client fails validation: %v", err)
	}
	c.GrantTypes[0] = "changed"
	if clients.DefaultGrantTypes[0] == "changed" {
		t.Fatal("Prepare shares the default list with the client")
	}
	p := idp.Client{ID: "p", Scopes: []string{}}
	clients.Prepare(&p, false)
	if !p.Public() || p.TokenEndpointAuthMethod != idp.AuthMethodNone || len(p.Scopes) != 0 {
		t.Fatalf("Prepare(public, no scopes) = %+v; want public, and an empty list kept empty", p)
	}
}

func TestUpsert(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		c := idp.Client{ID: "a", RedirectURIs: []string{"https://a.example/cb"}}
		clients.Prepare(&c, true)
		const secret = "a-secret-of-32-characters-or-more"
		for i, want := range []idp.Change{idp.Created, idp.Unchanged} {
			if got, err := clients.Upsert(ctx, s, c, secret); err != nil || got != want {
				t.Fatalf("Upsert #%d = %v, %v; want %v", i+1, got, err, want)
			}
		}
		stored, _ := s.Clients.ByID(ctx, "a")
		if err := clients.NewVerifier(nil, 0).Verify(stored.SecretHash, secret); err != nil {
			t.Fatalf("stored hash does not verify the secret: %v", err)
		}
		c.Name = "A"
		if got, err := clients.Upsert(ctx, s, c, secret); err != nil || got != idp.Updated {
			t.Fatalf("Upsert of a renamed client = %v, %v; want Updated", got, err)
		}
		if after, _ := s.Clients.ByID(ctx, "a"); after.SecretHash != stored.SecretHash || after.Name != "A" {
			t.Fatalf("after rename: %+v; want the name changed and the verifying hash kept", after)
		}
	})
}

func TestCreateHashesTheSecret(t *testing.T) {
	s := storagetest.SQLite(t)
	ctx := context.Background()
	c := idp.Client{ID: "a", RedirectURIs: []string{"https://a.example/cb"}}
	clients.Prepare(&c, true)
	const secret = "a-secret-of-32-characters-or-more"
	if err := clients.Create(ctx, s, &c, secret); err != nil {
		t.Fatal(err)
	}
	stored, _ := s.Clients.ByID(ctx, "a")
	if stored.SecretHash == clients.PendingHash || clients.NewVerifier(nil, 0).Verify(stored.SecretHash, secret) != nil {
		t.Fatalf("stored hash %q; want a hash of the secret", stored.SecretHash)
	}
	if err := clients.Create(ctx, s, &c, secret); err == nil {
		t.Fatal("a second client with the same id was stored")
	}
}

func TestSelfRegistrationScopes(t *testing.T) {
	if err := clients.ValidateRegistrationScopes("registration_scopes", clients.DefaultRegistrationScopes); err != nil {
		t.Fatalf("default allow-list refused: %v", err)
	}
	err := clients.ValidateRegistrationScopes("registration_scopes", []string{"openid", idp.ScopeAdmin, "a b"})
	if err == nil || !strings.Contains(err.Error(), "registration_scopes[1]") || !strings.Contains(err.Error(), "admin scope") ||
		!strings.Contains(err.Error(), "registration_scopes[2]") {
		t.Fatalf("allow-list with idp:admin: %v; want both bad entries named", err)
	}
	c := idp.Client{Scopes: []string{"openid", "roles", idp.ScopeAdmin}}
	err = clients.ValidateSelfRegistered(c, append(slices.Clone(clients.DefaultRegistrationScopes), idp.ScopeAdmin))
	if err == nil || strings.Contains(err.Error(), "scopes[0]") || !strings.Contains(err.Error(), "scopes[1]") ||
		!strings.Contains(err.Error(), "scopes[2]") || !errors.Is(err, idp.ErrInvalid) {
		t.Fatalf("clients.ValidateSelfRegistered = %v; want scopes[1] and scopes[2] refused, even with idp:admin allowed", err)
	}
	if err := clients.ValidateSelfRegistered(idp.Client{Scopes: []string{"openid", "email"}}, clients.DefaultRegistrationScopes); err != nil {
		t.Fatalf("allowed scopes refused: %v", err)
	}
}

// TestSelfRegisteredBounds: what only the operator may grant, and the size
// bounds, are refused for a client registering itself.
func TestSelfRegisteredBounds(t *testing.T) {
	uris := make([]string, clients.MaxSelfRegisteredURIs+1)
	for i := range uris {
		uris[i] = fmt.Sprintf("https://a.example/cb%d", i)
	}
	for field, c := range map[string]idp.Client{
		"name":          {Name: strings.Repeat("n", clients.MaxSelfRegisteredName+1)},
		"redirect_uris": {RedirectURIs: uris},
		"skip_consent":  {SkipConsent: true},
		"audience":      {Audience: []string{"https://api.example"}},
		"introspection": {Introspection: idp.IntrospectionAll},
	} {
		err := clients.ValidateSelfRegistered(c, clients.DefaultRegistrationScopes)
		if err == nil || !strings.HasPrefix(err.Error(), field+": ") {
			t.Errorf("%s: %v; want it refused by name", field, err)
		}
	}
}

// The admin scope is never given by default, but an operator may register
// a client with it.
func TestPrepareAdminScopeOnlyWhenAsked(t *testing.T) {
	var d idp.Client
	clients.Prepare(&d, true)
	if slices.Contains(d.Scopes, idp.ScopeAdmin) {
		t.Fatalf("default scopes %q include %s", d.Scopes, idp.ScopeAdmin)
	}
	c := idp.Client{ID: "ops", GrantTypes: []string{idp.GrantClientCredentials}, Scopes: []string{idp.ScopeAdmin}}
	clients.Prepare(&c, true)
	if err := clients.Validate(c); err != nil || !slices.Equal(c.Scopes, []string{idp.ScopeAdmin}) {
		t.Fatalf("an operator's admin client: %v, scopes %q", err, c.Scopes)
	}
}
