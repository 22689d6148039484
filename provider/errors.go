package provider

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
)

// writeUnavailable answers a JSON endpoint with 503 temporarily_unavailable
// and Retry-After when err says the store could not be reached or the
// request was refused for now, and reports whether it did. fosite's own
// writers would answer invalid_client, server_error or, at introspection,
// an "active": false that a resource server cannot tell from a revoked
// token; at revocation fosite reports a failed store call as
// temporarily_unavailable but its writer answers 200, telling the client a
// token is revoked that may still be alive (RFC 7009 §2.2.1 asks for 503).
func (p *Provider) writeUnavailable(ctx context.Context, w http.ResponseWriter, path string, err error) bool {
	err = oauth.StoreUnavailable(err)
	if !errors.Is(err, fosite.ErrTemporarilyUnavailable) {
		return false
	}
	p.log.WarnContext(ctx, "temporarily unavailable", "path", path, "err", web.Describe(err))
	if !setRetryAfter(w, err) {
		web.SetRetryAfter(w, idp.UnavailableRetryAfter)
	}
	w.Header().Set("Cache-Control", "no-store")
	rfc := fosite.ErrorToRFC6749Error(err)
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{
		"error": rfc.ErrorField, "error_description": rfc.GetDescription(),
	})
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
