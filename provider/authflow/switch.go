package authflow

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/web"
)

// PathSwitch is where the consent page's "Not you?" form posts: it signs
// the browser out and brings it back to the sign-in of the same request.
const PathSwitch = "/login/switch"

// HandleSwitch signs out the member a consent page was about, so someone
// else can sign in, and returns to the login page of the same flow: the
// application's request goes on with whoever signs in next. The form is
// the consent page's (same flow, same CSRF token); a forged one changes
// nothing.
func (h *Handlers) HandleSwitch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, ok := h.consentFlow(w, r, r.PostFormValue("flow"))
	if !ok {
		return
	}
	if !h.web.RequireCSRF(w, r, f.ID, web.ConsentFormExpired) {
		return
	}
	s, err := h.web.Session(ctx, r)
	switch {
	case err == nil && s.MemberID == f.MemberID:
		if h.cfg.SignOut != nil {
			err = h.cfg.SignOut(ctx, r, s, f.ClientID)
		}
	case errors.Is(err, web.ErrNoSession):
		err = nil
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.web.SetCookie(w, web.SessionCookie, "", time.Time{})
	f.MemberID, f.SessionID, f.AuthTime = "", "", time.Time{}
	f.PendingMemberID, f.AMR = "", nil
	if err := h.store.Flows.Update(ctx, f); err != nil {
		if errors.Is(err, idp.ErrNotFound) {
			h.web.Fail(w, r, web.FlowExpired, err)
			return
		}
		h.web.Internal(w, r, err)
		return
	}
	http.Redirect(w, r, PathLogin+"?flow="+url.QueryEscape(f.ID), http.StatusSeeOther)
}
