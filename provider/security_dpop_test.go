package provider_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idp/idp"
	"github.com/idp/idp/dpop"
	"github.com/idp/idp/dpop/dpoptest"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

const (
	tokenPath    = "/oauth2/token"
	userinfoPath = "/oauth2/userinfo"
)

// dpopPost posts a form to path with the given DPoP headers (none, one,
// or several) and basic auth when user is set.
func (e *env) dpopPost(path string, form url.Values, user, pass string, proofs ...string) (*http.Response, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) (*http.Response, map[string]any) {
	e.t.Helper()
	resp := must(testClient.Do(req))
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &out); err != nil {
			e.t.Fatalf("%s %s: status %d, not JSON: %s", req.Method, req.URL.Path, resp.StatusCode, body)
		}
	}
	return resp, out
}

// svcToken asks for a client credentials token of svc with proofs.
func (e *env) svcToken(proofs ...string) (*http.Response, map[string]any) {
	e.t.Helper()
	return e.dpopPost(tokenPath, url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}, "svc", svcSecret, proofs...)
}

// boundTo checks a token response: token_type DPoP and an access token
// whose cnf.jkt is k's thumbprint; it returns the access token.
func (e *env) boundTo(k *dpoptest.Key) func(*http.Response, map[string]any) string {
	return func(resp *http.Response, out map[string]any) string {
		e.t.Helper()
		return e.wantBound(k, resp, out)
	}
}

func (e *env) wantBound(k *dpoptest.Key, resp *http.Response, out map[string]any) string {
	e.t.Helper()
	if resp.StatusCode != http.StatusOK || out["token_type"] != "DPoP" {
		e.t.Fatalf("token: %d %v, want 200 with token_type DPoP", resp.StatusCode, out)
	}
	at := out["access_token"].(string)
	_, claims := jwtParts(e.t, at)
	cnf, _ := claims["cnf"].(map[string]any)
	if cnf["jkt"] != k.JKT(e.t) {
		e.t.Fatalf("cnf = %v, want jkt %s", claims["cnf"], k.JKT(e.t))
	}
	return at
}

// wantRefused checks a refusal: status and error code, and no token.
func (e *env) wantRefused(what string, resp *http.Response, out map[string]any, status int, code string) {
	e.t.Helper()
	if resp.StatusCode != status || out["error"] != code || out["access_token"] != nil {
		e.t.Errorf("%s: %d %v, want %d %s", what, resp.StatusCode, out, status, code)
	}
}

// resource sends a GET to userinfo with the Authorization header and
// DPoP proof given.
func (e *env) resource(authorization, proof string) (*http.Response, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.issuer+userinfoPath, nil)
	req.Header.Set("Authorization", authorization)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	return e.do(req)
}

// TestSecurityDPoPTokenBinding: a valid proof binds the access token to
// the key (cnf.jkt, token_type DPoP, introspection's cnf); without a
// proof the token is a bearer token as before.
func TestSecurityDPoPTokenBinding(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		k := dpoptest.NewKey(t)
		at := e.boundTo(k)(e.svcToken(k.Proof(t, "POST", e.issuer+tokenPath, dpoptest.Claims{})))
		_, in := e.postForm("/oauth2/introspect", url.Values{"token": {at}}, "svc", svcSecret)
		if cnf, _ := in["cnf"].(map[string]any); in["active"] != true || in["token_type"] != "DPoP" || cnf["jkt"] != k.JKT(t) {
			t.Errorf("introspection = %v, want active, token_type DPoP and cnf.jkt", in)
		}
		resp, out := e.svcToken()
		if resp.StatusCode != http.StatusOK || !strings.EqualFold(out["token_type"].(string), "bearer") {
			t.Fatalf("no proof: %d %v, want a bearer token", resp.StatusCode, out)
		}
		if _, claims := jwtParts(t, out["access_token"].(string)); claims["cnf"] != nil {
			t.Errorf("bearer token carries cnf %v", claims["cnf"])
		}
	})
}

// TestSecurityDPoPProofsRefused: every malformed, misdirected, stale or
// replayed proof is refused with invalid_dpop_proof and issues nothing.
func TestSecurityDPoPProofsRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		k := dpoptest.NewKey(t)
		htu := e.issuer + tokenPath
		now := time.Now()
		claims := map[string]any{"jti": "x", "htm": "POST", "htu": htu, "iat": now.Unix()}
		replayed := k.Proof(t, "POST", htu, dpoptest.Claims{})
		e.boundTo(k)(e.svcToken(replayed))
		for name, proofs := range map[string][]string{
			"replayed":        {replayed},
			"wrong htu":       {k.Proof(t, "POST", e.issuer+userinfoPath, dpoptest.Claims{})},
			"other host htu":  {k.Proof(t, "POST", "http://evil.localhost"+tokenPath, dpoptest.Claims{})},
			"wrong htm":       {k.Proof(t, "GET", htu, dpoptest.Claims{})},
			"stale iat":       {k.Proof(t, "POST", htu, dpoptest.Claims{IAT: now.Add(-2 * time.Minute)})},
			"future iat":      {k.Proof(t, "POST", htu, dpoptest.Claims{IAT: now.Add(time.Minute)})},
			"alg none":        {dpoptest.Unsigned(map[string]any{"alg": "none", "typ": "dpop+jwt"}, claims)},
			"alg HS256":       {dpoptest.HS256(map[string]any{"typ": "dpop+jwt"}, claims, []byte(svcSecret))},
			"private key jwk": {k.Proof(t, "POST", htu, dpoptest.Claims{}, dpoptest.Options{JWK: &jose.JSONWebKey{Key: k.Private}})},
			"wrong typ":       {k.Proof(t, "POST", htu, dpoptest.Claims{}, dpoptest.Options{Typ: "JWT"})},
			"two proofs":      {k.Proof(t, "POST", htu, dpoptest.Claims{}), k.Proof(t, "POST", htu, dpoptest.Claims{})},
			"empty":           {""},
		} {
			resp, out := e.svcToken(proofs...)
			e.wantRefused(name, resp, out, http.StatusBadRequest, dpop.CodeInvalidProof)
		}
	})
}

// TestSecurityDPoPRequiredByClient: a client registered with
// dpop_bound_access_tokens gets no bearer token (RFC 9449 §5.2).
func TestSecurityDPoPRequiredByClient(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.addClient(idp.Client{
			ID: "svcdpop", Name: "Bound service", GrantTypes: []string{"client_credentials"},
			Scopes: []string{"api:read"}, DPoPBoundAccessTokens: true,
		}, svcSecret)
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
		resp, out := e.dpopPost(tokenPath, form, "svcdpop", svcSecret)
		e.wantRefused("no proof", resp, out, http.StatusBadRequest, dpop.CodeInvalidProof)
		k := dpoptest.NewKey(t)
		e.boundTo(k)(e.dpopPost(tokenPath, form, "svcdpop", svcSecret, k.Proof(t, "POST", e.issuer+tokenPath, dpoptest.Claims{})))
	})
}

// TestSecurityDPoPNonce: with nonces required, a proof without a current
// server nonce gets use_dpop_nonce and the nonce to retry with (RFC 9449
// §8), at the token endpoint and at userinfo (§9).
func TestSecurityDPoPNonce(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t), func(c *provider.Config) { c.DPoPNonce = true })
		k := dpoptest.NewKey(t)
		htu := e.issuer + tokenPath
		resp, out := e.svcToken(k.Proof(t, "POST", htu, dpoptest.Claims{}))
		e.wantRefused("no nonce", resp, out, http.StatusBadRequest, dpop.CodeUseNonce)
		nonce := resp.Header.Get("DPoP-Nonce")
		if nonce == "" {
			t.Fatal("use_dpop_nonce without a DPoP-Nonce header")
		}
		resp, out = e.svcToken(k.Proof(t, "POST", htu, dpoptest.Claims{Nonce: "forged-" + nonce}))
		e.wantRefused("forged nonce", resp, out, http.StatusBadRequest, dpop.CodeUseNonce)
		at := e.boundTo(k)(e.svcToken(k.Proof(t, "POST", htu, dpoptest.Claims{Nonce: nonce})))

		ui := e.issuer + userinfoPath
		resp, out = e.resource("DPoP "+at, k.Proof(t, "GET", ui, dpoptest.Claims{AccessToken: at}))
		if resp.StatusCode != http.StatusUnauthorized || out["error"] != dpop.CodeUseNonce || resp.Header.Get("DPoP-Nonce") == "" {
			t.Errorf("userinfo without nonce: %d %v %v, want 401 use_dpop_nonce with a DPoP-Nonce", resp.StatusCode, out, resp.Header)
		}
		// With the nonce the proof passes; the token (client credentials)
		// then lacks openid.
		resp, out = e.resource("DPoP "+at, k.Proof(t, "GET", ui, dpoptest.Claims{AccessToken: at, Nonce: resp.Header.Get("DPoP-Nonce")}))
		if resp.StatusCode != http.StatusForbidden || out["error"] != "insufficient_scope" {
			t.Errorf("userinfo with nonce: %d %v, want the proof accepted", resp.StatusCode, out)
		}
	})
}

// TestSecurityDPoPRefreshAndUserinfo: a public client's refresh token is
// bound to its key, so a stolen one is useless without the key and a
// wrong key burns nothing; userinfo refuses a bound token as Bearer,
// without a proof, with another key's proof or a proof for another token.
func TestSecurityDPoPRefreshAndUserinfo(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		k, thief := dpoptest.NewKey(t), dpoptest.NewKey(t)
		htu := e.issuer + tokenPath
		r := e.rp("spa", "", "http://127.0.0.1:9999/spa", "openid", "profile", "offline_access")
		a := newAuthRequest()
		code := e.code(e.browser().signIn(r.authURL(a), "alice", alicePass), a)
		form := url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"spa"},
			"redirect_uri": {"http://127.0.0.1:9999/spa"}, "code_verifier": {a.verifier},
		}
		resp, out := e.dpopPost(tokenPath, form, "", "", thief.Proof(t, "GET", htu, dpoptest.Claims{}))
		e.wantRefused("code with a bad proof", resp, out, http.StatusBadRequest, dpop.CodeInvalidProof)
		resp, out = e.dpopPost(tokenPath, form, "", "", k.Proof(t, "POST", htu, dpoptest.Claims{}))
		at := e.wantBound(k, resp, out) // the refused proof did not spend the code
		rt, _ := out["refresh_token"].(string)
		if rt == "" {
			t.Fatalf("no refresh token: %v", out)
		}

		refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"spa"}}
		resp, out = e.dpopPost(tokenPath, refresh, "", "")
		e.wantRefused("refresh without proof", resp, out, http.StatusBadRequest, dpop.CodeInvalidProof)
		resp, out = e.dpopPost(tokenPath, refresh, "", "", thief.Proof(t, "POST", htu, dpoptest.Claims{}))
		e.wantRefused("refresh with the thief's key", resp, out, http.StatusBadRequest, dpop.CodeInvalidProof)
		resp, out = e.dpopPost(tokenPath, refresh, "", "", k.Proof(t, "POST", htu, dpoptest.Claims{}))
		at = e.wantBound(k, resp, out) // nothing was burned by the refusals; the rotation revoked the first token

		ui := e.issuer + userinfoPath
		for name, c := range map[string]struct{ auth, proof, code string }{
			"bound token as Bearer":   {"Bearer " + at, "", "invalid_token"},
			"DPoP without proof":      {"DPoP " + at, "", dpop.CodeInvalidProof},
			"proof without ath":       {"DPoP " + at, k.Proof(t, "GET", ui, dpoptest.Claims{}), dpop.CodeInvalidProof},
			"ath of another token":    {"DPoP " + at, k.Proof(t, "GET", ui, dpoptest.Claims{AccessToken: "other"}), dpop.CodeInvalidProof},
			"thief's key":             {"DPoP " + at, thief.Proof(t, "GET", ui, dpoptest.Claims{AccessToken: at}), "invalid_token"},
			"proof for token request": {"DPoP " + at, k.Proof(t, "GET", htu, dpoptest.Claims{AccessToken: at}), dpop.CodeInvalidProof},
		} {
			resp, out := e.resource(c.auth, c.proof)
			if resp.StatusCode != http.StatusUnauthorized || out["error"] != c.code || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "DPoP ") {
				t.Errorf("userinfo, %s: %d %v %q, want 401 %s with a DPoP challenge", name, resp.StatusCode, out, resp.Header.Get("WWW-Authenticate"), c.code)
			}
		}
		proof := k.Proof(t, "GET", ui, dpoptest.Claims{AccessToken: at})
		if resp, out := e.resource("DPoP "+at, proof); resp.StatusCode != http.StatusOK || out["sub"] == nil {
			t.Fatalf("userinfo with DPoP: %d %v", resp.StatusCode, out)
		}
		if resp, out := e.resource("DPoP "+at, proof); resp.StatusCode != http.StatusUnauthorized || out["error"] != dpop.CodeInvalidProof {
			t.Errorf("replayed proof at userinfo: %d %v", resp.StatusCode, out)
		}

		// A bearer token presented under the DPoP scheme is refused too.
		plain, _ := e.signedIn(e.webRP(), e.browser())
		resp, out = e.resource("DPoP "+plain.AccessToken, k.Proof(t, "GET", ui, dpoptest.Claims{AccessToken: plain.AccessToken}))
		if resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_token" {
			t.Errorf("bearer token under the DPoP scheme: %d %v", resp.StatusCode, out)
		}
	})
}

// dpopKey returns a fresh key for alg, or nil for an algorithm this test
// does not know.
func dpopKey(t testing.TB, alg string) *dpoptest.Key {
	t.Helper()
	switch alg {
	case "ES256", "ES384", "ES512":
		curve := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
		k, _ := ecdsa.GenerateKey(curve, rand.Reader)
		return &dpoptest.Key{Private: k, Alg: jose.SignatureAlgorithm(alg)}
	case "EdDSA":
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		return &dpoptest.Key{Private: k, Alg: jose.EdDSA}
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		k, _ := rsa.GenerateKey(rand.Reader, 2048)
		return &dpoptest.Key{Private: k, Alg: jose.SignatureAlgorithm(alg)}
	}
	return nil
}

// exerciseDPoPAlgs gets a DPoP-bound token with a proof of each
// advertised algorithm.
func (e *env) exerciseDPoPAlgs(algs []string) {
	e.t.Helper()
	if len(algs) == 0 {
		e.t.Error("dpop_signing_alg_values_supported is empty")
	}
	for _, alg := range algs {
		k := dpopKey(e.t, alg)
		if k == nil {
			e.t.Errorf("dpop_signing_alg_values_supported advertises %q, which this test cannot exercise", alg)
			continue
		}
		e.boundTo(k)(e.svcToken(k.Proof(e.t, "POST", e.issuer+tokenPath, dpoptest.Claims{})))
	}
}

// TestSecurityDPoPRefreshReplayNeedsTheKey: within the refresh reuse
// interval a rotated refresh token gets its kept answer again, but a
// DPoP-bound answer only for a proof of the same key.
func TestSecurityDPoPRefreshReplayNeedsTheKey(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t), func(c *provider.Config) { c.RefreshReuseInterval = time.Minute })
		k, thief := dpoptest.NewKey(t), dpoptest.NewKey(t)
		htu := e.issuer + tokenPath
		r := e.rp("spa", "", "http://127.0.0.1:9999/spa", "openid", "offline_access")
		a := newAuthRequest()
		code := e.code(e.browser().signIn(r.authURL(a), "alice", alicePass), a)
		_, out := e.dpopPost(tokenPath, url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"spa"},
			"redirect_uri": {"http://127.0.0.1:9999/spa"}, "code_verifier": {a.verifier},
		}, "", "", k.Proof(t, "POST", htu, dpoptest.Claims{}))
		refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {out["refresh_token"].(string)}, "client_id": {"spa"}}
		first := e.boundTo(k)(e.dpopPost(tokenPath, refresh, "", "", k.Proof(t, "POST", htu, dpoptest.Claims{})))

		resp, out := e.dpopPost(tokenPath, refresh, "", "", thief.Proof(t, "POST", htu, dpoptest.Claims{}))
		e.wantRefused("kept answer for the thief's key", resp, out, http.StatusBadRequest, dpop.CodeInvalidProof)
		resp, out = e.dpopPost(tokenPath, refresh, "", "")
		e.wantRefused("kept answer without a proof", resp, out, http.StatusBadRequest, dpop.CodeInvalidProof)
		if again := e.boundTo(k)(e.dpopPost(tokenPath, refresh, "", "", k.Proof(t, "POST", htu, dpoptest.Claims{}))); again != first {
			t.Error("the kept answer differs from the first")
		}
	})
}
