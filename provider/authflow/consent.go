package authflow

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/web"
)

// HandleConsentPage lists the client and the scopes it asks for, from the
// request as it will be granted: the scopes a claims request adds (OpenID
// Connect Core §5.5) are listed too, marked as asked for by name.
func (h *Handlers) HandleConsentPage(w http.ResponseWriter, r *http.Request) {
	f, ok := h.consentFlow(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	ar, params, err := h.resumeRequest(r, f)
	if err != nil {
		h.writeAuthorizeError(w, r, ar, err)
		return
	}
	asked := strings.Fields(params.Get("scope"))
	var scopes []web.ScopeInfo
	for _, s := range ar.GetRequestedScopes() {
		desc := web.ScopeDescriptions[s] // none: the page says "use the … permission"
		scopes = append(scopes, web.ScopeInfo{Name: s, Description: desc, ByClaims: !slices.Contains(asked, s)})
	}
	var memberName string
	if m, err := h.store.Members.ByID(r.Context(), f.MemberID); err == nil {
		memberName = m.Name
	}
	h.web.Render(w, r, http.StatusOK, h.web.Pages.Consent, web.ConsentPage{
		ClientName: h.oauth.ClientName(r.Context(), f.ClientID), MemberName: memberName, FlowID: f.ID,
		CSRFToken: h.web.FormToken(r, f.ID), Scopes: scopes,
	})
}

// consentFlow loads a flow whose member has signed in.
func (h *Handlers) consentFlow(w http.ResponseWriter, r *http.Request, id string) (idp.Flow, bool) {
	f, ok := h.loadFlow(w, r, id)
	if ok && f.MemberID == "" {
		h.web.Fail(w, r, web.NotSignedIn, errors.New("consent before login"))
		return idp.Flow{}, false
	}
	if ok && f.LocalFlow() {
		h.web.Fail(w, r, web.FlowExpired, errors.New("consent asked of a local flow"))
		return idp.Flow{}, false
	}
	return f, ok
}

// HandleConsent records the member's answer. Deny sends access_denied to
// the client; allow remembers the requested scopes, those the claims
// parameter added included, for the client and finishes.
func (h *Handlers) HandleConsent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, ok := h.consentFlow(w, r, r.PostFormValue("flow"))
	if !ok {
		return
	}
	if !h.web.RequireCSRF(w, r, f.ID, web.ConsentFormExpired) {
		return
	}
	answer := r.PostFormValue("consent")
	if answer != "allow" && answer != "deny" {
		h.web.Fail(w, r, web.UnknownAnswer, errors.New("consent answer missing"))
		return
	}
	ar, _, err := h.resumeRequest(r, f)
	if err != nil {
		h.writeAuthorizeError(w, r, ar, err)
		return
	}
	if answer == "deny" {
		if err := h.store.Flows.Delete(ctx, f.ID); err != nil && !errors.Is(err, idp.ErrNotFound) {
			h.log.ErrorContext(ctx, "delete denied flow", "err", err)
		}
		h.writeAuthorizeError(w, r, ar, fosite.ErrAccessDenied.WithHint("The member denied the request."))
		return
	}
	granted := ar.GetRequestedScopes()
	if prev, err := h.store.Consents.Get(ctx, f.MemberID, f.ClientID); err == nil {
		for _, s := range prev.Scopes {
			if !slices.Contains(granted, s) {
				granted = append(granted, s)
			}
		}
	}
	err = h.store.InTx(ctx, func(ctx context.Context) error {
		c := idp.Consent{MemberID: f.MemberID, ClientID: f.ClientID, Scopes: granted, GrantedAt: h.cfg.Now().UTC()}
		if err := h.store.Consents.Grant(ctx, c); err != nil {
			return err
		}
		return h.record(ctx, idp.AuditEvent{Type: idp.AuditConsentGranted, Actor: idp.ActorMember(f.MemberID),
			MemberID: f.MemberID, ClientID: f.ClientID, SessionID: f.SessionID, Address: h.web.ClientAddr(r),
			Detail: map[string]any{"scopes": []string(granted)}})
	})
	if err != nil {
		h.writeAuthorizeError(w, r, ar, fosite.ErrServerError.WithWrap(err))
		return
	}
	login := authn{memberID: f.MemberID, sessionID: f.SessionID, authTime: f.AuthTime, requestedAt: f.CreatedAt, amr: f.AMR}
	h.finish(w, r, ar, login, &f)
}
