package oauth

import (
	"context"

	"github.com/ory/fosite"
)

// NewAccessResponse is fosite's, after telling the session which
// algorithms the client registered for its ID and access tokens
// (id_token_signed_response_alg, access_token_signed_response_alg); the
// Signer signs with them. Every token the token endpoint issues, whatever
// the grant, passes here, and the client is read afresh for each request,
// so a refreshed token follows the client's current registration.
func (e *Engine) NewAccessResponse(ctx context.Context, ar fosite.AccessRequester) (fosite.AccessResponder, error) {
	if s, ok := ar.GetSession().(*Session); ok {
		if c, ok := ar.GetClient().(Client); ok {
			s.IDTokenAlg, s.AccessTokenAlg = c.IDTokenSignedResponseAlg, c.AccessTokenSignedResponseAlg
		}
	}
	return e.OAuth2Provider.NewAccessResponse(ctx, ar)
}
