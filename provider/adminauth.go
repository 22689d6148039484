package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/gorilla/mux"
	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/provider/admin"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
	"github.com/idp/idp/sessions"
)

// mountAdmin serves the admin API under /admin/v1 with its dependencies
// given explicitly: the store, the members rules with the provider's way
// of ending sessions, the token check, the audit trail.
func (p *Provider) mountAdmin(r *mux.Router) {
	r.PathPrefix(admin.Prefix).Handler(admin.New(admin.Config{
		Store:      p.store,
		Members:    members.Service{Store: p.store, EndSessions: p.endMemberSessions},
		Mail:       p.mail,
		Verifier:   adminVerifier{p},
		Recorder:   p.audit,
		EndSession: p.endAdminSession,
		// Other replicas see a change within the client cache's lifetime.
		ClientChanged: p.oauth.ForgetClient,
		Secret:        p.cfg.Secret,
		Logger:        p.log,
		Now:           p.cfg.Now,
		Address:       p.web.ClientAddr,
	}))
}

// endMemberSessions ends a member's sessions and revokes their refresh
// tokens (sessions.EndMember) and wakes the back-channel notifier.
func (p *Provider) endMemberSessions(ctx context.Context, memberID string) (int, error) {
	n, err := sessions.EndMember(ctx, p.store, memberID)
	if err == nil && n > 0 {
		p.logout.Notify()
	}
	return n, err
}

// adminVerifier checks the bearer tokens of the admin API with fosite's
// introspection of our own access tokens: the signature, the expiry, and
// the stored row, so a revoked token or one of a removed client is
// refused although its JWT signature is still valid. Only access tokens
// count (a refresh token is no bearer credential, RFC 6749 §1.5). A
// member's role and state are read now, not taken from the token.
type adminVerifier struct{ p *Provider }

func (v adminVerifier) Verify(ctx context.Context, token string) (admin.Principal, error) {
	use, ar, err := v.p.oauth.IntrospectToken(ctx, token, fosite.AccessToken, oauth.NewSession())
	if errors.Is(err, idp.ErrUnavailable) {
		return admin.Principal{}, fmt.Errorf("verify admin token: %w", err)
	}
	if err != nil {
		return admin.Principal{}, fmt.Errorf("%w: %s", admin.ErrInvalidToken, web.Describe(err))
	}
	if use != fosite.AccessToken {
		return admin.Principal{}, fmt.Errorf("%w: a %s is no bearer credential", admin.ErrInvalidToken, use)
	}
	sess, ok := ar.GetSession().(*oauth.Session)
	if !ok {
		return admin.Principal{}, fmt.Errorf("%w: unexpected session %T", admin.ErrInvalidToken, ar.GetSession())
	}
	pr := admin.Principal{ClientID: ar.GetClient().GetID(), Scopes: ar.GetGrantedScopes()}
	if sess.ClientCredentials {
		return pr, nil
	}
	m, err := v.p.store.Members.ByID(ctx, sess.GetSubject())
	if errors.Is(err, idp.ErrNotFound) {
		return admin.Principal{}, fmt.Errorf("%w: the member is gone", admin.ErrInvalidToken)
	}
	if err != nil {
		return admin.Principal{}, fmt.Errorf("verify admin token: %w", err)
	}
	if err := members.CanSignIn(m); err != nil {
		return admin.Principal{}, fmt.Errorf("%w: %w", admin.ErrInvalidToken, err)
	}
	pr.MemberID, pr.Role = m.ID, m.Role
	return pr, nil
}
