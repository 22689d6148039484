package authflow

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
func (h *Handlers) finish(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, login authn, flow *idp.Flow) {
	ctx := r.Context()
	c := ar.GetClient().(oauth.Client)
	m, err := h.store.Members.ByID(ctx, login.memberID)
	if errors.Is(err, idp.ErrNotFound) { // removed while signing in
		h.writeAuthorizeError(w, r, ar, fosite.ErrLoginRequired.WithHint("The member no longer exists."))
		return
	}
	if err != nil {
		h.writeAuthorizeError(w, r, ar, fosite.ErrServerError.WithWrap(err))
		return
	}
	for _, s := range ar.GetRequestedScopes() {
		ar.GrantScope(s)
	}
	for _, a := range oauth.Audience(ar.GetRequestedAudience(), c) {
		ar.GrantAudience(a)
	}
	sess := h.memberSession(m, c, login, ar.GetGrantedScopes())

	var resp fosite.AuthorizeResponder
	err = h.store.InTx(ctx, func(ctx context.Context) error {
		if flow != nil {
			if err := h.store.Flows.Delete(ctx, flow.ID); err != nil {
				return fmt.Errorf("spend flow: %w", err)
			}
		}
		if err := h.store.Sessions.AddClient(ctx, login.sessionID, c.ID); err != nil {
			return fmt.Errorf("record session client: %w", err)
		}
		resp, err = h.oauth.NewAuthorizeResponse(ctx, ar, sess)
		return err
	})
	if errors.Is(err, idp.ErrNotFound) && flow != nil { // the flow was spent by a concurrent submit
		h.web.Fail(w, r, web.AlreadyDone, err)
		return
	}
	if err != nil {
		h.writeAuthorizeError(w, r, ar, err)
		return
	}
	resp.AddParameter("iss", h.cfg.Issuer) // RFC 9207, in every response mode
	h.oauth.WriteAuthorizeResponse(ctx, issWriter{w, h.cfg.Issuer}, ar, resp)
}

// memberSession builds the session stored with the code: ID token claims
// by released scope (OpenID Connect Core §5.4) and what the access token
// and userinfo need.
func (h *Handlers) memberSession(m idp.Member, c oauth.Client, login authn, granted fosite.Arguments) *oauth.Session {
	extra := oauth.MemberClaims(m, oauth.ReleasedScopes(granted, c))
	extra["sid"] = login.sessionID
	sess := oauth.NewSession()
	sess.Subject = m.ID
	sess.Username = m.Username
	sess.ClientID = c.ID
	sess.SessionID = login.sessionID
	sess.GrantedAt = h.cfg.Now().UTC()
	sess.Claims = &jwt.IDTokenClaims{
		Issuer:      h.cfg.Issuer,
		Subject:     m.ID,
		AuthTime:    login.authTime.UTC().Truncate(time.Second),
		RequestedAt: login.requestedAt.UTC().Truncate(time.Second),
		// OpenID Connect Core §2: what the member passed, and the class
		// it reaches (idp.ACRPassword, idp.ACRMFA). Refresh keeps them,
		// as the stored session's claims.
		AuthenticationMethodsReferences:     login.amr,
		AuthenticationContextClassReference: idp.ACRFor(login.amr),
		Extra:                               extra,
	}
	return sess
}
