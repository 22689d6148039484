package provider_test

import (
	"crypto"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// TestPrivateKeyJWT: a client holding an RS256, ES256 or EdDSA key gets
// tokens with assertions whose aud is the issuer or the endpoint's URL,
// and uses them at introspection, revocation and PAR too.
func TestPrivateKeyJWT(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA} {
			kc := e.addKeyClient("key-"+strings.ToLower(string(alg)), alg, "")
			for _, aud := range []string{e.issuer, e.issuer + "/oauth2/token"} {
				resp, out := kc.clientCredentials(kc.assertion(aud))
				if resp.StatusCode != http.StatusOK || out["access_token"] == nil {
					t.Fatalf("%s, aud %s: %d %v", alg, aud, resp.StatusCode, out)
				}
			}
		}
		kc := e.addKeyClient("key-all", jose.ES256, "")
		_, out := kc.clientCredentials(kc.assertion(e.issuer))
		at, _ := out["access_token"].(string)
		resp, in := e.postForm("/oauth2/introspect", withAssertion(url.Values{"token": {at}}, kc.assertion(e.issuer+"/oauth2/introspect")), "", "")
		if resp.StatusCode != http.StatusOK || in["active"] != true {
			t.Errorf("introspection with private_key_jwt: %d %v", resp.StatusCode, in)
		}
		resp, _ = e.postForm("/oauth2/revoke", withAssertion(url.Values{"token": {at}}, kc.assertion(e.issuer)), "", "")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("revocation with private_key_jwt: %d", resp.StatusCode)
		}
		if in := e.introspectWithKey(kc, at); in["active"] != false {
			t.Errorf("revoked token still active: %v", in)
		}
		// The device authorization endpoint, aud its own URL; the poll
		// authenticates again with a fresh assertion.
		resp, da := e.postForm("/oauth2/device/authorize", withAssertion(url.Values{"scope": {"openid"}}, kc.assertion(e.issuer+"/oauth2/device/authorize")), "", "")
		if resp.StatusCode != http.StatusOK || da["device_code"] == nil {
			t.Fatalf("device authorization with private_key_jwt: %d %v", resp.StatusCode, da)
		}
		resp, poll := e.postForm("/oauth2/token", withAssertion(url.Values{
			"grant_type": {idp.GrantDeviceCode}, "device_code": {da["device_code"].(string)},
		}, kc.assertion(e.issuer)), "", "")
		if resp.StatusCode != http.StatusBadRequest || poll["error"] != "authorization_pending" {
			t.Errorf("device poll with private_key_jwt: %d %v", resp.StatusCode, poll)
		}
		// PAR with an assertion whose aud is the issuer (RFC 9126 §2).
		a := newAuthRequest()
		r := e.rp(kc.id, "", "http://key-all.localhost/cb", "openid")
		u := must(url.Parse(r.authURL(a)))
		resp, par := e.postForm("/oauth2/par", withAssertion(u.Query(), kc.assertion(e.issuer)), "", "")
		uri, _ := par["request_uri"].(string)
		if resp.StatusCode != http.StatusCreated || uri == "" {
			t.Fatalf("PAR with private_key_jwt: %d %v", resp.StatusCode, par)
		}
		cb := e.browser().signIn(r.pushedURL(uri, nil), "alice", alicePass)
		code := e.code(cb, a)
		resp, tok := e.postForm("/oauth2/token", withAssertion(url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://key-all.localhost/cb"},
			"code_verifier": {a.verifier},
		}, kc.assertion(e.issuer)), "", "")
		if resp.StatusCode != http.StatusOK || tok["id_token"] == nil {
			t.Errorf("code with private_key_jwt: %d %v", resp.StatusCode, tok)
		}
	})
}

func (e *env) introspectWithKey(kc *keyClient, token string) map[string]any {
	e.t.Helper()
	resp, out := e.postForm("/oauth2/introspect", withAssertion(url.Values{"token": {token}}, kc.assertion(e.issuer)), "", "")
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("introspect: %d %v", resp.StatusCode, out)
	}
	return out
}

// Every forged, replayed or misdirected assertion is invalid_client (401),
// never a 500, and issues nothing.
func TestSecurityPrivateKeyJWTRefusals(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		kc := e.addKeyClient("key-es", jose.ES256, "")
		other := e.addKeyClient("key-other", jose.ES256, "")
		ed := e.addKeyClient("key-ed", jose.EdDSA, "")
		replayed := kc.assertion(e.issuer)
		if resp, out := kc.clientCredentials(replayed); resp.StatusCode != http.StatusOK {
			t.Fatalf("first use: %d %v", resp.StatusCode, out)
		}
		with := func(mod func(map[string]any)) string {
			c := kc.claims(e.issuer)
			mod(c)
			return sign(t, kc.alg, kc.key, kc.kid, c)
		}
		now := time.Now()
		unsigned := func() string {
			parts := strings.Split(kc.assertion(e.issuer), ".")
			return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
		}()
		for name, assertion := range map[string]string{
			"replayed jti":   replayed,
			"wrong aud":      with(func(c map[string]any) { c["aud"] = "https://other.example" }),
			"aud with slash": with(func(c map[string]any) { c["aud"] = e.issuer + "/" }),
			"expired": with(func(c map[string]any) {
				c["exp"] = now.Add(-time.Hour).Unix()
				c["iat"] = now.Add(-2 * time.Hour).Unix()
			}),
			"exp too far ahead":           with(func(c map[string]any) { c["exp"] = now.Add(time.Hour).Unix() }),
			"no exp":                      with(func(c map[string]any) { delete(c, "exp") }),
			"no jti":                      with(func(c map[string]any) { delete(c, "jti") }),
			"iat in the future":           with(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() }),
			"iss not sub":                 with(func(c map[string]any) { c["iss"] = "key-other" }),
			"alg none":                    unsigned,
			"HS256 (client_secret_jwt)":   sign(t, jose.HS256, []byte("a-shared-secret-of-32-bytes-long"), kc.kid, kc.claims(e.issuer)),
			"unregistered key":            sign(t, jose.ES256, newKey(t, jose.ES256), kc.kid, kc.claims(e.issuer)),
			"another client's key":        sign(t, jose.ES256, other.key, other.kid, kc.claims(e.issuer)),
			"another alg than registered": sign(t, jose.EdDSA, ed.key, kc.kid, kc.claims(e.issuer)),
			"not a JWT":                   "not-a-jwt",
		} {
			resp, out := kc.clientCredentials(assertion)
			if resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_client" || out["access_token"] != nil {
				t.Errorf("%s: %d %v, want 401 invalid_client", name, resp.StatusCode, out)
			}
		}
		// An assertion with a secret as well, or of another type.
		resp, out := e.postForm("/oauth2/token", withAssertion(url.Values{"grant_type": {"client_credentials"}}, kc.assertion(e.issuer)), kc.id, "secret")
		if resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Errorf("assertion and basic auth: %d %v", resp.StatusCode, out)
		}
		form := withAssertion(url.Values{"grant_type": {"client_credentials"}}, kc.assertion(e.issuer))
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
		if resp, out := e.postForm("/oauth2/token", form, "", ""); resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Errorf("other assertion type: %d %v", resp.StatusCode, out)
		}
		// A private_key_jwt client is not public: its id alone is nothing.
		if resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {kc.id}}, "", ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("client id without assertion: %d %v", resp.StatusCode, out)
		}
	})
}

// Keys at a jwks_uri are fetched, cached, and fetched again for an
// unknown kid (a rotation), within bounds; an oversized set is refused.
func TestSecurityPrivateKeyJWTKeysURI(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		srv := newJWKSServer(t)
		kc := e.addKeyClient("key-uri", jose.RS256, srv.URL+"/jwks")
		srv.body.Store(jwks(kc.alg, map[string]crypto.Signer{kc.kid: kc.key}))
		for range 3 {
			if resp, out := kc.clientCredentials(kc.assertion(e.issuer)); resp.StatusCode != http.StatusOK {
				t.Fatalf("jwks_uri client: %d %v", resp.StatusCode, out)
			}
		}
		if n := srv.fetches.Load(); n != 1 {
			t.Errorf("%d fetches for 3 assertions, want 1 (cached)", n)
		}
		// A key not in the set, under a kid not in the set: one refetch at
		// most, and refused.
		stranger := newKey(t, jose.RS256)
		for range 3 {
			if resp, _ := kc.clientCredentials(sign(t, jose.RS256, stranger, "unknown", kc.claims(e.issuer))); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("unregistered key at jwks_uri: %d", resp.StatusCode)
			}
		}
		if n := srv.fetches.Load(); n > 2 {
			t.Errorf("%d fetches after unknown kids, want at most 2: an unknown kid refetches within bounds", n)
		}

		big := newJWKSServer(t)
		bk := e.addKeyClient("key-big", jose.ES256, big.URL+"/jwks")
		big.body.Store(`{"keys":[` + strings.Repeat(" ", 70<<10) + jwks(bk.alg, map[string]crypto.Signer{bk.kid: bk.key})[9:])
		if resp, out := bk.clientCredentials(bk.assertion(e.issuer)); resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Errorf("oversized JWKS: %d %v, want 401 invalid_client", resp.StatusCode, out)
		}
	})
}
