package authflow

import (
	"context"
	"net/http"

	"github.com/idp/idp"
)

// factorPassed is where every sign-in method lands once it has verified
// the member of attempt (password, second factor, passkey): it adds
// method to the flow's methods and either asks for the next factor the
// member must pass or signs the browser in — the session, the flow's
// progress and the audit event commit together — and sends it on
// (signedIn).
func (h *Handlers) factorPassed(w http.ResponseWriter, r *http.Request, f idp.Flow, attempt signIn, method string) {
	ctx := r.Context()
	amr := append(f.AMR, method)
	err := h.store.InTx(ctx, func(ctx context.Context) error {
		s, err := h.web.SignIn(ctx, w, r, attempt.memberID, amr, "")
		if err != nil {
			return err
		}
		f.MemberID, f.SessionID, f.AuthTime, f.AMR, f.PendingMemberID = attempt.memberID, s.ID, s.AuthTime, amr, ""
		if err := h.store.Flows.Update(ctx, f); err != nil {
			return err
		}
		e := attempt.event(idp.AuditLoginSucceeded, "")
		e.SessionID = s.ID
		return h.record(ctx, e)
	})
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.log.InfoContext(ctx, "signed in", attempt.logArgs("amr", amr)...)
	h.signedIn(w, r, f)
}
