package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/idp/idp"
)

// sessionJSON is a member's browser session; its cookie token is never
// shown (only its hash is stored anyway).
type sessionJSON struct {
	ID         string    `json:"id"`
	MemberID   string    `json:"member_id"`
	AuthTime   time.Time `json:"auth_time"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

type consentJSON struct {
	ClientID  string    `json:"client_id"`
	Scopes    []string  `json:"scopes"`
	GrantedAt time.Time `json:"granted_at"`
}

// listSessions lists a member's sessions. A member has a handful, so the
// list is one page.
func (a *API) listSessions(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m, err := a.cfg.Store.Members.ByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	rows, err := a.cfg.Store.Sessions.ByMember(ctx, m.ID)
	if err != nil {
		return err
	}
	out := list[sessionJSON]{Items: []sessionJSON{}}
	for _, s := range rows {
		out.Items = append(out.Items, sessionJSON{ID: s.ID, MemberID: s.MemberID, AuthTime: s.AuthTime,
			CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, ExpiresAt: s.ExpiresAt})
	}
	return writeJSON(w, http.StatusOK, out)
}

// deleteSession ends a session as logout does: its refresh tokens are
// revoked and every client that took part is sent a back-channel logout.
func (a *API) deleteSession(w http.ResponseWriter, r *http.Request) error {
	err := a.cfg.Store.InTx(r.Context(), func(ctx context.Context) error {
		s, err := a.cfg.Store.Sessions.ByID(ctx, r.PathValue("sid"))
		if err != nil {
			return err
		}
		if err := a.cfg.EndSession(ctx, s); err != nil {
			return err
		}
		return a.record(ctx, r, idp.AuditEvent{Type: idp.AuditSessionEnded, MemberID: s.MemberID, SessionID: s.ID})
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listConsents(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m, err := a.cfg.Store.Members.ByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	rows, err := a.cfg.Store.Consents.ByMember(ctx, m.ID)
	if err != nil {
		return err
	}
	out := list[consentJSON]{Items: []consentJSON{}}
	for _, c := range rows {
		out.Items = append(out.Items, consentJSON{ClientID: c.ClientID, Scopes: nonNil(c.Scopes), GrantedAt: c.GrantedAt})
	}
	return writeJSON(w, http.StatusOK, out)
}

// deleteConsent revokes a member's consent to a client, as `idp consents
// revoke` does: the consent page is shown again at the next request.
func (a *API) deleteConsent(w http.ResponseWriter, r *http.Request) error {
	memberID, clientID := r.PathValue("id"), r.PathValue("client_id")
	err := a.cfg.Store.InTx(r.Context(), func(ctx context.Context) error {
		if err := a.cfg.Store.Consents.Revoke(ctx, memberID, clientID); err != nil {
			return err
		}
		return a.record(ctx, r, idp.AuditEvent{Type: idp.AuditConsentRevoked, MemberID: memberID, ClientID: clientID})
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// nonNil renders an absent list as [], as the OpenAPI document says.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
