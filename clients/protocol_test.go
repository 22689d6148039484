package clients

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/idp/idp"
)

// A setting the provider does not honour yet must be refused: storing it
// would let an operator believe, say, that a client's tokens are bound to
// a key when they are plain bearer tokens.
func TestSecurityUnsupportedProtocolMetadataRefused(t *testing.T) {
	for field, set := range map[string]func(*idp.Client){
		"jwks":                            func(c *idp.Client) { c.JWKS = `{"keys":[]}` },
		"jwks_uri":                        func(c *idp.Client) { c.JWKSURI = "https://app.example/jwks" },
		"token_endpoint_auth_signing_alg": func(c *idp.Client) { c.TokenEndpointAuthSigningAlg = "ES256" },
	} {
		c := webApp()
		set(&c)
		err := Validate(c)
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s set: Validate = %v, want an error naming %s", field, err, field)
		}
	}
	if err := Validate(webApp()); err != nil {
		t.Errorf("plain client: %v", err)
	}
}

// A client may pick RS256, ES256 or EdDSA for its ID and access tokens;
// anything else, "none" and HMAC above all (a token anyone, or the client
// itself, could forge), is refused naming the field.
func TestSigningAlgorithms(t *testing.T) {
	for _, alg := range []string{"", "RS256", "ES256", "EdDSA"} {
		c := webApp()
		c.IDTokenSignedResponseAlg, c.AccessTokenSignedResponseAlg = alg, alg
		if err := Validate(c); err != nil {
			t.Errorf("alg %q: %v", alg, err)
		}
	}
	for _, alg := range []string{"none", "HS256", "rs256", "ES384", "PS256", "EdDSA "} {
		for field, set := range map[string]func(*idp.Client){
			"id_token_signed_response_alg":     func(c *idp.Client) { c.IDTokenSignedResponseAlg = alg },
			"access_token_signed_response_alg": func(c *idp.Client) { c.AccessTokenSignedResponseAlg = alg },
		} {
			c := webApp()
			set(&c)
			if err := Validate(c); err == nil || !strings.Contains(err.Error(), field) {
				t.Errorf("%s %q: Validate = %v, want an error naming the field", field, alg, err)
			}
		}
	}
}

// dpop_bound_access_tokens is served (the token endpoint refuses such a
// client's requests without a proof), so it is stored.
func TestDPoPBoundAccessTokensAccepted(t *testing.T) {
	public := webApp()
	public.SecretHash, public.TokenEndpointAuthMethod = "", idp.AuthMethodNone
	for _, c := range []idp.Client{webApp(), public} {
		c.DPoPBoundAccessTokens = true
		if err := Validate(c); err != nil {
			t.Errorf("%s with dpop_bound_access_tokens: %v", c.ID, err)
		}
	}
}

// keyClient is a private_key_jwt client with one ES256 key.
func keyClient(t *testing.T) (idp.Client, *ecdsa.PrivateKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.Public(), KeyID: "k1", Use: "sig", Algorithm: "ES256"}}}
	raw, _ := json.Marshal(set)
	c := webApp()
	c.SecretHash, c.TokenEndpointAuthMethod, c.TokenEndpointAuthSigningAlg, c.JWKS = "", idp.AuthMethodPrivateKeyJWT, "ES256", string(raw)
	return c, k
}

// The keys of a private_key_jwt client: one algorithm, asymmetric; public
// signing keys of that algorithm, inline or at an https URL; never both,
// never on another kind of client.
func TestPrivateKeyJWTMetadata(t *testing.T) {
	good, priv := keyClient(t)
	if err := Validate(good); err != nil {
		t.Fatalf("good private_key_jwt client: %v", err)
	}
	if good.Public() {
		t.Error("a private_key_jwt client counts as public: it would authenticate with its id alone")
	}
	privSet, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: priv, Use: "sig", Algorithm: "ES256"}}})
	noUse, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: priv.Public(), Algorithm: "ES256"}}})
	for name, tc := range map[string]struct {
		set   func(*idp.Client)
		field string
	}{
		"HS256 (client_secret_jwt)": {func(c *idp.Client) { c.TokenEndpointAuthSigningAlg = "HS256" }, "token_endpoint_auth_signing_alg"},
		"none":                      {func(c *idp.Client) { c.TokenEndpointAuthSigningAlg = "none" }, "token_endpoint_auth_signing_alg"},
		"no keys":                   {func(c *idp.Client) { c.JWKS = "" }, "jwks"},
		"both jwks and jwks_uri":    {func(c *idp.Client) { c.JWKSURI = "https://app.example/jwks" }, "jwks"},
		"malformed jwks":            {func(c *idp.Client) { c.JWKS = "{not json" }, "jwks"},
		"private key":               {func(c *idp.Client) { c.JWKS = string(privSet) }, "jwks"},
		"key without use":           {func(c *idp.Client) { c.JWKS = string(noUse) }, "jwks"},
		"key of another alg":        {func(c *idp.Client) { c.TokenEndpointAuthSigningAlg = "RS256" }, "jwks"},
		"oversized jwks":            {func(c *idp.Client) { c.JWKS = `{"keys":[` + strings.Repeat(" ", MaxJWKSBytes) + `]}` }, "jwks"},
		"http jwks_uri":             {func(c *idp.Client) { c.JWKS, c.JWKSURI = "", "http://app.example/jwks" }, "jwks_uri"},
		"keys on a secret client": {func(c *idp.Client) {
			c.TokenEndpointAuthMethod, c.SecretHash = idp.AuthMethodBasic, "x"
		}, "jwks"},
	} {
		c := good
		tc.set(&c)
		if err := Validate(c); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: Validate = %v, want an error naming %s", name, err, tc.field)
		}
	}
	c := good
	c.JWKS, c.JWKSURI = "", "http://127.0.0.1:8081/jwks"
	if err := Validate(c); err != nil {
		t.Errorf("loopback http jwks_uri: %v", err)
	}
}
