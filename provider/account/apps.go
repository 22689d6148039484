package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/web"
	"github.com/idp/idp/storage"
)

// HandleApps lists the apps the member allowed (their remembered
// consents), with what each may do and since when.
func (h *Handlers) HandleApps(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Visitor(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	list, err := h.store.Consents.ByMember(ctx, v.Member.ID)
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	page := web.AccountAppsPage{CSRFToken: v.CSRFToken, Notice: notice(r)}
	for _, c := range list {
		app := web.AccountApp{ClientID: c.ClientID, Name: c.ClientID, GrantedAt: c.GrantedAt.UTC()}
		cl, err := h.store.Clients.ByID(ctx, c.ClientID)
		if err != nil && !errors.Is(err, idp.ErrNotFound) {
			h.web.Internal(w, r, err)
			return
		}
		if err == nil && cl.Name != "" {
			app.Name = cl.Name
		}
		for _, s := range c.Scopes {
			desc, ok := web.ScopeDescriptions[s]
			if !ok {
				desc = "use the " + s + " permission"
			}
			app.Scopes = append(app.Scopes, web.ScopeInfo{Name: s, Description: desc})
		}
		page.Apps = append(page.Apps, app)
	}
	h.web.Render(w, r, http.StatusOK, h.web.Pages.AccountApps, page)
}

// HandleRevokeApp forgets the member's consent to the app (field
// client_id) and revokes the refresh and access tokens it holds for the
// member, with a consent.revoked event, in one transaction: the app can
// no longer act for the member, and its next sign-in asks again. An app
// the member never allowed changes nothing and is answered 404. Sessions
// stay: the member remains signed in here, only the app lost its access.
func (h *Handlers) HandleRevokeApp(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Change(w, r)
	if !ok {
		return
	}
	clientID := r.PostFormValue("client_id")
	var revoked int64
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		if err := h.store.Consents.Revoke(ctx, v.Member.ID, clientID); err != nil {
			return err
		}
		for _, kind := range []storage.TokenKind{storage.KindRefresh, storage.KindAccess} {
			n, err := h.store.Tokens.DeleteByClientSubject(ctx, kind, clientID, v.Member.ID)
			if err != nil {
				return err
			}
			revoked += n
		}
		e := h.event(r, v, idp.AuditConsentRevoked, "")
		e.ClientID, e.Detail = clientID, map[string]any{"tokens_revoked": revoked}
		return h.cfg.Audit.Record(ctx, e)
	})
	if errors.Is(err, idp.ErrNotFound) {
		h.web.Fail(w, r, web.AccountAppNotFound, fmt.Errorf("member %s: revoke app: no consent", v.Member.ID))
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	done(w, r, PathApps, "revoked")
}
