package clients

import (
	"strings"
	"testing"

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
	c := webApp()
	c.JWKS = "{not json"
	if err := Validate(c); err == nil || !strings.Contains(err.Error(), "not a JSON object") {
		t.Errorf("malformed jwks: Validate = %v", err)
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
