package account

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/password"
	"github.com/idp/idp/provider/web"
)

// busyRetryAfter is the Retry-After of a password form refused because
// every derivation slot was taken: the slots free up within a derivation
// or two, as at /login.
const busyRetryAfter = 2 * time.Second

// Reasons of a refused password change in the trail (password.change_failed).
const (
	reasonBadCredentials = "bad_credentials"
	reasonThrottled      = "throttled"
)

// HandlePasswordPage shows the password form.
func (h *Handlers) HandlePasswordPage(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Visitor(w, r)
	if !ok {
		return
	}
	h.renderPassword(w, r, v, http.StatusOK, "")
}

func (h *Handlers) renderPassword(w http.ResponseWriter, r *http.Request, v Visit, status int, msg string) {
	h.web.Render(w, r, status, h.web.Pages.AccountPassword, web.AccountPasswordPage{
		CSRFToken: v.CSRFToken, Error: msg, Notice: notice(r),
		MinLength: password.MinLength, MaxLength: password.MaxLength,
	})
}

// HandlePassword changes the member's password. The new one must pass
// the members rules (the minimum every password has) and be typed twice;
// the current one is checked like a sign-in: counted by the sign-in
// throttle under the member before it is looked at, and derived in the
// KDF limiter's slots, so a stolen session is no faster way to guess the
// password than the login page. The change, the end of the member's
// other sessions when they ask for it (as a logout: refresh tokens
// revoked, back-channel logouts sent) and the password.changed event
// commit together; the session in use stays.
func (h *Handlers) HandlePassword(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Change(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	current, pw := r.PostFormValue("current_password"), r.PostFormValue("new_password")
	endOthers := r.PostFormValue("end_others") != ""
	if members.CheckPassword(pw, "new_password") != nil {
		h.renderPassword(w, r, v, http.StatusBadRequest, h.web.T(r, web.MsgPasswordRule, password.MinLength, password.MaxLength))
		return
	}
	if pw != r.PostFormValue("confirm_password") {
		h.renderPassword(w, r, v, http.StatusBadRequest, web.MsgPasswordMismatch)
		return
	}
	if !h.checkCurrent(w, r, v, current) {
		return
	}
	hash, err := h.cfg.KDF.Hash(ctx, pw)
	if err != nil {
		h.kdfFailed(w, r, err)
		return
	}
	svc := members.Service{Store: h.store, EndSessions: noEndSessions}
	err = svc.ChangePassword(ctx, v.Member.ID, hash, func(ctx context.Context, m idp.Member) error {
		ended := 0
		if endOthers {
			others, err := h.otherSessions(ctx, v)
			if err != nil {
				return err
			}
			if err := h.cfg.EndSessions(ctx, others, h.event(r, v, idp.AuditSessionEnded, "password_changed")); err != nil {
				return err
			}
			ended = len(others)
		}
		e := h.event(r, v, idp.AuditPasswordChanged, "")
		e.SessionID, e.Detail = v.Session.ID, map[string]any{"other_sessions_ended": ended}
		return h.cfg.Audit.Record(ctx, e)
	})
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.cfg.Log.InfoContext(ctx, "password changed", "member", v.Member.ID, "other_sessions_ended", endOthers)
	if endOthers {
		done(w, r, PathPassword, "password-others")
		return
	}
	done(w, r, PathPassword, "password")
}

// checkCurrent checks the member's current password as the login page
// checks a password, and answers the request itself when it is wrong,
// throttled or could not be checked.
func (h *Handlers) checkCurrent(w http.ResponseWriter, r *http.Request, v Visit, current string) bool {
	ctx := r.Context()
	at := h.cfg.Throttle.NewAttempt(h.web.ClientAddr(r), web.AccountName(v.Member, ""))
	ok, retry, err := h.cfg.Throttle.Reserve(ctx, at)
	if err != nil {
		h.web.Internal(w, r, err)
		return false
	}
	if !ok {
		h.failed(r, v, reasonThrottled)
		w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, retry.Sub(h.cfg.Now())).Seconds())))
		h.renderPassword(w, r, v, http.StatusTooManyRequests, web.MsgTooManyAttempts)
		return false
	}
	match, err := h.cfg.KDF.Verify(ctx, v.Member.PasswordHash, current)
	if err != nil {
		if errors.Is(err, password.ErrBusy) {
			if err := h.cfg.Throttle.Released(ctx, at); err != nil {
				h.cfg.Log.ErrorContext(ctx, "password form throttle", "err", err)
			}
		}
		h.kdfFailed(w, r, err)
		return false
	}
	if !match {
		h.failed(r, v, reasonBadCredentials)
		h.renderPassword(w, r, v, http.StatusOK, web.MsgWrongCurrentPassword)
		return false
	}
	if err := h.cfg.Throttle.Succeeded(ctx, at); err != nil {
		h.cfg.Log.ErrorContext(ctx, "password form throttle", "err", err)
	}
	return true
}

// kdfFailed answers a derivation that did not run: busy, or broken.
func (h *Handlers) kdfFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, password.ErrBusy) {
		web.SetRetryAfter(w, busyRetryAfter)
		h.web.Fail(w, r, web.Busy, err)
		return
	}
	h.web.Internal(w, r, err)
}

// failed logs and records a refused password change. Recording is best
// effort: the answer does not depend on it.
func (h *Handlers) failed(r *http.Request, v Visit, reason string) {
	ctx := r.Context()
	h.cfg.Log.InfoContext(ctx, "password change refused", "member", v.Member.ID, "reason", reason)
	if err := h.cfg.Audit.Record(ctx, h.event(r, v, idp.AuditPasswordChangeFailed, reason)); err != nil {
		h.cfg.Log.ErrorContext(ctx, "record password change", "err", err)
	}
}

// event is an event of the member's own doing at r, with reason in its
// Detail when given.
func (h *Handlers) event(r *http.Request, v Visit, typ idp.AuditType, reason string) idp.AuditEvent {
	e := idp.AuditEvent{Type: typ, Actor: idp.ActorMember(v.Member.ID), MemberID: v.Member.ID,
		SessionID: v.Session.ID, Address: h.web.ClientAddr(r)}
	if reason != "" {
		e.Detail = map[string]any{"reason": reason}
	}
	return e
}
