package idptest

import (
	"context"
	"sync"
	"testing"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/password"
	"github.com/idp/idp/storage"
)

// AddMember stores m with the Argon2id hash of pass and returns it with its
// id.
func AddMember(t testing.TB, store *storage.Store, m idp.Member, pass string) idp.Member {
	t.Helper()
	m.PasswordHash = cachedHash(t, "password", pass, password.Hash)
	if err := store.Members.Create(context.Background(), &m); err != nil {
		t.Fatalf("add member %s: %v", m.Email, err)
	}
	return m
}

// AddClient stores c, normalized and validated by the clients rules, with
// the hash of secret (a public client when secret is empty).
func AddClient(t testing.TB, store *storage.Store, c idp.Client, secret string) idp.Client {
	t.Helper()
	if secret != "" {
		c.SecretHash = cachedHash(t, "client secret", secret, clients.HashSecret)
	}
	clients.Normalize(&c)
	if err := clients.Validate(c); err != nil {
		t.Fatalf("client %s: %v", c.ID, err)
	}
	if err := store.Clients.Create(context.Background(), &c); err != nil {
		t.Fatalf("add client %s: %v", c.ID, err)
	}
	return c
}

// hashes caches Argon2id hashes by kind and input: tests seed the same
// members and clients again and again, and the KDF would otherwise dominate
// the suite.
var hashes sync.Map

func cachedHash(t testing.TB, kind, plain string, hash func(string) (string, error)) string {
	t.Helper()
	key := kind + "\x00" + plain
	if h, ok := hashes.Load(key); ok {
		return h.(string)
	}
	h, err := hash(plain)
	if err != nil {
		t.Fatalf("hash %s: %v", kind, err)
	}
	hashes.Store(key, h)
	return h
}
