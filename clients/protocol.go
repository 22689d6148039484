package clients

import (
	"encoding/json"

	"github.com/idp/idp"
)

// checkProtocol checks the metadata of the newer protocols (private_key_jwt
// keys, PAR, DPoP, token signing algorithms). A setting the provider does
// not honour yet is refused rather than stored, so a registration never
// promises a protection the token endpoint does not give.
func checkProtocol(c idp.Client, add func(field, format string, args ...any)) {
	if c.JWKS != "" && !json.Valid([]byte(c.JWKS)) {
		add("jwks", "not a JSON object")
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"jwks", c.JWKS != ""},
		{"jwks_uri", c.JWKSURI != ""},
		{"token_endpoint_auth_signing_alg", c.TokenEndpointAuthSigningAlg != ""},
		{"require_pushed_authorization_requests", c.RequirePAR},
		{"dpop_bound_access_tokens", c.DPoPBoundAccessTokens},
		{"id_token_signed_response_alg", c.IDTokenSignedResponseAlg != ""},
		{"access_token_signed_response_alg", c.AccessTokenSignedResponseAlg != ""},
	} {
		if f.set {
			add(f.name, "not supported by this provider")
		}
	}
}
