package provider_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/idp/idp/provider/registration"
	"github.com/idp/idp/storage"
)

// TestRegisteredClientSignsIn: a relying party registers itself (RFC
// 7591) with an initial access token, then signs a member in with go-oidc
// and x/oauth2 (authorization code with PKCE) using only the credentials
// the registration returned, as a confidential and as a public client.
func TestRegisteredClientSignsIn(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := regEnv(t, open(t), registration.Token)
		for _, tc := range []struct {
			name, method, redirect string
		}{
			{"confidential", "", "http://dyn.localhost/cb"},
			{"public", "none", "http://127.0.0.1:9999/dyn"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := map[string]any{
					"client_name": "Dynamic " + tc.name, "redirect_uris": []string{tc.redirect},
					"scope": "openid profile email offline_access", "logo_uri": "https://dyn.example/logo.png",
				}
				if tc.method != "" {
					body["token_endpoint_auth_method"] = tc.method
				}
				out := e.mustRegister(e.initialToken(time.Now(), time.Hour), body)
				id, _ := out["client_id"].(string)
				secret, _ := out["client_secret"].(string)
				if id == "" || (tc.method == "none") != (secret == "") || out["registration_access_token"] == "" ||
					out["registration_client_uri"] != e.issuer+registration.Path+"/"+id || out["logo_uri"] != nil {
					t.Fatalf("registration response %v", out)
				}
				if tc.method != "none" && (out["client_secret_expires_at"] != float64(0) || out["token_endpoint_auth_method"] != "client_secret_basic") {
					t.Errorf("confidential client: %v", out)
				}
				if issued, _ := out["client_id_issued_at"].(float64); time.Since(time.Unix(int64(issued), 0)) > time.Minute {
					t.Errorf("client_id_issued_at %v", out["client_id_issued_at"])
				}
				if !slices.Equal(toStrings(out["grant_types"]), []string{"authorization_code", "refresh_token"}) ||
					!slices.Equal(toStrings(out["response_types"]), []string{"code"}) {
					t.Errorf("registered defaults: %v", out)
				}

				relying := e.rp(id, secret, tc.redirect, "openid", "profile", "email", "offline_access")
				a := newAuthRequest()
				tok, err := relying.exchange(e.codeOf(e.browser().responseParams(relying.authURL(a)), a), a)
				if err != nil {
					t.Fatalf("exchange: %v", err)
				}
				idt, claims := relying.idToken(tok, a.nonce)
				if claims["email"] != aliceEmail || !slices.Equal(idt.Audience, []string{id}) {
					t.Errorf("ID token claims %v", claims)
				}
				if tok.RefreshToken == "" {
					t.Error("no refresh token for offline_access")
				}
				if resp, _ := e.userinfo(tok.AccessToken); resp.StatusCode != http.StatusOK {
					t.Errorf("userinfo: %d", resp.StatusCode)
				}
			})
		}
	})
}

// TestRegistrationManagement: the registration access token reads,
// replaces and deletes its client (RFC 7592); each read or update returns
// a new token and retires the one presented; an update goes through the
// same rules; deleting revokes the client's tokens.
func TestRegistrationManagement(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := regEnv(t, open(t), registration.Open)
		out := e.mustRegister("", map[string]any{"redirect_uris": []string{"http://dyn.localhost/cb"}, "scope": "openid email"})
		id, secret, uri := out["client_id"].(string), out["client_secret"].(string), out["registration_client_uri"].(string)
		token := out["registration_access_token"].(string)

		resp, got := e.regCall(http.MethodGet, uri, token, nil)
		if resp.StatusCode != http.StatusOK || got["client_id"] != id || got["client_secret"] != nil || got["scope"] != "openid email" {
			t.Fatalf("read: %d %v", resp.StatusCode, got)
		}
		if r, _ := e.regCall(http.MethodGet, uri, token, nil); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("the token presented to a read still works: %d", r.StatusCode)
		}
		token = got["registration_access_token"].(string)

		// Updates go through the rules, and need the client's own id.
		for body, want := range map[string]string{
			`{"client_id":"` + id + `","redirect_uris":["http://evil.example/cb"]}`:                                   "invalid_redirect_uri",
			`{"client_id":"` + id + `","redirect_uris":["https://a.example/cb"],"scope":"idp:admin"}`:                 "invalid_client_metadata",
			`{"client_id":"other","redirect_uris":["https://a.example/cb"]}`:                                          "invalid_client_metadata",
			`{"redirect_uris":["https://a.example/cb"]}`:                                                              "invalid_client_metadata",
			`{"client_id":"` + id + `","redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none"}`: "invalid_client_metadata",
		} {
			r, o := e.regCall(http.MethodPut, uri, token, []byte(body))
			if r.StatusCode != http.StatusBadRequest || o["error"] != want {
				t.Errorf("PUT %s: %d %v; want 400 %s", body, r.StatusCode, o, want)
			}
		}
		resp, got = e.regCall(http.MethodPut, uri, token, map[string]any{
			"client_id": id, "client_name": "Renamed", "redirect_uris": []string{"http://dyn.localhost/cb2"}, "scope": "openid profile",
		})
		if resp.StatusCode != http.StatusOK || got["client_name"] != "Renamed" || got["scope"] != "openid profile" {
			t.Fatalf("update: %d %v", resp.StatusCode, got)
		}
		c := must(e.store.Clients.ByID(context.Background(), id))
		if c.Name != "Renamed" || !slices.Equal(c.RedirectURIs, []string{"http://dyn.localhost/cb2"}) || c.Public() {
			t.Errorf("stored after update: %+v", c)
		}
		token = got["registration_access_token"].(string)

		// The client signs in, then deletes itself: its tokens die with it.
		relying := e.rp(id, secret, "http://dyn.localhost/cb2", "openid", "profile")
		a := newAuthRequest()
		tok, err := relying.exchange(e.codeOf(e.browser().responseParams(relying.authURL(a)), a), a)
		if err != nil {
			t.Fatalf("exchange after update: %v", err)
		}
		if r, _ := e.regCall(http.MethodDelete, uri, token, nil); r.StatusCode != http.StatusNoContent {
			t.Fatalf("delete: %d", r.StatusCode)
		}
		if r, _ := e.userinfo(tok.AccessToken); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("userinfo with a deleted client's token: %d, want 401", r.StatusCode)
		}
		if slices.Contains(e.clientIDs(), id) {
			t.Error("client still stored after delete")
		}
		if r, _ := e.regCall(http.MethodGet, uri, token, nil); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("read after delete: %d, want 401", r.StatusCode)
		}
	})
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, s := range list {
		str, _ := s.(string)
		out = append(out, str)
	}
	return out
}
