package oauth

import (
	"context"
	"fmt"

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
	resp, err := e.OAuth2Provider.NewAccessResponse(ctx, ar)
	return markDPoP(ar, resp, err)
}

// SignLogoutToken signs a back-channel logout token (the
// sessions.SignFunc) with the algorithm of its audience's ID tokens:
// Back-Channel Logout 1.0 §2.4 has logout tokens signed with the keys
// ID tokens use, and a client that registered ES256 may accept nothing
// else. The audience is the one client the token is for.
func (e *Engine) SignLogoutToken(ctx context.Context, claims, header map[string]any) (string, error) {
	h := make(map[string]any, len(header)+1)
	for k, v := range header {
		h[k] = v
	}
	if aud, ok := claims["aud"].([]string); ok && len(aud) == 1 {
		c, err := e.Client(ctx, aud[0])
		if err != nil {
			return "", fmt.Errorf("sign logout token for %s: %w", aud[0], err)
		}
		if c.IDTokenSignedResponseAlg != "" {
			h[algHint] = c.IDTokenSignedResponseAlg
		}
	}
	return e.Signer.Sign(ctx, claims, h)
}
