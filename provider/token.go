package provider

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
)

// handleToken is the token endpoint (RFC 6749 §3.2). fosite runs every
// grant; this handler only adds what fosite leaves to the provider:
// granting scopes and audience for client credentials, the absolute
// lifetime of a refresh token family, and DPoP binding (RFC 9449). fosite
// writes the response with Cache-Control: no-store (RFC 6749 §5.1).
func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess := oauth.NewSession()
	p.setDPoPNonce(w)
	proof := p.tokenProof(r)
	if err := web.ParseForm(r); err != nil {
		p.writeAccessError(ctx, w, fosite.NewAccessRequest(sess), err)
		return
	}
	if name := web.Repeated(r.PostForm); name != "" {
		p.writeAccessError(ctx, w, fosite.NewAccessRequest(sess), fosite.ErrInvalidRequest.WithHintf("The parameter %q is repeated; send each parameter once (RFC 6749 §3.2).", name))
		return
	}
	if gt := r.PostFormValue("grant_type"); gt != "" && !slices.Contains(idp.SupportedGrants(), gt) {
		// fosite answers invalid_request; RFC 6749 §5.2 names this case.
		p.writeAccessError(ctx, w, fosite.NewAccessRequest(sess), fosite.ErrUnsupportedGrantType.WithHintf("The grant type %q is not supported.", gt))
		return
	}
	ar, err := p.oauth.NewAccessRequest(ctx, r, sess)
	if p.replay(ctx, w, ar, err, proof) {
		return
	}
	if err != nil {
		p.recordReuse(r, ar, err)
		p.writeAccessError(ctx, w, ar, err)
		return
	}
	switch {
	case ar.GetGrantTypes().ExactOne(idp.GrantClientCredentials):
		c := ar.GetClient().(oauth.Client)
		for _, s := range ar.GetRequestedScopes() {
			ar.GrantScope(s)
		}
		for _, a := range oauth.Audience(ar.GetRequestedAudience(), c) {
			ar.GrantAudience(a)
		}
		sess.Subject, sess.ClientID, sess.GrantedAt = c.ID, c.ID, p.cfg.Now().UTC()
		sess.ClientCredentials = true
	case ar.GetGrantTypes().ExactOne(idp.GrantRefreshToken):
		if p.cfg.Now().Sub(sess.GrantedAt) > p.cfg.RefreshTokenMaxLifetime {
			if err := p.oauth.RevokeRefreshToken(ctx, ar.GetID()); err != nil {
				p.log.ErrorContext(ctx, "revoke expired refresh family", "err", err)
			}
			p.writeAccessError(ctx, w, ar, fosite.ErrInvalidGrant.WithHint("The refresh token has reached its maximum lifetime; sign in again."))
			return
		}
	}
	if err := p.bindDPoP(ar, proof); err != nil {
		p.writeAccessError(ctx, w, ar, err)
		return
	}
	var resp fosite.AccessResponder
	issued := p.issuedEvent(r, ar, sess)
	if ar.GetGrantTypes().ExactOne(idp.GrantRefreshToken) && p.cfg.RefreshReuseInterval > 0 {
		resp, err = p.oauth.RotateKeeping(ctx, ar, func(ctx context.Context) error { return p.audit.Record(ctx, issued) })
	} else {
		resp, err = p.newAccessResponse(ctx, ar, issued)
	}
	if p.replay(ctx, w, ar, err, proof) {
		return
	}
	if err != nil {
		p.writeAccessError(ctx, w, ar, err)
		return
	}
	p.oauth.WriteAccessResponse(ctx, w, ar, resp)
}

// newAccessResponse issues the tokens of ar and records issued (the
// token.issued event) in the same transaction, so the trail never shows
// tokens that were rolled back. A code exchange (and a device code's,
// which spends its grant the same way) needs that transaction anyway:
// fosite's code handler commits the code, access and refresh
// tokens itself, and the OpenID Connect handler then reads and deletes the
// ID token session in statements of its own, so a database lost between the
// two would spend the code without an answer the client can retry.
//
// Client credentials are the exception: their access token row is written
// outside any transaction, batched and without waiting for the disk (see
// storage.Token.Volatile), and an audit row per machine token would cost
// the hot path a synchronous commit (on the benchmark, up to 7 % more on
// PostgreSQL, past the 5 % the token path may spend on audit and metrics)
// and fill the trail with one row per service call. Their issuance is
// counted (idp_tokens_issued_total) but not written to the trail.
func (p *Provider) newAccessResponse(ctx context.Context, ar fosite.AccessRequester, issued idp.AuditEvent) (fosite.AccessResponder, error) {
	if ar.GetGrantTypes().ExactOne(idp.GrantClientCredentials) {
		resp, err := p.oauth.NewAccessResponse(ctx, ar)
		if err == nil {
			p.metrics.Observe(issued)
		}
		return resp, err
	}
	var resp fosite.AccessResponder
	err := p.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if resp, err = p.oauth.NewAccessResponse(ctx, ar); err != nil {
			return err
		}
		return p.audit.Record(ctx, issued)
	})
	if errors.Is(err, idp.ErrConflict) {
		return nil, fosite.ErrSerializationFailure.WithWrap(err)
	}
	return resp, err
}

// writeAccessError logs server-side detail once and writes the RFC 6749
// §5.2 JSON error.
func (p *Provider) writeAccessError(ctx context.Context, w http.ResponseWriter, ar fosite.AccessRequester, err error) {
	if p.writeUnavailable(ctx, w, pathToken, err) {
		return
	}
	rfc := fosite.ErrorToRFC6749Error(err)
	if rfc.CodeField >= 500 {
		p.log.ErrorContext(ctx, "token request failed", "err", web.Describe(err))
	} else {
		p.log.InfoContext(ctx, "token request refused", "err", web.Describe(err))
	}
	setRetryAfter(w, err)
	p.oauth.WriteAccessError(ctx, w, ar, err)
}
