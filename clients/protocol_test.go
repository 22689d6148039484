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
		"jwks":                                  func(c *idp.Client) { c.JWKS = `{"keys":[]}` },
		"jwks_uri":                              func(c *idp.Client) { c.JWKSURI = "https://app.example/jwks" },
		"token_endpoint_auth_signing_alg":       func(c *idp.Client) { c.TokenEndpointAuthSigningAlg = "ES256" },
		"require_pushed_authorization_requests": func(c *idp.Client) { c.RequirePAR = true },
		"dpop_bound_access_tokens":              func(c *idp.Client) { c.DPoPBoundAccessTokens = true },
		"id_token_signed_response_alg":          func(c *idp.Client) { c.IDTokenSignedResponseAlg = "ES256" },
		"access_token_signed_response_alg":      func(c *idp.Client) { c.AccessTokenSignedResponseAlg = "EdDSA" },
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
