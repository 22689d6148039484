package provider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/idp/idp"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// fetchJWKS returns the keys published at base's JWKS, checking each is a
// public RS256, ES256 or EdDSA signing key with nothing private in it
// (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2).
func fetchJWKS(t testing.TB, base string) []map[string]any {
	t.Helper()
	resp := must(testClient.Get(base + "/.well-known/jwks.json"))
	defer resp.Body.Close()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("JWKS: status %d: %v", resp.StatusCode, err)
	}
	for _, k := range set.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWKS key %v publishes the private member %q", k["kid"], private)
			}
		}
		var ok bool
		switch k["alg"] {
		case "RS256":
			ok = k["kty"] == "RSA" && k["n"] != nil && k["e"] != nil
		case "ES256":
			ok = k["kty"] == "EC" && k["crv"] == "P-256" && k["x"] != nil && k["y"] != nil
		case "EdDSA":
			ok = k["kty"] == "OKP" && k["crv"] == "Ed25519" && k["x"] != nil
		}
		if !ok || k["use"] != "sig" || k["kid"] == "" {
			t.Errorf("JWKS key = %v, want a public RS256, ES256 or EdDSA signing key with a kid", k)
		}
	}
	return set.Keys
}

// ofAlg keeps the keys of one algorithm.
func ofAlg(keys []map[string]any, alg string) []map[string]any {
	var out []map[string]any
	for _, k := range keys {
		if k["alg"] == alg {
			out = append(out, k)
		}
	}
	return out
}

func kids(keys []map[string]any) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k["kid"].(string))
	}
	slices.Sort(out)
	return out
}

func kidOf(t testing.TB, jwt string) string {
	t.Helper()
	h, _ := jwtParts(t, jwt)
	kid, _ := h["kid"].(string)
	return kid
}

// TestKeyRotation: after keys.Rotate and a (re)start, the JWKS publishes the
// new key beside the old one, new tokens carry the new kid, and tokens
// signed with the old key still verify, for relying parties through the
// JWKS and for the provider itself as an id_token_hint. A key rotated in
// with a delay is published at once but not used before its time.
func TestKeyRotation(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		ctx := context.Background()
		b := e.browser()
		oldTok, _ := e.webRP().signInAs(b, "alice", alicePass)
		oldKID := kidOf(t, idTokenOf(t, oldTok))

		// Rotated in as long ago as the shortest delay allows: active now.
		next, err := keys.Rotate(ctx, e.store, e.secret, keys.RS256, time.Now().Add(-keys.MinActivateAfter), keys.MinActivateAfter)
		if err != nil {
			t.Fatalf("Rotate: %v", err)
		}
		later, err := keys.Rotate(ctx, e.store, e.secret, keys.RS256, time.Now(), time.Hour)
		if err != nil {
			t.Fatalf("Rotate: %v", err)
		}
		e.restart()

		want := []string{oldKID, next.ID, later.ID}
		slices.Sort(want)
		if got := kids(ofAlg(fetchJWKS(t, e.issuer), keys.RS256)); !slices.Equal(got, want) {
			t.Fatalf("JWKS kids = %v, want %v (old, new and pending)", got, want)
		}

		web := e.webRP() // a relying party that has not cached any key
		newTok, _ := web.silent(b)
		if kid := kidOf(t, idTokenOf(t, newTok)); kid != next.ID {
			t.Errorf("new ID token kid = %s, want the rotated key %s", kid, next.ID)
		}
		if kid := kidOf(t, newTok.AccessToken); kid != next.ID {
			t.Errorf("new access token kid = %s, want the rotated key %s", kid, next.ID)
		}

		if _, err := web.verifier.Verify(ctx, idTokenOf(t, oldTok)); err != nil {
			t.Errorf("ID token of the old key no longer verifies: %v", err)
		}
		set := oidc.NewRemoteKeySet(ctx, e.issuer+"/.well-known/jwks.json")
		if _, err := set.VerifySignature(ctx, oldTok.AccessToken); err != nil {
			t.Errorf("access token of the old key no longer verifies: %v", err)
		}
		loc := b.logout(web, hintQuery(idTokenOf(t, oldTok), webLogoutRedirect)).redirect(t)
		if loc.Query().Get("state") != "st-123" {
			t.Errorf("logout with an old-key hint went to %s", loc)
		}
	})
}

// TestReplicasShareKeys: replicas starting together on one empty
// PostgreSQL store (SQLite serves a single process) create one key between
// them (one per algorithm), publish the same JWKS and sign with the same kid, so a token from
// either verifies with the other's keys.
func TestReplicasShareKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := storagetest.Postgres(t)
	secret := []byte("0123456789abcdef0123456789abcdef-replicas")
	cfg := provider.Config{Issuer: "http://idp.localhost", Store: store, Secret: secret, Logger: testLogger(t)}

	var provs [2]*provider.Provider
	var errs [2]error
	var wg sync.WaitGroup
	for i := range provs {
		wg.Add(1)
		go func() { defer wg.Done(); provs[i], errs[i] = provider.New(ctx, cfg) }()
	}
	wg.Wait()
	var urls [2]string
	for i, p := range provs {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		srv := httptest.NewServer(p)
		t.Cleanup(func() { srv.Close(); _ = p.Close() })
		urls[i] = srv.URL
	}
	if rows, err := store.Keys.List(ctx); err != nil || len(rows) != len(keys.Algorithms) {
		t.Fatalf("keys in the store after a joint start: %d (%v), want one per algorithm", len(rows), err)
	}
	(&env{t: t, store: store}).addClient(idp.Client{
		ID: "svc", Name: "Service", GrantTypes: []string{"client_credentials"},
		Scopes: []string{"api:read"}, Audience: []string{"https://api.example.com"},
	}, svcSecret)

	j0, j1 := fetchJWKS(t, urls[0]), fetchJWKS(t, urls[1])
	if len(j0) != len(keys.Algorithms) || !jsonEqual(t, j0, j1) {
		t.Fatalf("replicas publish different JWKS:\n%v\n%v", j0, j1)
	}
	var tokens [2]string
	for i, u := range urls {
		tokens[i] = serviceToken(t, u)
		if kid := kidOf(t, tokens[i]); kid != ofAlg(j0, keys.RS256)[0]["kid"] {
			t.Errorf("replica %d signs with kid %s, want %v", i, kid, ofAlg(j0, keys.RS256)[0]["kid"])
		}
		other := oidc.NewRemoteKeySet(ctx, urls[1-i]+"/.well-known/jwks.json")
		if _, err := other.VerifySignature(ctx, tokens[i]); err != nil {
			t.Errorf("token of replica %d does not verify with the other's JWKS: %v", i, err)
		}
	}
}

func jsonEqual(t testing.TB, a, b any) bool {
	t.Helper()
	return string(must(json.Marshal(a))) == string(must(json.Marshal(b)))
}

// serviceToken gets a client-credentials access token from the provider
// at base.
func serviceToken(t testing.TB, base string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth2/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("svc", svcSecret)
	resp := must(testClient.Do(req))
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("client credentials at %s: %d %v %v", base, resp.StatusCode, out, err)
	}
	at, _ := out["access_token"].(string)
	return at
}
