package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/token/jwt"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
)

// finish grants the request and redirects to the client with the code.
// Everything it writes (the code, its PKCE and OpenID Connect sessions,
// the session's client list, the spent flow) commits in one transaction.
func (p *Provider) finish(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, login authn, flow *idp.Flow) {
	ctx := r.Context()
	c := ar.GetClient().(oauth.Client)
	m, err := p.store.Members.ByID(ctx, login.memberID)
	if errors.Is(err, idp.ErrNotFound) { // removed while signing in
		p.writeAuthorizeError(w, r, ar, fosite.ErrLoginRequired.WithHint("The member no longer exists."))
		return
	}
	if err != nil {
		p.writeAuthorizeError(w, r, ar, fosite.ErrServerError.WithWrap(err))
		return
	}
	for _, s := range ar.GetRequestedScopes() {
		ar.GrantScope(s)
	}
	for _, a := range audience(ar.GetRequestedAudience(), c) {
		ar.GrantAudience(a)
	}
	sess := p.memberSession(m, c, login, ar.GetGrantedScopes())

	var resp fosite.AuthorizeResponder
	err = p.store.InTx(ctx, func(ctx context.Context) error {
		if flow != nil {
			if err := p.store.Flows.Delete(ctx, flow.ID); err != nil {
				return fmt.Errorf("spend flow: %w", err)
			}
		}
		if err := p.store.Sessions.AddClient(ctx, login.sessionID, c.ID); err != nil {
			return fmt.Errorf("record session client: %w", err)
		}
		resp, err = p.oauth.NewAuthorizeResponse(ctx, ar, sess)
		return err
	})
	if errors.Is(err, idp.ErrNotFound) && flow != nil { // the flow was spent by a concurrent submit
		p.web.Fail(w, r, web.AlreadyDone, err)
		return
	}
	if err != nil {
		p.writeAuthorizeError(w, r, ar, err)
		return
	}
	resp.AddParameter("iss", p.cfg.Issuer) // RFC 9207, in every response mode
	p.oauth.WriteAuthorizeResponse(ctx, issWriter{w, p.cfg.Issuer}, ar, resp)
}

// audience is what a token is for: the audiences the client asked for
// (fosite checked they are registered), else every registered one.
func audience(requested []string, c oauth.Client) []string {
	if len(requested) > 0 {
		return requested
	}
	return c.GetAudience()
}

// memberSession builds the session stored with the code: ID token claims
// by released scope (OpenID Connect Core §5.4) and what the access token
// and userinfo need.
func (p *Provider) memberSession(m idp.Member, c oauth.Client, login authn, granted fosite.Arguments) *oauth.Session {
	extra := memberClaims(m, releasedScopes(granted, c))
	extra["sid"] = login.sessionID
	sess := oauth.NewSession()
	sess.Subject = m.ID
	sess.Username = m.Username
	sess.ClientID = c.ID
	sess.SessionID = login.sessionID
	sess.GrantedAt = p.cfg.Now().UTC()
	sess.Claims = &jwt.IDTokenClaims{
		Issuer:      p.cfg.Issuer,
		Subject:     m.ID,
		AuthTime:    login.authTime.UTC().Truncate(time.Second),
		RequestedAt: login.requestedAt.UTC().Truncate(time.Second),
		Extra:       extra,
	}
	return sess
}
