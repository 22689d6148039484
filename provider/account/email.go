package account

import (
	"net/http"

	"github.com/idp/idp/provider/web"
)

// PathEmail is the member's email section: whether their address is
// verified, and a button that mails them a verification link.
const PathEmail = Path + "/email"

// HandleEmail shows the member's address and whether it is verified.
func (h *Handlers) HandleEmail(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Visitor(w, r)
	if !ok {
		return
	}
	h.renderEmail(w, r, v, false)
}

func (h *Handlers) renderEmail(w http.ResponseWriter, r *http.Request, v Visit, sent bool) {
	h.web.Render(w, r, http.StatusOK, h.web.Pages.AccountEmail, web.AccountEmailPage{
		Email: v.Member.Email, CSRFToken: v.CSRFToken, Verified: v.Member.EmailVerified,
		Sent: sent, MailOff: !h.cfg.Mail.Enabled(),
	})
}

// HandleSendVerification mails the member a link that verifies their
// address. The mail throttle of the reset form is not needed here: only
// a signed-in member can ask, for their own address, and each new link
// replaces the last.
func (h *Handlers) HandleSendVerification(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Change(w, r)
	if !ok {
		return
	}
	if v.Member.EmailVerified || !h.cfg.Mail.Enabled() {
		h.renderEmail(w, r, v, false)
		return
	}
	if err := h.cfg.Mail.SendVerification(r.Context(), v.Member); err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.renderEmail(w, r, v, true)
}
