package authflow

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/provider/web"
)

// PathForgot is the form that asks for the address to send a password
// reset link to; the pages mailed links lead to are members.PathReset,
// members.PathInvite and members.PathVerify.
const PathForgot = "/password/forgot"

// Limits on reset mails. Per address: what one client may ask for, any
// address typed, so nobody floods the mail server through the form (a
// member who mistyped a few times is far below). Per email: what anyone
// may have sent to one mailbox, so the form cannot bomb a victim; a
// member waiting for a slow mail may ask twice more.
var (
	resetPerAddress = web.Limit{Max: 20, Window: time.Hour}
	resetPerEmail   = web.Limit{Max: 3, Window: time.Hour}
)

// Messages of the mail pages.
const (
	msgEnterEmail       = "Enter the email address of your account."
	msgResetThrottled   = "Too many requests from your network. Wait an hour and try again."
	msgPasswordMismatch = "The two passwords differ. Type the same password twice."
)

// forgotURL is the reset form's address for the login page of flow f, or
// "" when the provider sends no mail.
func (h *Handlers) forgotURL(f idp.Flow) string {
	if !h.cfg.Mail.Enabled() {
		return ""
	}
	return PathForgot + "?flow=" + url.QueryEscape(f.ID)
}

// HandleForgotPage shows the reset form, within the sign-in flow so that
// "Back to sign in" returns to it.
func (h *Handlers) HandleForgotPage(w http.ResponseWriter, r *http.Request) {
	f, ok := h.loadFlow(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	h.renderForgot(w, r, f, web.ForgotPage{}, http.StatusOK)
}

func (h *Handlers) renderForgot(w http.ResponseWriter, r *http.Request, f idp.Flow, pg web.ForgotPage, status int) {
	pg.FlowID, pg.CSRFToken, pg.MailOff = f.ID, h.web.FormToken(r, f.ID), !h.cfg.Mail.Enabled()
	h.web.Render(w, r, status, h.web.Pages.Forgot, pg)
}

// HandleForgot sends a reset link to the address typed if a member who
// may sign in has it, and answers the same either way: the page tells
// nobody which addresses have accounts. Requests are counted per client
// address (over the limit: refused, saying so) and per address typed
// (over the limit: the same answer, and no mail).
func (h *Handlers) HandleForgot(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, ok := h.loadFlow(w, r, r.PostFormValue("flow"))
	if !ok {
		return
	}
	if !h.web.RequireCSRF(w, r, f.ID, web.LoginFormExpired) {
		return
	}
	if !h.cfg.Mail.Enabled() {
		h.renderForgot(w, r, f, web.ForgotPage{}, http.StatusOK)
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	if email == "" || len(email) > web.MaxUsernameBytes || !strings.Contains(email, "@") {
		h.renderForgot(w, r, f, web.ForgotPage{Error: msgEnterEmail}, http.StatusOK)
		return
	}
	addr := h.web.ClientAddr(r)
	ok, err := h.throttle.Allow(ctx, resetPerAddress, "reset-address", web.AddressKey(addr))
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	if !ok {
		web.SetRetryAfter(w, resetPerAddress.Window)
		h.renderForgot(w, r, f, web.ForgotPage{Email: email, Error: msgResetThrottled}, http.StatusTooManyRequests)
		return
	}
	ok, err = h.throttle.Allow(ctx, resetPerEmail, "reset-email", web.NormalizeEmail(email))
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	if ok {
		if err := h.cfg.Mail.RequestReset(ctx, email, members.Actor{Address: addr}); err != nil {
			h.web.Internal(w, r, err)
			return
		}
	} else {
		h.log.WarnContext(ctx, "password reset mail throttled", "address", addr)
	}
	h.renderForgot(w, r, f, web.ForgotPage{Sent: true}, http.StatusOK)
}

// linkPage is one kind of mailed link's page.
type linkPage struct {
	kind   idp.MailTokenKind
	path   string
	title  string
	action string
}

// The titles of the two link pages.
const (
	msgResetTitle  = "Choose a new password"
	msgInviteTitle = "Choose your password"
)

var (
	resetPage  = linkPage{idp.MailTokenReset, members.PathReset, msgResetTitle, members.PathReset}
	invitePage = linkPage{idp.MailTokenInvite, members.PathInvite, msgInviteTitle, members.PathInvite}
)

// linkSubject binds a link page's form to the link and the browser.
func linkSubject(token string) string { return "mail-link\x00" + members.HashLink(token) }

// HandleResetPage and HandleInvitePage show the form a reset or
// invitation link leads to. Showing it uses nothing: mail scanners that
// fetch links do not spend them.
func (h *Handlers) HandleResetPage(w http.ResponseWriter, r *http.Request) {
	h.passwordPage(w, r, resetPage)
}

// HandleInvitePage: see HandleResetPage.
func (h *Handlers) HandleInvitePage(w http.ResponseWriter, r *http.Request) {
	h.passwordPage(w, r, invitePage)
}

// HandleReset and HandleInvite set the password a reset or invitation
// link allows, once.
func (h *Handlers) HandleReset(w http.ResponseWriter, r *http.Request) {
	h.setPassword(w, r, resetPage)
}

// HandleInvite: see HandleReset.
func (h *Handlers) HandleInvite(w http.ResponseWriter, r *http.Request) {
	h.setPassword(w, r, invitePage)
}

func (h *Handlers) passwordPage(w http.ResponseWriter, r *http.Request, lp linkPage) {
	token := r.URL.Query().Get("token")
	pg := web.SetPasswordPage{Title: lp.title, Action: lp.action}
	err := h.cfg.Mail.Check(r.Context(), lp.kind, token)
	if err != nil && !errors.Is(err, members.ErrLinkInvalid) {
		h.web.Internal(w, r, err)
		return
	}
	pg.Invalid = err != nil
	if !pg.Invalid {
		pg.Token, pg.CSRFToken = token, h.web.CSRFToken(linkSubject(token), h.web.Binding(w, r))
	}
	h.web.Render(w, r, statusOf(pg.Invalid), h.web.Pages.SetPassword, pg)
}

func statusOf(invalid bool) int {
	if invalid {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

func (h *Handlers) setPassword(w http.ResponseWriter, r *http.Request, lp linkPage) {
	token := r.PostFormValue("token")
	if !h.web.RequireCSRF(w, r, linkSubject(token), web.LinkFormExpired) {
		return
	}
	pg := web.SetPasswordPage{Title: lp.title, Action: lp.action, Token: token, CSRFToken: r.PostFormValue("csrf_token")}
	pw := r.PostFormValue("new_password")
	if pw != r.PostFormValue("confirm_password") {
		pg.Error = msgPasswordMismatch
		h.web.Render(w, r, http.StatusOK, h.web.Pages.SetPassword, pg)
		return
	}
	_, err := h.cfg.Mail.SetPassword(r.Context(), lp.kind, token, pw, members.Actor{Address: h.web.ClientAddr(r)})
	var fe *members.FieldError
	switch {
	case errors.As(err, &fe):
		pg.Error = "The password " + fe.Msg + "."
		h.web.Render(w, r, http.StatusOK, h.web.Pages.SetPassword, pg)
		return
	case errors.Is(err, members.ErrLinkInvalid):
		h.web.Render(w, r, http.StatusBadRequest, h.web.Pages.SetPassword, web.SetPasswordPage{Title: lp.title, Invalid: true})
		return
	case err != nil:
		h.web.Internal(w, r, err)
		return
	}
	// The reset ended every session, this browser's too: forget its cookie.
	h.web.SetCookie(w, web.SessionCookie, "", time.Time{})
	h.web.Render(w, r, http.StatusOK, h.web.Pages.SetPassword, web.SetPasswordPage{Title: lp.title, Done: true})
}

// HandleVerifyPage shows the button a verification link leads to; like
// the password pages, showing it uses nothing.
func (h *Handlers) HandleVerifyPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	err := h.cfg.Mail.Check(r.Context(), idp.MailTokenVerify, token)
	if err != nil && !errors.Is(err, members.ErrLinkInvalid) {
		h.web.Internal(w, r, err)
		return
	}
	pg := web.VerifyEmailPage{Invalid: err != nil}
	if !pg.Invalid {
		pg.Token, pg.CSRFToken = token, h.web.CSRFToken(linkSubject(token), h.web.Binding(w, r))
	}
	h.web.Render(w, r, statusOf(pg.Invalid), h.web.Pages.VerifyEmail, pg)
}

// HandleVerify uses a verification link: the address becomes verified.
func (h *Handlers) HandleVerify(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	if !h.web.RequireCSRF(w, r, linkSubject(token), web.LinkFormExpired) {
		return
	}
	_, err := h.cfg.Mail.Verify(r.Context(), token, members.Actor{Address: h.web.ClientAddr(r)})
	switch {
	case errors.Is(err, members.ErrLinkInvalid):
		h.web.Render(w, r, http.StatusBadRequest, h.web.Pages.VerifyEmail, web.VerifyEmailPage{Invalid: true})
	case err != nil:
		h.web.Internal(w, r, err)
	default:
		h.web.Render(w, r, http.StatusOK, h.web.Pages.VerifyEmail, web.VerifyEmailPage{Done: true})
	}
}
