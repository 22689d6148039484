package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/idp/idp/internal/idptest"
)

// testNow is the fixed clock of every test, so expiry is exact.
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeIssuer serves discovery and a JWKS for one locally generated key, the
// way the provider does.
type fakeIssuer struct {
	URL string
	key *rsa.PrivateKey
	kid string
}

func newFakeIssuer(t testing.TB) *fakeIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeIssuer{key: key, kid: "key-1"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		idptest.WriteJSON(t, w, http.StatusOK, map[string]any{
			"issuer":                                f.URL,
			"authorization_endpoint":                f.URL + "/oauth2/auth",
			"token_endpoint":                        f.URL + "/oauth2/token",
			"jwks_uri":                              f.URL + "/.well-known/jwks.json",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		idptest.WriteJSON(t, w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &f.key.PublicKey, KeyID: f.kid, Algorithm: "RS256", Use: "sig"},
		}})
	})
	f.URL = idptest.Serve(t, mux).URL
	return f
}

// claims returns valid RFC 9068 claims for the fake issuer.
func (f *fakeIssuer) claims() map[string]any {
	return map[string]any{
		"iss":       f.URL,
		"sub":       "demo-service",
		"aud":       []string{"demo-api"},
		"exp":       testNow.Add(time.Hour).Unix(),
		"iat":       testNow.Add(-time.Minute).Unix(),
		"jti":       "token-1",
		"client_id": "demo-service",
		"scope":     "api:read",
	}
}

func newTestServer(t *testing.T, f *fakeIssuer) *server {
	t.Helper()
	s, err := newServer(context.Background(), config{
		Issuer: f.URL, Audience: "demo-api", Realm: "demo-api", Leeway: 30 * time.Second,
		Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHello(t *testing.T) {
	f := newFakeIssuer(t)
	s := newTestServer(t, f)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	with := func(change func(c map[string]any)) string {
		c := f.claims()
		change(c)
		return idptest.SignJWT(t, f.key, f.kid, "at+jwt", c)
	}
	valid := idptest.SignJWT(t, f.key, f.kid, "at+jwt", f.claims())
	invalidToken := func(desc string) string {
		return `Bearer realm="demo-api", error="invalid_token", error_description="` + desc + `"`
	}
	const noToken = `Bearer realm="demo-api"`
	const missingScope = `Bearer realm="demo-api", error="insufficient_scope", ` +
		`error_description="The access token lacks a required scope", scope="api:read"`

	tests := []struct {
		name       string
		auth       string // Authorization header; empty sends none
		wantStatus int
		wantAuth   string // the whole WWW-Authenticate header; empty wants none
	}{
		{"valid token", "Bearer " + valid, 200, ""},
		{"scheme is case-insensitive", "bearer " + valid, 200, ""},
		{"typ application/at+jwt", "Bearer " + idptest.SignJWT(t, f.key, f.kid, "application/at+jwt", f.claims()), 200, ""},
		{"missing token", "", 401, noToken},
		{"other scheme", "Basic ZGVtbzpkZW1v", 401, noToken},
		{"empty bearer", "Bearer ", 401, noToken},
		{"garbage", "Bearer not-a-jwt", 401, invalidToken("The access token is malformed")},
		{"typ JWT (an ID token)", "Bearer " + idptest.SignJWT(t, f.key, f.kid, "JWT", f.claims()), 401,
			invalidToken("The token is not an access token (typ must be at+jwt)")},
		{"no typ", "Bearer " + idptest.SignJWT(t, f.key, f.kid, "", f.claims()), 401,
			invalidToken("The token is not an access token (typ must be at+jwt)")},
		{"bad signature", "Bearer " + idptest.SignJWT(t, otherKey, f.kid, "at+jwt", f.claims()), 401,
			invalidToken("The access token signature is invalid")},
		{"unknown kid", "Bearer " + idptest.SignJWT(t, otherKey, "key-2", "at+jwt", f.claims()), 401,
			invalidToken("The access token signature is invalid")},
		{"wrong issuer", "Bearer " + with(func(c map[string]any) { c["iss"] = "http://evil.example" }), 401,
			invalidToken("The access token was issued by another issuer")},
		{"wrong audience", "Bearer " + with(func(c map[string]any) { c["aud"] = []string{"other-api"} }), 401,
			invalidToken("The access token is not meant for this API")},
		{"audience as a string", "Bearer " + with(func(c map[string]any) { c["aud"] = "demo-api" }), 200, ""},
		{"expired", "Bearer " + with(func(c map[string]any) { c["exp"] = testNow.Add(-time.Minute).Unix() }), 401,
			invalidToken("The access token expired")},
		{"expired within leeway", "Bearer " + with(func(c map[string]any) { c["exp"] = testNow.Add(-10 * time.Second).Unix() }), 200, ""},
		{"issued in the future", "Bearer " + with(func(c map[string]any) { c["iat"] = testNow.Add(time.Hour).Unix() }), 401,
			invalidToken("The access token is not valid yet")},
		{"no exp", "Bearer " + with(func(c map[string]any) { delete(c, "exp") }), 401,
			invalidToken("The access token lacks the exp claim")},
		{"no client_id", "Bearer " + with(func(c map[string]any) { delete(c, "client_id") }), 401,
			invalidToken("The access token lacks the client_id claim")},
		{"scope as an array", "Bearer " + with(func(c map[string]any) { c["scope"] = []string{"api:read"} }), 401,
			invalidToken("The access token claims are malformed")},
		{"missing scope", "Bearer " + with(func(c map[string]any) { c["scope"] = "openid api:write" }), 403,
			missingScope},
		{"scope is matched exactly", "Bearer " + with(func(c map[string]any) { c["scope"] = "api:readonly" }), 403,
			missingScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/hello", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %q)", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantAuth {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantAuth)
			}
		})
	}
}

func TestHelloBody(t *testing.T) {
	f := newFakeIssuer(t)
	s := newTestServer(t, f)
	req := httptest.NewRequest("GET", "/hello", nil)
	req.Header.Set("Authorization", "Bearer "+idptest.SignJWT(t, f.key, f.kid, "at+jwt", f.claims()))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("status = %d, body %q", rec.Code, rec.Body)
	}
	var body struct {
		Message  string   `json:"message"`
		Sub      string   `json:"sub"`
		ClientID string   `json:"client_id"`
		Scope    []string `json:"scope"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.ClientID != "demo-service" || body.Sub != "demo-service" || len(body.Scope) != 1 || body.Scope[0] != "api:read" {
		t.Errorf("body = %+v", body)
	}
}

func TestOtherRoutes(t *testing.T) {
	s := newTestServer(t, newFakeIssuer(t))
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/healthz", 204},
		{"POST", "/hello", 405},
		{"GET", "/nope", 404},
	} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.want)
		}
	}
}

func TestNewServerRefusesIssuerMismatch(t *testing.T) {
	f := newFakeIssuer(t)
	_, err := newServer(context.Background(), config{Issuer: f.URL + "/other", Audience: "demo-api", Realm: "demo-api"})
	if err == nil {
		t.Fatal("newServer accepted discovery for another issuer")
	}
}

func TestParseConfig(t *testing.T) {
	t.Setenv("API_AUDIENCE", "orders")
	t.Setenv("API_LISTEN", ":7000")
	c, err := parseConfig([]string{"--listen", ":7001"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Audience != "orders" || c.Listen != ":7001" || c.Issuer != "http://localhost:8080" {
		t.Errorf("config = %+v: want the env audience, the flag listen address and the default issuer", c)
	}
	_, err = parseConfig([]string{"--issuer", "localhost", "--audience", "", "--realm", `a"b`})
	for _, want := range []string{"--issuer/API_ISSUER", "--audience/API_AUDIENCE", "--realm/API_REALM"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to name %s", err, want)
		}
	}
}
