package clients_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/password"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

func createClient(t *testing.T, s *storage.Store, id string, confidential bool, secret string) idp.Client {
	t.Helper()
	c := idp.Client{ID: id, RedirectURIs: []string{"https://" + id + ".example/cb"}}
	clients.Prepare(&c, confidential)
	if err := clients.Validate(c); err != nil {
		t.Fatal(err)
	}
	if err := clients.Create(context.Background(), s, &c, secret); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestUpdate(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		web := createClient(t, s, "web", true, "web-secret-0123456789abcdef0123456789")
		web.Name, web.GrantTypes, web.RedirectURIs = "Web", []string{idp.GrantClientCredentials}, nil
		web.SecretHash = "" // ignored: the secret is kept
		if err := clients.Update(ctx, s, web); err != nil {
			t.Fatal(err)
		}
		got, err := s.Clients.ByID(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Web" || got.Public() || len(got.ResponseTypes) != 0 ||
			!slices.Equal(got.GrantTypes, []string{idp.GrantClientCredentials}) {
			t.Fatalf("after update: %+v", got)
		}

		bad := got
		bad.RedirectURIs, bad.GrantTypes = []string{"http://evil.example/cb"}, []string{idp.GrantAuthorizationCode}
		err = clients.Update(ctx, s, bad)
		if !errors.Is(err, idp.ErrInvalid) {
			t.Fatalf("update with an http redirect URI: %v; want ErrInvalid", err)
		}
		if after, _ := s.Clients.ByID(ctx, "web"); !slices.Equal(after.RedirectURIs, got.RedirectURIs) {
			t.Fatalf("a refused update wrote %+v", after)
		}
		if err := clients.Update(ctx, s, idp.Client{ID: "nobody"}); !errors.Is(err, idp.ErrNotFound) {
			t.Fatalf("update of a missing client: %v; want ErrNotFound", err)
		}
	})
}

func TestRotateSecret(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		old := "web-secret-0123456789abcdef0123456789"
		createClient(t, s, "web", true, old)
		secret, err := clients.RotateSecret(ctx, s, "web")
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Clients.ByID(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := password.Verify(c.SecretHash, secret); err != nil || !ok {
			t.Fatalf("the new secret does not verify: %v, %v", ok, err)
		}
		if ok, _ := password.Verify(c.SecretHash, old); ok {
			t.Fatal("the old secret still verifies")
		}
		if c.SecretHash == secret || len(secret) < clients.MinSecretLength {
			t.Fatalf("stored %q for secret %q", c.SecretHash, secret)
		}

		createClient(t, s, "spa", false, "")
		if _, err := clients.RotateSecret(ctx, s, "spa"); !errors.Is(err, idp.ErrInvalid) {
			t.Fatalf("rotate a public client's secret: %v; want ErrInvalid", err)
		}
		if c, _ := s.Clients.ByID(ctx, "spa"); !c.Public() {
			t.Fatal("the public client got a secret")
		}
		if _, err := clients.RotateSecret(ctx, s, "nobody"); !errors.Is(err, idp.ErrNotFound) {
			t.Fatalf("rotate a missing client: %v; want ErrNotFound", err)
		}
	})
}

func TestRemove(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		createClient(t, s, "web", true, "web-secret-0123456789abcdef0123456789")
		if err := clients.Remove(ctx, s, "web"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Clients.ByID(ctx, "web"); !errors.Is(err, idp.ErrNotFound) {
			t.Fatalf("after Remove: %v; want not found", err)
		}
		if err := clients.Remove(ctx, s, "web"); !errors.Is(err, idp.ErrNotFound) {
			t.Fatalf("Remove of a missing client: %v; want ErrNotFound", err)
		}
	})
}
