package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
)

// handleIntrospect is RFC 7662 token introspection. The caller must be a
// confidential client authenticated by a method discovery advertises
// (§2.1); it learns that a token is active only when the token was issued
// to it, names it in its audience, or the caller is registered as a
// resource server that may introspect every token (§4: otherwise a client
// could scan for other clients' tokens). Every other answer is
// {"active": false}. Tokens are looked up in the store, so a revoked JWT
// access token is reported inactive though its signature is still valid.
func (p *Provider) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	caller, err := p.introspectionCaller(ctx, r)
	if p.writeUnavailable(ctx, w, pathIntrospect, err) {
		return
	}
	if err != nil {
		p.log.InfoContext(ctx, "introspection refused", "err", web.Describe(err))
		p.writeIntrospectionError(ctx, w, err)
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		p.writeIntrospectionError(ctx, w, fosite.ErrInvalidRequest.WithHint("The token parameter is missing."))
		return
	}
	use, ar, err := p.oauth.IntrospectToken(ctx, token, fosite.TokenUse(r.PostForm.Get("token_type_hint")), oauth.NewSession())
	if p.writeUnavailable(ctx, w, pathIntrospect, err) {
		return
	}
	if err != nil || !mayIntrospect(caller, ar) {
		if err != nil {
			p.log.DebugContext(ctx, "introspection: inactive token", "client", caller.ID, "err", web.Describe(err))
		}
		writeIntrospection(w, map[string]any{"active": false})
		return
	}
	writeIntrospection(w, p.introspection(use, ar))
}

// introspectionCaller authenticates the calling client. An access token is
// no client credential (RFC 7662 §2.1 allows one only by separate
// authorization, which this provider does not grant), and a public client
// has nothing to authenticate with.
func (p *Provider) introspectionCaller(ctx context.Context, r *http.Request) (oauth.Client, error) {
	if err := r.ParseForm(); err != nil {
		return oauth.Client{}, fosite.ErrInvalidRequest.WithHint("The request body could not be parsed.").WithWrap(err)
	}
	if scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "bearer") {
		return oauth.Client{}, fosite.ErrInvalidClient.WithHint("Authenticate as a client; an access token is not a client credential.")
	}
	fc, err := p.authenticateClient(ctx, r, r.PostForm)
	if err != nil {
		if fosite.ErrorToRFC6749Error(err).CodeField >= http.StatusInternalServerError {
			return oauth.Client{}, err
		}
		return oauth.Client{}, fosite.ErrInvalidClient.WithHint("Client authentication failed.").WithWrap(err)
	}
	c, ok := fc.(oauth.Client)
	if !ok || c.Public() {
		return oauth.Client{}, fosite.ErrInvalidClient.WithHint("A public client cannot introspect tokens.")
	}
	return c, nil
}

// mayIntrospect reports whether the caller may learn that the token of ar
// is active.
func mayIntrospect(caller oauth.Client, ar fosite.AccessRequester) bool {
	return caller.Introspection == idp.IntrospectionAll ||
		ar.GetClient().GetID() == caller.ID ||
		ar.GetGrantedAudience().Has(caller.ID)
}

// introspection is the RFC 7662 §2.2 answer for an active token. exp is
// the expiry of the token presented, so a refresh token reports its own
// lifetime, and the member's username is included only when the token's
// released scopes carry it (profile), as at userinfo.
func (p *Provider) introspection(use fosite.TokenUse, ar fosite.AccessRequester) map[string]any {
	sess := ar.GetSession()
	out := map[string]any{"active": true, "iss": p.cfg.Issuer, "client_id": ar.GetClient().GetID()}
	if scopes := ar.GetGrantedScopes(); len(scopes) > 0 {
		out["scope"] = strings.Join(scopes, " ")
	}
	if exp := sess.GetExpiresAt(use); !exp.IsZero() {
		out["exp"] = exp.Unix()
	}
	if iat := ar.GetRequestedAt(); !iat.IsZero() {
		out["iat"] = iat.Unix()
	}
	if sub := sess.GetSubject(); sub != "" {
		out["sub"] = sub
	}
	if aud := ar.GetGrantedAudience(); len(aud) > 0 {
		out["aud"] = aud
	}
	if use == fosite.AccessToken {
		out["token_type"] = fosite.BearerAccessToken
		// A DPoP-bound token names its key (RFC 9449 §6.2), so a resource
		// server that introspects can check the proof.
		if s, ok := sess.(*oauth.Session); ok && s.JKT != "" {
			out["token_type"] = oauth.TokenTypeDPoP
			out["cnf"] = map[string]string{"jkt": s.JKT}
		}
	}
	c, _ := ar.GetClient().(oauth.Client)
	if u := sess.GetUsername(); u != "" && oauth.ReleasedScopes(ar.GetGrantedScopes(), c).Has(idp.ScopeProfile) {
		out["username"] = u
	}
	return out
}

// writeIntrospectionError answers a refused caller: 401 invalid_client
// with a Basic challenge (RFC 6749 §5.2), 503 with Retry-After when the
// secret could not be checked yet, or the request or server error.
func (p *Provider) writeIntrospectionError(ctx context.Context, w http.ResponseWriter, err error) {
	if errors.Is(err, fosite.ErrInvalidClient) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", p.cfg.Issuer))
	}
	setRetryAfter(w, err)
	p.oauth.WriteAccessError(ctx, w, nil, err)
}

func writeIntrospection(w http.ResponseWriter, body map[string]any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, body)
}

// handleRevoke is RFC 7009 token revocation. Revoking a refresh token
// revokes its whole family; fosite answers 200 for unknown tokens as
// §2.2 requires.
func (p *Provider) handleRevoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	err := p.oauth.NewRevocationRequest(ctx, r)
	if p.writeUnavailable(ctx, w, pathRevoke, err) {
		return
	}
	if err != nil {
		p.log.InfoContext(ctx, "revocation", "err", web.Describe(err))
	}
	p.oauth.WriteRevocationResponse(ctx, w, err)
}
