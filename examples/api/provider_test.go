package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/internal/idptest"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// TestProviderTokensByAlgorithm runs the real provider, on both stores,
// with a service for each signing algorithm: the API accepts the access
// token each gets from the client credentials grant, verifying it through
// the provider's JWKS, and refuses it once a byte of its signature changes.
func TestProviderTokensByAlgorithm(t *testing.T) {
	idptest.EachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		ctx := context.Background()
		store := open(t)
		srv, issuer := idptest.Listen(t)
		p, err := provider.New(ctx, provider.Config{Issuer: issuer, Store: store,
			Secret: []byte("0123456789abcdef0123456789abcdef-api"), Logger: idptest.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		idptest.Start(t, srv, p)

		api, err := newServer(ctx, config{Issuer: issuer, Audience: "demo-api", Realm: "demo-api", Leeway: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		const secret = "secret-of-the-services-0123456789"
		for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
			c := idptest.AddClient(t, store, idp.Client{ID: "svc-" + alg, Name: "Service " + alg,
				GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"}, Audience: []string{"demo-api"},
				AccessTokenSignedResponseAlg: alg}, secret)
			resp, body := idptest.PostForm(t, issuer+"/oauth2/token",
				url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}, c.ID, secret)
			tok, _ := idptest.JSONObject(t, "token", resp.StatusCode, body)["access_token"].(string)
			if resp.StatusCode != http.StatusOK || tok == "" {
				t.Fatalf("token for %s: %d %s", c.ID, resp.StatusCode, body)
			}
			if h, _ := idptest.JWTParts(t, tok); h["alg"] != alg {
				t.Fatalf("%s client got a token signed %v", alg, h["alg"])
			}
			if code := hello(api, tok); code != http.StatusOK {
				t.Errorf("%s token: GET /hello = %d, want 200", alg, code)
			}
			i := strings.LastIndexByte(tok, '.') + 2
			forged := tok[:i] + string("AB"[(strings.IndexByte("AB", tok[i])+1)%2]) + tok[i+1:]
			if code := hello(api, forged); code != http.StatusUnauthorized {
				t.Errorf("%s token with a changed signature: GET /hello = %d, want 401", alg, code)
			}
		}
	})
}

func hello(api http.Handler, token string) int {
	req := httptest.NewRequest(http.MethodGet, "/hello", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	return rec.Code
}
