package clients

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/idp/idp/password"
)

func mustHashSecret(t *testing.T, secret string) string {
	t.Helper()
	h, err := HashSecret(secret)
	if err != nil {
		t.Fatalf("HashSecret: %v", err)
	}
	return h
}

func TestGenerateSecret(t *testing.T) {
	a, err := GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateSecret()
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Fatalf("secret %q: %d bytes, %v; want 32 bytes of base64url", a, len(raw), err)
	}
	if a == b {
		t.Fatal("two generated secrets are equal")
	}
}

func TestHashSecretVerifies(t *testing.T) {
	h := mustHashSecret(t, "s3cret")
	if ok, err := password.Verify(h, "s3cret"); err != nil || !ok {
		t.Fatalf("password.Verify = %v, %v; want true", ok, err)
	}
}

func TestVerifier(t *testing.T) {
	h := mustHashSecret(t, "right")
	v := NewVerifier([]byte("cache key"), 8)

	if err := v.Verify(h, "wrong"); !errors.Is(err, ErrSecretMismatch) {
		t.Fatalf("wrong secret: %v; want ErrSecretMismatch", err)
	}
	if len(v.entries) != 0 {
		t.Fatal("a wrong secret was cached")
	}
	for i := range 2 {
		if err := v.Verify(h, "right"); err != nil {
			t.Fatalf("right secret, try %d: %v", i, err)
		}
	}
	if !v.cached(v.cacheKey(h, "right")) || len(v.entries) != 1 {
		t.Fatalf("cache holds %d entries; want the verified pair only", len(v.entries))
	}
	if err := v.Verify(h, "wrong"); !errors.Is(err, ErrSecretMismatch) {
		t.Fatalf("wrong secret after a cached right one: %v; want ErrSecretMismatch", err)
	}

	// A new secret means a new hash: the old secret no longer matches,
	// although its verification is still cached under the old hash.
	h2 := mustHashSecret(t, "rotated")
	if err := v.Verify(h2, "right"); !errors.Is(err, ErrSecretMismatch) {
		t.Fatalf("old secret against the new hash: %v; want ErrSecretMismatch", err)
	}
	if err := v.Verify(h2, "rotated"); err != nil {
		t.Fatalf("new secret: %v", err)
	}
}

func TestVerifierMalformedHash(t *testing.T) {
	v := NewVerifier(nil, 8)
	for _, h := range []string{"", "plain-text-secret"} {
		err := v.Verify(h, h)
		if !errors.Is(err, password.ErrMalformedHash) || errors.Is(err, ErrSecretMismatch) {
			t.Fatalf("Verify(%q) = %v; want ErrMalformedHash", h, err)
		}
	}
	if len(v.entries) != 0 {
		t.Fatal("a failed verification was cached")
	}
}

func TestVerifierEvictsOldest(t *testing.T) {
	v := NewVerifier([]byte("k"), 2)
	hashes := make([]string, 3)
	for i := range hashes {
		hashes[i] = mustHashSecret(t, fmt.Sprint("s", i))
		if err := v.Verify(hashes[i], fmt.Sprint("s", i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(v.entries) != 2 || v.cached(v.cacheKey(hashes[0], "s0")) ||
		!v.cached(v.cacheKey(hashes[2], "s2")) {
		t.Fatalf("after 3 inserts into 2 slots: %d entries, oldest kept = %v",
			len(v.entries), v.cached(v.cacheKey(hashes[0], "s0")))
	}
}

func TestVerifierDisabled(t *testing.T) {
	v := NewVerifier([]byte("k"), 0)
	h := mustHashSecret(t, "s")
	if err := v.Verify(h, "s"); err != nil {
		t.Fatal(err)
	}
	if len(v.entries) != 0 {
		t.Fatal("capacity 0 cached an entry")
	}
}

// TestVerifierConcurrent runs right and wrong secrets for several clients
// at once through a cache smaller than the set of clients, so lookups,
// inserts and evictions race; run it with -race.
func TestVerifierConcurrent(t *testing.T) {
	const clients = 3
	hashes := make([]string, clients)
	for i := range hashes {
		hashes[i] = mustHashSecret(t, fmt.Sprint("secret-", i))
	}
	v := NewVerifier([]byte("k"), 2)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 6 {
		wg.Go(func() {
			for i := range 3 {
				c := (g + i) % clients
				right := (g+i)%2 == 0
				secret := fmt.Sprint("secret-", c)
				if !right {
					secret += "x"
				}
				err := v.Verify(hashes[c], secret)
				if right != (err == nil) || (!right && !errors.Is(err, ErrSecretMismatch)) {
					errs <- fmt.Errorf("client %d, right=%v: %v", c, right, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(v.entries); n > 2 {
		t.Fatalf("cache holds %d entries, capacity 2", n)
	}
}
