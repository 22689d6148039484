package provider_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/idp/idp"
)

// keyClient is a private_key_jwt client and its private key, as an app
// holding its own key pair would be.
type keyClient struct {
	e   *env
	id  string
	alg jose.SignatureAlgorithm
	key crypto.Signer
	kid string
}

// newKey makes a key pair for alg.
func newKey(t testing.TB, alg jose.SignatureAlgorithm) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch alg {
	case jose.RS256:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.EdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// jwks is the public key set of keys, each a signing key with its kid.
func jwks(alg jose.SignatureAlgorithm, keys map[string]crypto.Signer) string {
	var set jose.JSONWebKeySet
	for kid, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Public(), KeyID: kid, Use: "sig", Algorithm: string(alg)})
	}
	raw, _ := json.Marshal(set)
	return string(raw)
}

// addKeyClient registers a client-credentials and code client that
// authenticates with private_key_jwt; keys inline unless jwksURI is set.
func (e *env) addKeyClient(id string, alg jose.SignatureAlgorithm, jwksURI string) *keyClient {
	e.t.Helper()
	kc := &keyClient{e: e, id: id, alg: alg, key: newKey(e.t, alg), kid: id + "-1"}
	c := idp.Client{
		ID: id, Name: id, RedirectURIs: []string{"http://" + id + ".localhost/cb"}, SkipConsent: true,
		GrantTypes: []string{"authorization_code", "client_credentials", "refresh_token", idp.GrantDeviceCode},
		Scopes:     []string{"openid", "offline_access", "api:read"}, Audience: []string{"https://api.example.com"},
		TokenEndpointAuthMethod: idp.AuthMethodPrivateKeyJWT, TokenEndpointAuthSigningAlg: string(alg),
		JWKSURI: jwksURI,
	}
	if jwksURI == "" {
		c.JWKS = jwks(alg, map[string]crypto.Signer{kc.kid: kc.key})
	}
	e.addClient(c, "")
	return kc
}

// sign signs claims with alg, key and kid, as a client library would.
func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// claims are a good assertion's claims for aud, fresh jti.
func (kc *keyClient) claims(aud string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": kc.id, "sub": kc.id, "aud": aud, "jti": randomString(),
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
	}
}

// assertion is a good assertion for aud.
func (kc *keyClient) assertion(aud string) string {
	return sign(kc.e.t, kc.alg, kc.key, kc.kid, kc.claims(aud))
}

// form adds the assertion to a request's form.
func withAssertion(form url.Values, assertion string) url.Values {
	form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
	form.Set("client_assertion", assertion)
	return form
}

// clientCredentials asks the token endpoint for a token with assertion.
func (kc *keyClient) clientCredentials(assertion string) (*http.Response, map[string]any) {
	kc.e.t.Helper()
	return kc.e.postForm("/oauth2/token", withAssertion(url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}, assertion), "", "")
}

// jwksServer serves a key set at a loopback URL (allowed over http), its
// answer replaceable, and counts the fetches.
type jwksServer struct {
	*httptest.Server
	body    atomic.Value
	fetches atomic.Int32
}

func newJWKSServer(t testing.TB) *jwksServer {
	s := &jwksServer{}
	s.body.Store("")
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write([]byte(s.body.Load().(string)))
	}))
	t.Cleanup(s.Close)
	return s
}
