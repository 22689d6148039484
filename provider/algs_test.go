package provider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	josev4 "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/provider/registration"
	"github.com/idp/idp/storage"
)

// jwks fetches the published key set.
func (e *env) jwks() josev4.JSONWebKeySet {
	e.t.Helper()
	resp := must(testClient.Get(e.issuer + "/.well-known/jwks.json"))
	defer resp.Body.Close()
	var set josev4.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		e.t.Fatalf("jwks: %v", err)
	}
	return set
}

// checkSignedWith asserts a token's header names alg and a published key
// of that algorithm.
func (e *env) checkSignedWith(what, token, alg string) {
	e.t.Helper()
	h, _ := jwtParts(e.t, token)
	if h["alg"] != alg {
		e.t.Fatalf("%s alg = %v, want %s", what, h["alg"], alg)
	}
	kid, _ := h["kid"].(string)
	set := e.jwks()
	found := set.Key(kid)
	if len(found) != 1 || found[0].Algorithm != alg {
		e.t.Fatalf("%s kid %q: published keys %+v, want one %s key", what, kid, found, alg)
	}
}

// exerciseSigningAlg registers a client asking for alg for its ID and
// access tokens, runs the code flow and a refresh, and checks that go-oidc
// verifies the ID tokens (signature through the JWKS, at_hash), that both
// tokens name a published key of alg, and that userinfo and introspection
// accept the access tokens.
func (e *env) exerciseSigningAlg(alg string) {
	e.t.Helper()
	id := "app-" + alg
	redirect := "http://" + id + ".localhost/cb"
	e.addClient(idp.Client{
		ID: id, Name: "App " + alg, RedirectURIs: []string{redirect}, SkipConsent: true,
		GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: []string{"openid", "profile", "offline_access"},
		IDTokenSignedResponseAlg: alg, AccessTokenSignedResponseAlg: alg,
	}, webSecret)
	r := e.rp(id, webSecret, redirect, "openid", "profile", "offline_access")
	r.verifier = r.provider.Verifier(&oidc.Config{ClientID: id, SupportedSigningAlgs: []string{alg}})
	tok, _ := r.signInAs(e.browser(), "alice", alicePass)
	e.checkSignedWith("ID token", tok.Extra("id_token").(string), alg)
	e.checkSignedWith("access token", tok.AccessToken, alg)
	if resp, _ := e.userinfo(tok.AccessToken); resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s: userinfo with the access token: %d", alg, resp.StatusCode)
	}
	if _, out := e.postForm("/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, id, webSecret); out["active"] != true {
		e.t.Fatalf("%s: introspection: %v", alg, out)
	}

	refreshed, err := r.oauth.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		e.t.Fatalf("%s: refresh: %v", alg, err)
	}
	raw, _ := refreshed.Extra("id_token").(string)
	idt, err := r.verifier.Verify(context.Background(), raw)
	if err != nil {
		e.t.Fatalf("%s: verify refreshed ID token: %v", alg, err)
	}
	if err := idt.VerifyAccessToken(refreshed.AccessToken); err != nil {
		e.t.Fatalf("%s: refreshed at_hash: %v", alg, err)
	}
	e.checkSignedWith("refreshed access token", refreshed.AccessToken, alg)
}

// TestSigningAlgorithms: a client that registered ES256 or EdDSA gets ID
// and access tokens signed so, verified by go-oidc through the JWKS, on
// both stores; other clients keep RS256; the JWKS publishes one key of
// each algorithm with its alg and kid.
func TestSigningAlgorithms(t *testing.T) {
	if !slices.Equal(keys.Algorithms, clients.SigningAlgs) {
		t.Fatalf("keys.Algorithms %v and clients.SigningAlgs %v differ", keys.Algorithms, clients.SigningAlgs)
	}
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		byAlg := map[string]int{}
		for _, k := range e.jwks().Keys {
			if k.KeyID == "" || k.Use != "sig" || !k.Valid() || !k.IsPublic() {
				t.Errorf("published key %+v: want a public signing key with a kid", k)
			}
			byAlg[k.Algorithm]++
		}
		for _, alg := range keys.Algorithms {
			if byAlg[alg] != 1 {
				t.Errorf("JWKS has %d %s keys, want 1: %v", byAlg[alg], alg, byAlg)
			}
		}
		for _, alg := range []string{keys.ES256, keys.EdDSA} {
			t.Run(alg, func(t *testing.T) { e.t = t; e.exerciseSigningAlg(alg) })
		}
		e.t = t
		tok, _ := e.signedIn(e.webRP(), e.browser())
		e.checkSignedWith("default ID token", tok.Extra("id_token").(string), keys.RS256)
		e.checkSignedWith("default access token", tok.AccessToken, keys.RS256)
	})
}

// TestSigningAlgorithmClientCredentials: a service that registered ES256
// gets ES256 access tokens from the client credentials grant.
func TestSigningAlgorithmClientCredentials(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.addClient(idp.Client{
			ID: "svc-es", Name: "Service ES256", GrantTypes: []string{"client_credentials"},
			Scopes: []string{"api:read"}, Audience: []string{"https://api.example.com"},
			AccessTokenSignedResponseAlg: keys.ES256,
		}, svcSecret)
		resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}, "svc-es", svcSecret)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("token: %d %v", resp.StatusCode, out)
		}
		e.checkSignedWith("access token", out["access_token"].(string), keys.ES256)
		if _, got := e.postForm("/oauth2/introspect", url.Values{"token": {out["access_token"].(string)}}, "svc-es", svcSecret); got["active"] != true {
			t.Fatalf("introspection: %v", got)
		}
	})
}

// TestBackchannelLogoutTokenAlgorithm: a client that registered EdDSA for
// its ID tokens gets its logout token signed with EdDSA too (Back-Channel
// Logout 1.0 §2.4: the keys of ID tokens), which go-oidc verifies through
// the JWKS accepting EdDSA only.
func TestBackchannelLogoutTokenAlgorithm(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		uri, tokens := logoutTokens(t, func(int) int { return http.StatusOK })
		redirect := "http://bc-ed.localhost/callback"
		e.addClient(idp.Client{
			ID: "bc-ed", Name: "bc-ed", RedirectURIs: []string{redirect}, SkipConsent: true,
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile"},
			BackchannelLogoutURI: uri, IDTokenSignedResponseAlg: keys.EdDSA,
		}, webSecret)
		r := e.rp("bc-ed", webSecret, redirect, "openid", "profile")
		r.verifier = r.provider.Verifier(&oidc.Config{ClientID: "bc-ed", SupportedSigningAlgs: []string{keys.EdDSA}})
		b := e.browser()
		tok, _ := r.signInAs(b, "alice", alicePass)
		b.logout(r, url.Values{"id_token_hint": {idTokenOf(t, tok)}})
		lt := receive(t, tokens)
		e.checkSignedWith("logout token", lt, keys.EdDSA)
		if _, err := r.verifier.VerifyLogout(context.Background(), lt); err != nil {
			t.Fatalf("go-oidc refuses the logout token: %v", err)
		}
	})
}

// TestRegisteredSigningAlgorithm: a client registering itself (RFC 7591)
// may ask for EdDSA ID tokens and gets them, verified by go-oidc; an
// algorithm the provider does not sign with ("none", HS256) is refused
// with invalid_client_metadata naming the field, and nothing is stored.
func TestRegisteredSigningAlgorithm(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := regEnv(t, open(t), registration.Open)
		const redirect = "http://dyn-ed.localhost/cb"
		for _, bad := range []map[string]any{
			{"id_token_signed_response_alg": "none"}, {"access_token_signed_response_alg": "HS256"},
		} {
			body := map[string]any{"client_name": "Bad", "redirect_uris": []string{redirect}, "scope": "openid"}
			var field string
			for k, v := range bad {
				body[k], field = v, k
			}
			resp, out := e.register("", body)
			desc, _ := out["error_description"].(string)
			if resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_client_metadata" || !strings.Contains(desc, field) {
				t.Errorf("register with %v: %d %v", bad, resp.StatusCode, out)
			}
		}
		if list, err := e.store.Clients.List(context.Background()); err != nil || len(list) != 4 {
			t.Fatalf("clients after refused registrations: %d, %v; want the 4 seeded", len(list), err)
		}
		out := e.mustRegister("", map[string]any{
			"client_name": "Dynamic EdDSA", "redirect_uris": []string{redirect}, "scope": "openid profile",
			"id_token_signed_response_alg": "EdDSA", "access_token_signed_response_alg": "ES256",
		})
		if out["id_token_signed_response_alg"] != "EdDSA" || out["access_token_signed_response_alg"] != "ES256" {
			t.Fatalf("registration response %v", out)
		}
		id, secret := out["client_id"].(string), out["client_secret"].(string)
		r := e.rp(id, secret, redirect, "openid", "profile")
		r.verifier = r.provider.Verifier(&oidc.Config{ClientID: id, SupportedSigningAlgs: []string{keys.EdDSA}})
		a := newAuthRequest()
		tok, err := r.exchange(e.codeOf(e.browser().responseParams(r.authURL(a)), a), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		r.idToken(tok, a.nonce)
		e.checkSignedWith("access token", tok.AccessToken, keys.ES256)
	})
}
