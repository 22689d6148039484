package oauth

import (
	"github.com/ory/fosite"
)

// TokenTypeDPoP is the token_type of a DPoP-bound access token (RFC 9449
// §5).
const TokenTypeDPoP = "DPoP"

// markDPoP names a token bound to a DPoP key (Session.JKT) as such in the
// answer of Engine.NewAccessResponse: fosite's handlers always answer
// "bearer". Every grant issues through that method, RotateKeeping
// included, so a kept answer replays the same token_type.
func markDPoP(ar fosite.AccessRequester, resp fosite.AccessResponder, err error) (fosite.AccessResponder, error) {
	if err != nil {
		return resp, err
	}
	if s, ok := ar.GetSession().(*Session); ok && s.JKT != "" {
		resp.SetTokenType(TokenTypeDPoP)
	}
	return resp, nil
}
