package provider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/idp/idp/storage"
)

// TestClientCredentials: a service gets an RFC 9068 token through
// x/oauth2's clientcredentials; sub is the client id; aud its audience.
func TestClientCredentials(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		prov, err := oidc.NewProvider(context.Background(), e.issuer)
		if err != nil {
			t.Fatal(err)
		}
		cc := clientcredentials.Config{ClientID: "svc", ClientSecret: svcSecret, TokenURL: prov.Endpoint().TokenURL, Scopes: []string{"api:read"}}
		tok, err := cc.Token(context.Background())
		if err != nil {
			t.Fatalf("token: %v", err)
		}
		if tok.RefreshToken != "" || tok.Extra("id_token") != nil {
			t.Error("client credentials issued a refresh or ID token")
		}
		h, claims := jwtParts(t, tok.AccessToken)
		if h["typ"] != "at+jwt" {
			t.Errorf("typ = %v", h["typ"])
		}
		if claims["sub"] != "svc" || claims["client_id"] != "svc" || claims["scope"] != "api:read" {
			t.Errorf("claims = %v", claims)
		}
		if aud, _ := claims["aud"].([]any); !slices.Equal(aud, []any{"https://api.example.com"}) {
			t.Errorf("aud = %v", claims["aud"])
		}
		keys := oidc.NewRemoteKeySet(context.Background(), e.issuer+"/.well-known/jwks.json")
		if _, err := keys.VerifySignature(context.Background(), tok.AccessToken); err != nil {
			t.Errorf("verify through JWKS: %v", err)
		}

		// Introspection, as the service itself (RFC 7662).
		resp, out := e.postForm("/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, "svc", svcSecret)
		if resp.StatusCode != http.StatusOK || out["active"] != true || out["client_id"] != "svc" || out["scope"] != "api:read" || out["sub"] != "svc" {
			t.Fatalf("introspect: %d %v", resp.StatusCode, out)
		}
		if _, ok := out["exp"]; !ok {
			t.Errorf("introspection lacks exp: %v", out)
		}

		// Revocation (RFC 7009) makes it inactive.
		resp, _ = e.postForm("/oauth2/revoke", url.Values{"token": {tok.AccessToken}}, "svc", svcSecret)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if _, out := e.postForm("/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, "svc", svcSecret); out["active"] != false {
			t.Errorf("revoked token still active: %v", out)
		}
	})
}

// TestIntrospectionRequiresClient: an unauthenticated caller learns
// nothing; an unknown token is simply inactive.
func TestIntrospectionRequiresClient(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	resp, out := e.postForm("/oauth2/introspect", url.Values{"token": {"whatever"}}, "", "")
	if resp.StatusCode != http.StatusUnauthorized || out["active"] != nil {
		t.Errorf("anonymous introspection: %d %v", resp.StatusCode, out)
	}
	resp, out = e.postForm("/oauth2/introspect", url.Values{"token": {"whatever"}}, "svc", "wrong")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d %v", resp.StatusCode, out)
	}
	if out := e.introspect("not-a-token"); out["active"] != false {
		t.Errorf("unknown token: %v", out)
	}
}

// TestRevokeRefreshToken revokes the whole grant: refresh fails and the
// access tokens of the grant go inactive.
func TestRevokeRefreshToken(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		tok, _ := e.signedIn(e.webRP(), e.browser())
		resp, _ := e.postForm("/oauth2/revoke", url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}}, "web", webSecret)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "web", webSecret); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("refresh after revoke: %d %v", resp.StatusCode, out)
		}
		if e.introspect(tok.AccessToken)["active"] != false {
			t.Error("access token active after its refresh token was revoked")
		}
		// Another client cannot revoke this client's token: the request is
		// answered 200 (RFC 7009 §2.2) but the token must live on.
		tok2, _ := e.signedIn(e.webRP(), e.browser())
		e.postForm("/oauth2/revoke", url.Values{"token": {tok2.AccessToken}}, "svc", svcSecret)
		if e.introspect(tok2.AccessToken)["active"] != true {
			t.Error("a foreign client revoked the token")
		}
	})
}

// TestDiscovery: the metadata lists every endpoint and states exactly what
// the provider does.
func TestDiscovery(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	resp, err := testClient.Get(e.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d["issuer"] != e.issuer {
		t.Errorf("issuer = %v", d["issuer"])
	}
	for key, path := range map[string]string{
		"authorization_endpoint": "/oauth2/authorize", "token_endpoint": "/oauth2/token",
		"userinfo_endpoint": "/oauth2/userinfo", "jwks_uri": "/.well-known/jwks.json",
		"introspection_endpoint": "/oauth2/introspect", "revocation_endpoint": "/oauth2/revoke",
		"end_session_endpoint": "/oauth2/logout", "device_authorization_endpoint": "/oauth2/device/authorize",
	} {
		if d[key] != e.issuer+path {
			t.Errorf("%s = %v", key, d[key])
		}
	}
	exact := map[string][]any{
		"code_challenge_methods_supported":      {"S256"},
		"id_token_signing_alg_values_supported": {"RS256", "ES256", "EdDSA"},
		"response_types_supported":              {"code"},
		"grant_types_supported":                 {"authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"},
		"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
	}
	for key, want := range exact {
		if got, _ := d[key].([]any); !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", key, d[key], want)
		}
	}
	for _, key := range []string{"authorization_response_iss_parameter_supported", "backchannel_logout_supported", "backchannel_logout_session_supported"} {
		if d[key] != true {
			t.Errorf("%s = %v", key, d[key])
		}
	}
	for _, s := range []string{"openid", "profile", "email", "roles", "offline_access"} {
		if got, _ := d["scopes_supported"].([]any); !slices.Contains(got, any(s)) {
			t.Errorf("scopes_supported lacks %s", s)
		}
	}
	// Every advertised endpoint answers (none is a 404).
	for _, key := range []string{"jwks_uri", "userinfo_endpoint", "token_endpoint", "introspection_endpoint", "revocation_endpoint", "end_session_endpoint"} {
		r, err := testClient.Get(d[key].(string))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode == http.StatusNotFound {
			t.Errorf("%s answers 404", key)
		}
	}
}
