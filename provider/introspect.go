package provider

import "net/http"

// handleIntrospect is RFC 7662 token introspection for authenticated
// clients. Tokens are looked up in the store, so a revoked JWT access token
// is reported inactive even though its signature is still valid.
func (p *Provider) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	resp, err := p.oauth2.NewIntrospectionRequest(ctx, r, newSession())
	if p.writeUnavailable(w, pathIntrospect, err) {
		return
	}
	if err != nil {
		p.log.Info("introspection", "err", describe(err))
		p.oauth2.WriteIntrospectionError(ctx, w, err)
		return
	}
	p.oauth2.WriteIntrospectionResponse(ctx, w, resp)
}

// handleRevoke is RFC 7009 token revocation. Revoking a refresh token
// revokes its whole family; fosite answers 200 for unknown tokens as
// §2.2 requires.
func (p *Provider) handleRevoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	err := p.oauth2.NewRevocationRequest(ctx, r)
	if p.writeUnavailable(w, pathRevoke, err) {
		return
	}
	if err != nil {
		p.log.Info("revocation", "err", describe(err))
	}
	if setRetryAfter(w, err) {
		// fosite would answer 200 to a request it never checked.
		p.oauth2.WriteAccessError(ctx, w, nil, err)
		return
	}
	p.oauth2.WriteRevocationResponse(ctx, w, err)
}
