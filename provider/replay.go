package provider

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ory/fosite"

	"github.com/idp/idp/provider/oauth"
)

// replay answers a presentation of a token rotated within the reuse
// interval: the same answer for the same client, invalid_grant for any
// other. It reports false when err is not such a presentation.
func (p *Provider) replay(ctx context.Context, w http.ResponseWriter, ar fosite.AccessRequester, err error) bool {
	var r *oauth.Replay
	if !errors.As(err, &r) || ar == nil || ar.GetClient() == nil {
		return false
	}
	if ar.GetClient().GetID() != r.ClientID {
		p.writeAccessError(ctx, w, ar, fosite.ErrInvalidGrant.WithHint(
			"The OAuth 2.0 Client ID from this request does not match the ID during the initial token issuance."))
		return true
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
	p.log.Info("refresh token presented again within the reuse interval", "client_id", r.ClientID)
	p.oauth.WriteAccessResponse(ctx, w, ar, resp)
	return true
}
