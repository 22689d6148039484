package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/idp/idp/dpop"
	"github.com/idp/idp/provider/oauth"
)

// replay answers a presentation of a token rotated within the reuse
// interval: the same answer for the same client, invalid_grant for any
// other. It reports false when err is not such a presentation.
//
// A kept answer bound to a DPoP key is given again only to a request
// whose proof shows the same key (RFC 9449 §5): the rotated refresh token
// alone does not prove possession.
func (p *Provider) replay(ctx context.Context, w http.ResponseWriter, ar fosite.AccessRequester, err error, proofOf func() (dpop.Proof, bool, error)) bool {
	var r *oauth.Replay
	if !errors.As(err, &r) || ar == nil || ar.GetClient() == nil {
		return false
	}
	if ar.GetClient().GetID() != r.ClientID {
		p.writeAccessError(ctx, w, ar, fosite.ErrInvalidGrant.WithHint(
			"The OAuth 2.0 Client ID from this request does not match the ID during the initial token issuance."))
		return true
	}
	if tt, _ := r.Response["token_type"].(string); tt == oauth.TokenTypeDPoP {
		proof, _, err := proofOf()
		if err != nil {
			p.writeAccessError(ctx, w, ar, tokenDPoPError(err))
			return true
		}
		at, _ := r.Response["access_token"].(string)
		if !dpop.SameJKT(boundJKT(at), proof.JKT) {
			p.writeAccessError(ctx, w, ar, errDPoP(dpop.CodeInvalidProof, "The refresh token is bound to another DPoP key; send a proof signed with it."))
			return true
		}
	}
	resp := fosite.NewAccessResponse()
	for k, v := range r.Response {
		resp.SetExtra(k, v)
	}
	at, _ := r.Response["access_token"].(string)
	tt, _ := r.Response["token_type"].(string)
	resp.SetAccessToken(at)
	resp.SetTokenType(tt)
	if in, ok := r.Response["expires_in"].(float64); ok {
		left := time.Duration(in)*time.Second - p.cfg.Now().Sub(r.IssuedAt)
		resp.SetExpiresIn(max(left, 0))
	}
	p.log.InfoContext(ctx, "refresh token presented again within the reuse interval", "client_id", r.ClientID)
	p.oauth.WriteAccessResponse(ctx, w, ar, resp)
	return true
}

// boundJKT is the cnf.jkt of an access token this provider issued and
// kept sealed with a rotation, so its claims need no verification here;
// "" when it has none.
func boundJKT(accessToken string) string {
	parts := strings.Split(accessToken, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		CNF struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return ""
	}
	return c.CNF.JKT
}
