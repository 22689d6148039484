package clients

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/idp/idp"
)

// checkProtocol checks the metadata of the newer protocols (private_key_jwt
// keys, PAR, token signing algorithms). A setting the provider does not
// honour yet is refused rather than stored, so a registration never
// promises a protection the token endpoint does not give.
// dpop_bound_access_tokens (RFC 9449 §5.2) is honoured by the token
// endpoint and needs no check: any client may hold a key.
func checkProtocol(c idp.Client, add func(field, format string, args ...any)) {
	if c.JWKS != "" && !json.Valid([]byte(c.JWKS)) {
		add("jwks", "not a JSON object")
	}
	// Pushed authorization requests (RFC 9126) are served: requiring them
	// means something only for a client of the authorization endpoint.
	if c.RequirePAR && !slices.Contains(c.GrantTypes, idp.GrantAuthorizationCode) {
		add("require_pushed_authorization_requests", "only for clients of the %s grant", idp.GrantAuthorizationCode)
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"jwks", c.JWKS != ""},
		{"jwks_uri", c.JWKSURI != ""},
		{"token_endpoint_auth_signing_alg", c.TokenEndpointAuthSigningAlg != ""},
	} {
		if f.set {
			add(f.name, "not supported by this provider")
		}
	}
	for _, f := range []struct{ name, alg string }{
		{"id_token_signed_response_alg", c.IDTokenSignedResponseAlg},
		{"access_token_signed_response_alg", c.AccessTokenSignedResponseAlg},
	} {
		if f.alg != "" && !slices.Contains(SigningAlgs, f.alg) {
			add(f.name, "%q is not one of %s (empty means RS256)", f.alg, strings.Join(SigningAlgs, ", "))
		}
	}
}

// SigningAlgs are the algorithms a client may register for its ID and
// access tokens (OpenID Connect Registration §2 id_token_signed_response_alg,
// RFC 9068 §5's access_token_signed_response_alg). RS256, the default,
// first; the names are JOSE's (RFC 7518 §3.1, RFC 8037 §3.1), compared
// exactly. "none" and HMAC are never offered: every token is verifiable
// with the published keys alone.
var SigningAlgs = []string{"RS256", "ES256", "EdDSA"}
