package keys_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	josev4 "github.com/go-jose/go-jose/v4"

	"github.com/idp/idp"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

func loadAll(t *testing.T, store *storage.Store, now func() time.Time) *keys.Ring {
	t.Helper()
	ring, err := keys.Load(context.Background(), keys.Config{Store: store, Secret: testSecret, Now: now,
		Log: slog.New(slog.DiscardHandler), Retention: retention, Algorithms: keys.Algorithms})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return ring
}

// TestRingKeyPerAlgorithm: Load makes one key per algorithm (once: a
// second start adds none), each signs what its published half verifies,
// and rotating one algorithm leaves the others' active keys alone.
func TestRingKeyPerAlgorithm(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		c := &clock{t: fixedNow}
		ring := loadAll(t, store, c.now)
		loadAll(t, store, c.now)
		list, err := store.Keys.List(ctx)
		if err != nil || len(list) != len(keys.Algorithms) {
			t.Fatalf("keys after two starts: %v, %v; want one per algorithm", list, err)
		}
		set := ring.JWKS()
		before := map[string]string{}
		for _, alg := range keys.Algorithms {
			k, ok := ring.ActiveFor(alg)
			if !ok || k.Algorithm != alg {
				t.Fatalf("ActiveFor(%s) = %+v, %v", alg, k, ok)
			}
			before[alg] = k.ID
			pub := set.Key(k.ID)
			if len(pub) != 1 || pub[0].Algorithm != alg || !pub[0].IsPublic() || pub[0].Use != "sig" {
				t.Fatalf("published %s key: %+v", alg, pub)
			}
			signer, err := josev4.NewSigner(josev4.SigningKey{Algorithm: josev4.SignatureAlgorithm(alg), Key: k.Private}, nil)
			if err != nil {
				t.Fatalf("%s signer: %v", alg, err)
			}
			jws, err := signer.Sign([]byte("payload"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jws.Verify(pub[0]); err != nil {
				t.Fatalf("%s: the published key does not verify the private key's signature: %v", alg, err)
			}
		}
		if ring.Active().ID != before[keys.RS256] {
			t.Fatal("Active is not the RS256 key")
		}

		next, err := keys.Rotate(ctx, store, testSecret, keys.ES256, c.now(), keys.MinActivateAfter)
		if err != nil || next.Algorithm != keys.ES256 {
			t.Fatalf("Rotate ES256: %+v, %v", next, err)
		}
		if err := ring.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		c.add(keys.MinActivateAfter)
		for alg, want := range map[string]string{keys.RS256: before[keys.RS256], keys.ES256: next.ID, keys.EdDSA: before[keys.EdDSA]} {
			if k, _ := ring.ActiveFor(alg); k.ID != want {
				t.Errorf("after rotating ES256, the %s key is %s, want %s", alg, k.ID, want)
			}
		}
		if _, ok := ring.ByID(before[keys.ES256]); !ok {
			t.Error("the superseded ES256 key is no longer published within the retention")
		}
		list, _ = store.Keys.List(ctx)
		states := map[string]keys.KeyState{}
		for i, s := range keys.States(list, c.now()) {
			states[list[i].ID] = s
		}
		want := map[string]keys.KeyState{before[keys.RS256]: keys.StateActive, before[keys.EdDSA]: keys.StateActive,
			next.ID: keys.StateActive, before[keys.ES256]: keys.StateRetiring}
		for id, s := range want {
			if states[id] != s {
				t.Errorf("state of %s = %s, want %s", id, states[id], s)
			}
		}
		if err := keys.Remove(ctx, store, before[keys.EdDSA], c.now()); !errors.Is(err, keys.ErrActiveKey) {
			t.Errorf("Remove of the active EdDSA key = %v, want ErrActiveKey", err)
		}
		if err := keys.Remove(ctx, store, before[keys.ES256], c.now()); err != nil {
			t.Errorf("Remove of the superseded ES256 key: %v", err)
		}
		if _, err := keys.Rotate(ctx, store, testSecret, "HS256", c.now(), keys.MinActivateAfter); err == nil {
			t.Error("Rotate made an HS256 key")
		}
	})
}

// TestRingRefusesKeyOfAnotherAlgorithm: a row whose key is not of the
// algorithm it names (an RSA key filed as ES256) never signs: the ring
// would publish it under the wrong alg and sign tokens no verifier
// accepts. As the active ES256 key it stops the start, naming it.
func TestRingRefusesKeyOfAnotherAlgorithm(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		box := keys.NewBox(testSecret, keys.PurposeSealKeys)
		row := idp.SigningKey{ID: "rsa-as-es", Algorithm: keys.ES256, Sealed: box.Seal(der, []byte("rsa-as-es")),
			CreatedAt: fixedNow, ActiveAt: fixedNow}
		if err := store.Keys.Insert(context.Background(), row); err != nil {
			t.Fatal(err)
		}
		_, err = keys.Load(context.Background(), keys.Config{Store: store, Secret: testSecret, Now: func() time.Time { return fixedNow },
			Log: slog.New(slog.DiscardHandler), Retention: retention, Algorithms: keys.Algorithms})
		if err == nil || !strings.Contains(err.Error(), "rsa-as-es") {
			t.Fatalf("Load with an RSA key filed as ES256 = %v; want an error naming it", err)
		}
	})
}

// TestScheduleRotatesEveryAlgorithm: when the keys of every algorithm
// have signed for the interval, one Run adds one key of each.
func TestScheduleRotatesEveryAlgorithm(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		loadAll(t, store, func() time.Time { return fixedNow })
		res := run(t, schedule(store, nil, ""), fixedNow.Add(interval))
		var algs []string
		for _, k := range res.Rotated {
			algs = append(algs, k.Algorithm)
		}
		if !slices.Equal(algs, keys.Algorithms) {
			t.Fatalf("rotated %v, want one key of each of %v", algs, keys.Algorithms)
		}
		if res := run(t, schedule(store, nil, ""), fixedNow.Add(interval+time.Second)); len(res.Rotated) > 0 {
			t.Fatalf("second Run rotated again: %+v", res.Rotated)
		}
	})
}
