package provider_test

import (
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

func TestAdminClients(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newAdminEnv(t, open)
		ops := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		in := map[string]any{"id": "batch", "name": "Batch", "grant_types": []string{"client_credentials"},
			"scopes": []string{"api:read", idp.ScopeAdmin}, "audience": []string{"https://api.example.com"}}
		r := e.call(ops, http.MethodPost, "/clients", in).want(t, http.StatusCreated)
		secret := r.str("secret")
		if len(secret) < 43 || r.str("token_endpoint_auth_method") != "client_secret_basic" {
			t.Fatalf("create: %s; want a generated secret and the default auth method", r.body)
		}
		stored, _ := e.store.Clients.ByID(t.Context(), "batch")
		if stored.SecretHash == "" || strings.Contains(stored.SecretHash, secret) {
			t.Fatal("the store does not hold a hash of the secret")
		}
		if ev := e.audit.last(idp.AuditClientCreated); ev == nil || ev["client"] != "batch" || strings.Contains(fmt.Sprint(ev), secret) {
			t.Fatalf("audit event of the creation = %v; want the client and no secret", ev)
		}
		batch := e.clientToken("batch", secret, idp.ScopeAdmin)
		r = e.call(batch, http.MethodGet, "/clients/batch", nil).want(t, http.StatusOK)
		if _, ok := r.json["secret"]; ok {
			t.Fatalf("GET shows the secret: %s", r.body)
		}

		e.call(ops, http.MethodPost, "/clients", in).want(t, http.StatusConflict, "conflict", "id")
		bad := map[string]any{"id": "bad", "redirect_uris": []string{"http://example.com/cb"}}
		r = e.call(ops, http.MethodPost, "/clients", bad).want(t, http.StatusUnprocessableEntity, "invalid-field", "redirect_uris[0]")
		e.call(ops, http.MethodPost, "/clients", map[string]any{"id": "bad", "secret": "chosen"}).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "secret")
		e.call(ops, http.MethodPost, "/clients", map[string]any{"id": "bad", "grant_types": "client_credentials"}).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "grant_types")
		// A field of an embedded group is named as the client sent it too.
		e.call(ops, http.MethodPost, "/clients", map[string]any{"id": "bad", "jwks_uri": 7}).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "jwks_uri")
		if _, err := e.store.Clients.ByID(t.Context(), "bad"); err == nil {
			t.Fatal("a refused client was stored")
		}

		// Merge patch under If-Match; the registration rules still apply.
		tag := r.header.Get("ETag")
		tag = e.call(ops, http.MethodGet, "/clients/batch", nil).want(t, http.StatusOK).header.Get("ETag")
		e.call(ops, http.MethodPatch, "/clients/batch", map[string]any{"grant_types": []string{"authorization_code"}}, "If-Match", tag).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "redirect_uris")
		r = e.call(ops, http.MethodPatch, "/clients/batch", map[string]any{"name": "Nightly", "audience": nil}, "If-Match", tag).want(t, http.StatusOK)
		if r.str("name") != "Nightly" || len(r.json["audience"].([]any)) != 0 || r.header.Get("ETag") == tag {
			t.Fatalf("after the patch: %s", r.body)
		}
		e.call(ops, http.MethodPatch, "/clients/batch", map[string]any{"name": "Lost"}, "If-Match", tag).want(t, http.StatusPreconditionFailed, "precondition-failed")
		// Token signing algorithms: another is refused, naming the field; a
		// supported one is kept.
		tag = r.header.Get("ETag")
		e.call(ops, http.MethodPatch, "/clients/batch", map[string]any{"access_token_signed_response_alg": "none"}, "If-Match", tag).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "access_token_signed_response_alg")
		r = e.call(ops, http.MethodPatch, "/clients/batch", map[string]any{"access_token_signed_response_alg": "ES256"}, "If-Match", tag).want(t, http.StatusOK)
		if r.str("access_token_signed_response_alg") != "ES256" || r.str("id_token_signed_response_alg") != "" {
			t.Fatalf("after the algorithm patch: %s", r.body)
		}

		// Rotation: the new secret once, the old one refused.
		r = e.call(ops, http.MethodPost, "/clients/batch/secret", nil).want(t, http.StatusOK)
		fresh := r.str("secret")
		if fresh == "" || fresh == secret {
			t.Fatalf("rotation: %s", r.body)
		}
		old := clientcredentials.Config{ClientID: "batch", ClientSecret: secret, TokenURL: e.issuer + "/oauth2/token"}
		if _, err := old.Token(context.Background()); err == nil {
			t.Fatal("the old secret still works")
		}
		batch = e.clientToken("batch", fresh, idp.ScopeAdmin)
		e.call(ops, http.MethodPost, "/clients/spa/secret", nil).want(t, http.StatusUnprocessableEntity, "invalid-field")

		// Deleting a client revokes its tokens.
		e.call(batch, http.MethodGet, "/keys", nil).want(t, http.StatusOK)
		e.call(ops, http.MethodDelete, "/clients/batch", nil).want(t, http.StatusNoContent)
		e.call(batch, http.MethodGet, "/keys", nil).want(t, http.StatusUnauthorized, "unauthorized")
		e.call(ops, http.MethodGet, "/clients/batch", nil).want(t, http.StatusNotFound, "not-found")
		if ev := e.audit.last(idp.AuditClientDeleted); ev == nil || ev["actor"] != "client:ops" {
			t.Fatalf("audit event of the deletion = %v", ev)
		}

		// A public client: no secret.
		r = e.call(ops, http.MethodPost, "/clients", map[string]any{"id": "app", "token_endpoint_auth_method": "none",
			"redirect_uris": []string{"http://127.0.0.1:8000/cb"}, "dpop_bound_access_tokens": true}).want(t, http.StatusCreated)
		if _, ok := r.json["secret"]; ok {
			t.Fatalf("a public client got a secret: %s", r.body)
		}
		if r.json["dpop_bound_access_tokens"] != true {
			t.Fatalf("dpop_bound_access_tokens not stored: %s", r.body)
		}
		tag = e.call(ops, http.MethodGet, "/clients/app", nil).want(t, http.StatusOK).header.Get("ETag")
		r = e.call(ops, http.MethodPatch, "/clients/app", map[string]any{"dpop_bound_access_tokens": false}, "If-Match", tag).want(t, http.StatusOK)
		if app, _ := e.store.Clients.ByID(t.Context(), "app"); r.json["dpop_bound_access_tokens"] != false || app.DPoPBoundAccessTokens {
			t.Fatalf("dpop_bound_access_tokens not patched: %s", r.body)
		}

		// Pages.
		var ids []string
		cursor := ""
		for range 10 {
			r = e.call(ops, http.MethodGet, "/clients?limit=2&cursor="+cursor, nil).want(t, http.StatusOK)
			for _, it := range r.json["items"].([]any) {
				ids = append(ids, it.(map[string]any)["id"].(string))
			}
			if cursor = r.str("next_cursor"); cursor == "" {
				break
			}
		}
		if got := strings.Join(ids, " "); got != "app console ops spa svc web web2" {
			t.Fatalf("clients over pages: %q", got)
		}
	})
}

func TestAdminKeys(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newAdminEnv(t, open)
		ops := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		r := e.call(ops, http.MethodGet, "/keys", nil).want(t, http.StatusOK)
		if items := r.json["items"].([]any); len(items) != 3 || items[0].(map[string]any)["state"] != "active" {
			t.Fatalf("keys: %s; want the active key of each algorithm", r.body)
		}
		e.call(ops, http.MethodPost, "/keys/rotate", map[string]any{"alg": "HS256"}).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "alg")
		if r := e.call(ops, http.MethodPost, "/keys/rotate", map[string]any{"alg": "EdDSA"}).want(t, http.StatusCreated); r.str("alg") != "EdDSA" {
			t.Fatalf("rotate EdDSA: %s", r.body)
		}
		e.call(ops, http.MethodPost, "/keys/rotate", map[string]any{"activate_after": "1s"}).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "activate_after")
		e.call(ops, http.MethodPost, "/keys/rotate", map[string]any{"activate_after": "soon"}).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "activate_after")
		r = e.call(ops, http.MethodPost, "/keys/rotate", nil).want(t, http.StatusCreated)
		kid := r.str("kid")
		if ev := e.audit.last(idp.AuditKeyRotated); ev == nil || ev["actor"] != "client:ops" {
			t.Fatalf("audit event = %v", ev)
		}
		r = e.call(ops, http.MethodGet, "/keys", nil).want(t, http.StatusOK)
		states := map[string]int{}
		for _, it := range r.json["items"].([]any) {
			k := it.(map[string]any)
			states[k["alg"].(string)+" "+k["state"].(string)]++
			if k["kid"] == kid && (k["alg"] != "RS256" || k["state"] != "next") {
				t.Fatalf("the rotated key: %v; want the next RS256 key", k)
			}
		}
		want := map[string]int{"RS256 next": 1, "RS256 active": 1, "ES256 active": 1, "EdDSA next": 1, "EdDSA active": 1}
		if fmt.Sprint(states) != fmt.Sprint(want) {
			t.Fatalf("keys after rotation: %v; want each new key next and the old ones active", states)
		}
	})
}

// A private_key_jwt client registered through the API has no secret and
// gets tokens with assertions signed by the key it registered; requiring
// pushed authorization requests is a field like any other.
func TestAdminPrivateKeyJWTClient(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newAdminEnv(t, open)
		ops := e.clientToken("ops", opsSecret, idp.ScopeAdmin)
		key := newKey(t, jose.ES256)
		var set map[string]any
		_ = json.Unmarshal([]byte(jwks(jose.ES256, map[string]crypto.Signer{"k1": key})), &set)
		in := map[string]any{"id": "signer", "name": "Signer", "grant_types": []string{"client_credentials"},
			"scopes": []string{"api:read"}, "token_endpoint_auth_method": "private_key_jwt",
			"token_endpoint_auth_signing_alg": "ES256", "jwks": set}
		r := e.call(ops, http.MethodPost, "/clients", in).want(t, http.StatusCreated)
		if r.str("secret") != "" || r.json["jwks"] == nil || r.str("token_endpoint_auth_signing_alg") != "ES256" {
			t.Fatalf("create: %s; want no secret and the keys", r.body)
		}
		kc := &keyClient{e: e.env, id: "signer", alg: jose.ES256, key: key, kid: "k1"}
		if resp, out := kc.clientCredentials(kc.assertion(e.issuer)); resp.StatusCode != http.StatusOK {
			t.Fatalf("token with the registered key: %d %v", resp.StatusCode, out)
		}
		e.call(ops, http.MethodPost, "/clients", map[string]any{"id": "nokeys", "token_endpoint_auth_method": "private_key_jwt",
			"grant_types": []string{"client_credentials"}, "token_endpoint_auth_signing_alg": "ES256"}).
			want(t, http.StatusUnprocessableEntity, "invalid-field", "jwks")

		web := e.call(ops, http.MethodGet, "/clients/web", nil).want(t, http.StatusOK)
		r = e.call(ops, http.MethodPatch, "/clients/web", map[string]any{"require_pushed_authorization_requests": true},
			"If-Match", web.header.Get("ETag")).want(t, http.StatusOK)
		if r.json["require_pushed_authorization_requests"] != true {
			t.Fatalf("after the patch: %s", r.body)
		}
	})
}
