package provider

import (
	"context"
	"errors"
	"net/http"

	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/oauth"
)

// issuedEvent is the token.issued event of a granted access request: the
// grant, the client (its actor), the member and session it speaks for, and
// the scopes granted, never a token.
func (p *Provider) issuedEvent(r *http.Request, ar fosite.AccessRequester, sess *oauth.Session) idp.AuditEvent {
	e := idp.AuditEvent{Type: idp.AuditTokenIssued, Address: p.web.ClientAddr(r),
		Detail: map[string]any{"grant_type": grantType(ar), "scopes": []string(ar.GetGrantedScopes())}}
	if c := ar.GetClient(); c != nil {
		e.ClientID = c.GetID()
		e.Actor = idp.ActorClient(e.ClientID)
	}
	if !sess.ClientCredentials {
		e.MemberID, e.SessionID = sess.GetSubject(), sess.SessionID
	}
	return e
}

// grantType is the one grant type of ar (the token endpoint refuses
// requests naming several).
func grantType(ar fosite.AccessRequester) string {
	if g := ar.GetGrantTypes(); len(g) == 1 {
		return g[0]
	}
	return ""
}

// recordReuse records refresh.reuse_detected when err is fosite's answer
// to a rotated refresh token presented again: fosite has already revoked
// the token family (RFC 9700 §4.14.2) in a transaction of its own, so the
// event gets one of its own too.
func (p *Provider) recordReuse(r *http.Request, ar fosite.AccessRequester, err error) {
	if !errors.Is(err, fosite.ErrInactiveToken) || r.PostFormValue("grant_type") != idp.GrantRefreshToken {
		return
	}
	e := idp.AuditEvent{Type: idp.AuditRefreshReuse, Actor: idp.ActorSystem, Address: p.web.ClientAddr(r),
		Detail: map[string]any{"family_revoked": true}}
	if ar != nil && ar.GetClient() != nil {
		e.ClientID = ar.GetClient().GetID()
		e.Actor = idp.ActorClient(e.ClientID)
	}
	ctx := context.WithoutCancel(r.Context())
	if err := p.audit.Record(ctx, e); err != nil {
		p.log.ErrorContext(ctx, "record refresh token reuse", "err", err)
	}
}
