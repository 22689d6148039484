package provider_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

const rsSecret = "resource-server-secret-0123456789"

// introspectAs posts an introspection request with the given credentials
// header (empty for none) and extra form fields.
func (e *env) introspectAs(authz string, form url.Values) (*http.Response, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/oauth2/introspect", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp := must(testClient.Do(req))
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		e.t.Fatalf("introspect: status %d, not JSON: %s", resp.StatusCode, body)
	}
	return resp, out
}

func basicAuthHeader(id, secret string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return req.Header.Get("Authorization")
}

// TestSecurityIntrospectionRefusesBearerCaller: "Introspection requires
// client authentication by an advertised method." An access token is not a
// client credential: a member's token from a public client presented as the
// caller's credential is refused with invalid_client, and so are a public
// client naming itself and a wrong secret.
func TestSecurityIntrospectionRefusesBearerCaller(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		victim, _ := e.signedIn(e.webRP(), e.browser())
		spa := e.rp("spa", "", "http://127.0.0.1:9999/spa", "openid")
		a := newAuthRequest()
		own, err := spa.exchange(e.code(e.browser().signIn(spa.authURL(a), "bob", bobPass), a), a)
		if err != nil {
			t.Fatalf("spa exchange: %v", err)
		}
		form := url.Values{"token": {victim.AccessToken}}
		for name, authz := range map[string]string{
			"bearer token":  "Bearer " + own.AccessToken,
			"wrong secret":  basicAuthHeader("web", webSecret+"x"),
			"unknown":       basicAuthHeader("nobody", webSecret),
			"public client": basicAuthHeader("spa", ""),
			"none":          "",
		} {
			resp, out := e.introspectAs(authz, form)
			if resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_client" || out["active"] != nil {
				t.Errorf("%s: status %d %v; want 401 invalid_client", name, resp.StatusCode, out)
			}
		}
		resp, out := e.introspectAs("", url.Values{"token": {victim.AccessToken}, "client_id": {"spa"}})
		if resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Errorf("public client by client_id: status %d %v; want 401 invalid_client", resp.StatusCode, out)
		}
	})
}

// TestSecurityIntrospectionAdvertisedAuthMethods: "Make advertised =
// accepted." Every method discovery lists for the introspection endpoint
// authenticates a client registered for it.
func TestSecurityIntrospectionAdvertisedAuthMethods(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.addClient(idp.Client{
			ID: "poster", Name: "Posting service", GrantTypes: []string{"client_credentials"},
			Scopes: []string{"api:read"}, TokenEndpointAuthMethod: idp.AuthMethodPost,
		}, rsSecret)
		resp := must(testClient.Get(e.issuer + "/.well-known/openid-configuration"))
		var disco struct {
			Methods []string `json:"introspection_endpoint_auth_methods_supported"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&disco); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(disco.Methods) == 0 {
			t.Fatal("discovery lists no introspection auth method")
		}
		for _, m := range disco.Methods {
			var authz string
			form := url.Values{}
			id, secret := "svc", svcSecret
			switch m {
			case idp.AuthMethodBasic:
				authz = basicAuthHeader(id, secret)
			case idp.AuthMethodPost:
				id, secret = "poster", rsSecret
				form.Set("client_id", id)
				form.Set("client_secret", secret)
			case idp.AuthMethodPrivateKeyJWT:
				e.exercisePrivateKeyJWT("/oauth2/introspect", []string{"ES256"})
				continue
			default:
				t.Errorf("discovery advertises %q, which this test cannot exercise", m)
				continue
			}
			tokResp, tokOut := e.ccTokenWith(id, secret, m)
			if tokResp.StatusCode != http.StatusOK {
				t.Fatalf("%s: token: %d %v", m, tokResp.StatusCode, tokOut)
			}
			form.Set("token", tokOut["access_token"].(string))
			r, out := e.introspectAs(authz, form)
			if r.StatusCode != http.StatusOK || out["active"] != true {
				t.Errorf("%s: introspecting its own token: %d %v", m, r.StatusCode, out)
			}
		}
	})
}

// ccTokenWith gets a client-credentials token with the given method.
func (e *env) ccTokenWith(id, secret, method string) (*http.Response, map[string]any) {
	e.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
	if method == idp.AuthMethodPost {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
		return e.postForm("/oauth2/token", form, "", "")
	}
	return e.postForm("/oauth2/token", form, id, secret)
}

// TestSecurityIntrospectionOwnTokensOnly: "A client learns active: true
// only for tokens issued to it or whose audience names it, unless it is
// registered as a resource server allowed to introspect all; otherwise
// {"active": false}."
func TestSecurityIntrospectionOwnTokensOnly(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.addClient(idp.Client{
			ID: "rs", Name: "Resource server", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"},
		}, rsSecret)
		e.addClient(idp.Client{
			ID: "rs-all", Name: "Trusted resource server", GrantTypes: []string{"client_credentials"},
			Scopes: []string{"api:read"}, Introspection: idp.IntrospectionAll,
		}, rsSecret)
		e.addClient(idp.Client{
			ID: "caller", Name: "Caller of rs", GrantTypes: []string{"client_credentials"},
			Scopes: []string{"api:read"}, Audience: []string{"rs"},
		}, rsSecret)
		web, _ := e.signedIn(e.webRP(), e.browser())
		_, cc := e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}, "caller", rsSecret)
		forRS, _ := cc["access_token"].(string)
		if forRS == "" {
			t.Fatalf("caller got no token: %v", cc)
		}

		for _, tc := range []struct {
			name, id, secret, token string
			active                  bool
		}{
			{"another client's access token", "svc", svcSecret, web.AccessToken, false},
			{"another client's refresh token", "web2", webSecret, web.RefreshToken, false},
			{"a resource server not named in the audience", "rs", rsSecret, web.AccessToken, false},
			{"its own access token", "web", webSecret, web.AccessToken, true},
			{"its own refresh token", "web", webSecret, web.RefreshToken, true},
			{"a token whose audience names it", "rs", rsSecret, forRS, true},
			{"a resource server allowed all", "rs-all", rsSecret, web.AccessToken, true},
			{"a resource server allowed all, refresh token", "rs-all", rsSecret, web.RefreshToken, true},
		} {
			resp, out := e.postForm("/oauth2/introspect", url.Values{"token": {tc.token}}, tc.id, tc.secret)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s: status %d %v", tc.name, resp.StatusCode, out)
				continue
			}
			if out["active"] != tc.active {
				t.Errorf("%s: active = %v, want %v (%v)", tc.name, out["active"], tc.active, out)
			}
			if !tc.active && len(out) != 1 {
				t.Errorf("%s: an inactive answer says more than active=false: %v", tc.name, out)
			}
		}
	})
}

// TestSecurityIntrospectionScopedMemberDetails: "No member details beyond
// what the token's scopes cover." A token granted openid alone is not
// answered with the member's username; one with profile is.
func TestSecurityIntrospectionScopedMemberDetails(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		b := e.browser()
		narrow, _ := e.signedIn(e.webRP("openid"), b)
		out := e.introspect(narrow.AccessToken)
		if out["active"] != true {
			t.Fatalf("introspect: %v", out)
		}
		if _, ok := out["username"]; ok {
			t.Errorf("username released for a token with only openid: %v", out)
		}
		wide, _ := e.signedIn(e.webRP("openid", "profile"), b)
		if out := e.introspect(wide.AccessToken); out["username"] != "alice" {
			t.Errorf("username missing for a token with profile: %v", out)
		}
	})
}

// TestSecurityIntrospectionRefreshExpiry: "Introspecting a refresh token
// reports its real exp" (RFC 7662 §2.2), the refresh lifetime, not the
// access token's.
func TestSecurityIntrospectionRefreshExpiry(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		tok, _ := e.signedIn(e.webRP(), e.browser())
		out := e.introspect(tok.RefreshToken)
		if out["active"] != true {
			t.Fatalf("introspect refresh token: %v", out)
		}
		exp, _ := out["exp"].(float64)
		iat, _ := out["iat"].(float64)
		if got, want := time.Duration(exp-iat)*time.Second, 720*time.Hour; got < want-time.Minute || got > want+time.Minute {
			t.Errorf("refresh token exp - iat = %v, want about %v (%v)", got, want, out)
		}
		at := e.introspect(tok.AccessToken)
		exp, _ = at["exp"].(float64)
		if got := time.Until(time.Unix(int64(exp), 0)); got > time.Hour+time.Minute || got < 50*time.Minute {
			t.Errorf("access token expires in %v, want about an hour (%v)", got, at)
		}
	})
}
