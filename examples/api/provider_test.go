package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// TestProviderTokensByAlgorithm runs the real provider, on both stores,
// with a service for each signing algorithm: the API accepts the access
// token each gets from the client credentials grant, verifying it through
// the provider's JWKS, and refuses it once a byte of its signature changes.
func TestProviderTokensByAlgorithm(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, store *storage.Store) {
		ctx := context.Background()
		srv := httptest.NewUnstartedServer(nil)
		issuer := "http://" + srv.Listener.Addr().String()
		p, err := provider.New(ctx, provider.Config{Issuer: issuer, Store: store,
			Secret: []byte("0123456789abcdef0123456789abcdef-api"), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		srv.Config.Handler = p
		srv.Start()
		t.Cleanup(func() { srv.Close(); _ = p.Close() })

		api, err := newServer(ctx, config{Issuer: issuer, Audience: "demo-api", Realm: "demo-api", Leeway: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
			c := idp.Client{ID: "svc-" + alg, Name: "Service " + alg, GrantTypes: []string{"client_credentials"},
				Scopes: []string{"api:read"}, Audience: []string{"demo-api"}, AccessTokenSignedResponseAlg: alg}
			secret := "secret-of-the-" + alg + "-service-0123456789"
			clients.Prepare(&c, true)
			if err := clients.Validate(c); err != nil {
				t.Fatalf("client %s: %v", alg, err)
			}
			if err := clients.Create(ctx, store, &c, secret); err != nil {
				t.Fatalf("client %s: %v", alg, err)
			}
			tok := serviceToken(t, issuer, c.ID, secret)
			if h := header(t, tok); h["alg"] != alg {
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

func serviceToken(t *testing.T, issuer, id, secret string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, issuer+"/oauth2/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || out.AccessToken == "" {
		t.Fatalf("token for %s: %d %s", id, resp.StatusCode, body)
	}
	return out.AccessToken
}

func header(t *testing.T, token string) map[string]any {
	t.Helper()
	var h map[string]any
	raw, err := base64.RawURLEncoding.DecodeString(strings.SplitN(token, ".", 2)[0])
	if err != nil || json.Unmarshal(raw, &h) != nil {
		t.Fatalf("token header: %v", err)
	}
	return h
}

func hello(api http.Handler, token string) int {
	req := httptest.NewRequest(http.MethodGet, "/hello", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	return rec.Code
}
