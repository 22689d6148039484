package account

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/mfa"
	"github.com/idp/idp/password"
	"github.com/idp/idp/provider/web"
)

// Paths of the security section: the member's second factors.
const (
	PathSecurity      = Path + "/security"
	pathTOTP          = PathSecurity + "/totp"
	pathTOTPQR        = PathSecurity + "/totp/qr"
	pathTOTPRemove    = PathSecurity + "/totp/remove"
	pathRecoveryCodes = PathSecurity + "/recovery-codes"
)

// Messages of the security section's forms.
const (
	msgBadCode    = "The code is incorrect or was already used. Enter the current code from your authenticator app."
	msgBadProof   = "That is neither a current code from your authenticator app nor your password. Nothing was changed."
	msgThrottled  = "Too many failed attempts. Wait a few minutes and try again."
	msgRemoved    = "Two-step verification is off. Your recovery codes no longer work."
	msgNoTOTP     = "Set up an authenticator app first."
	msgHaveTOTP   = "An authenticator app is already set up. Turn it off first to set up another."
	reasonBadCode = "bad_code"
)

// HandleSecurity shows the member's second factors: whether an
// authenticator app is set up and how many recovery codes are left.
func (h *Handlers) HandleSecurity(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Visitor(w, r)
	if !ok {
		return
	}
	h.renderSecurity(w, r, v, "", "", http.StatusOK)
}

func (h *Handlers) renderSecurity(w http.ResponseWriter, r *http.Request, v Visit, msg, notice string, status int) {
	ctx := r.Context()
	methods, err := h.cfg.Factors.Methods(ctx, v.Member.ID)
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	left, err := h.cfg.Factors.RecoveryCodesLeft(ctx, v.Member.ID)
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.web.Render(w, r, status, h.web.Pages.Security, web.SecurityPage{
		CSRFToken: v.CSRFToken, Error: msg, Notice: notice, TOTP: len(methods) > 0, RecoveryCodesLeft: left,
	})
}

// HandleTOTPPage starts an enrolment (or shows the pending one again): the
// key as a QR code and as text, and the form that confirms it. Until a
// valid code confirms it, the pending key is no factor at all.
func (h *Handlers) HandleTOTPPage(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Visitor(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	e, err := h.cfg.Factors.Pending(ctx, v.Member)
	if errors.Is(err, idp.ErrNotFound) {
		e, err = h.cfg.Factors.Start(ctx, v.Member)
	}
	if errors.Is(err, idp.ErrConflict) {
		h.renderSecurity(w, r, v, msgHaveTOTP, "", http.StatusConflict)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.renderEnrol(w, r, v, e, "", http.StatusOK)
}

func (h *Handlers) renderEnrol(w http.ResponseWriter, r *http.Request, v Visit, e mfa.Enrolment, msg string, status int) {
	h.web.Render(w, r, status, h.web.Pages.OTPEnrol, web.OTPEnrolPage{
		Action: pathTOTP, CSRFToken: v.CSRFToken, Error: msg, QRURL: pathTOTPQR, Secret: e.Secret(),
	})
}

// HandleTOTPQR serves the pending enrolment's QR code as a PNG.
func (h *Handlers) HandleTOTPQR(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Visitor(w, r)
	if !ok {
		return
	}
	e, err := h.cfg.Factors.Pending(r.Context(), v.Member)
	if errors.Is(err, idp.ErrNotFound) {
		h.web.Fail(w, r, web.NotFound, err)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.cfg.WriteQR(w, r, e)
}

// HandleTOTPConfirm confirms the pending enrolment with a code (counted
// by the throttle like any code) and shows the new recovery codes once.
func (h *Handlers) HandleTOTPConfirm(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Change(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	pending, err := h.cfg.Factors.Pending(ctx, v.Member)
	if errors.Is(err, idp.ErrNotFound) {
		h.renderSecurity(w, r, v, msgNoTOTP, "", http.StatusConflict)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	at, ok := h.admit(w, r, v, func(msg string, status int) { h.renderEnrol(w, r, v, pending, msg, status) })
	if !ok {
		return
	}
	var codes []string
	err = h.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if codes, err = h.cfg.Factors.Confirm(ctx, v.Member.ID, r.PostFormValue("otp")); err != nil {
			return err
		}
		return h.recordChange(ctx, r, v, idp.AuditMFAEnrolled, map[string]any{"method": idp.AMROTP})
	})
	if errors.Is(err, mfa.ErrBadCode) {
		h.failedCode(ctx, r, v)
		h.renderEnrol(w, r, v, pending, msgBadCode, http.StatusOK)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.succeeded(ctx, at)
	h.web.Render(w, r, http.StatusOK, h.web.Pages.RecoveryCodes, web.RecoveryCodesPage{Codes: codes, Action: PathSecurity})
}

// HandleTOTPRemove turns the authenticator off, with its recovery codes,
// when the form carries a current code or the member's password: a
// session left open on a shared computer is not enough to remove it.
func (h *Handlers) HandleTOTPRemove(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Change(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	again := func(msg string, status int) { h.renderSecurity(w, r, v, msg, "", status) }
	at, ok := h.admit(w, r, v, again)
	if !ok {
		return
	}
	proof := r.PostFormValue("proof")
	err := h.checkProof(ctx, v.Member, proof)
	if errors.Is(err, errBadProof) {
		h.failedCode(ctx, r, v)
		again(msgBadProof, http.StatusOK)
		return
	}
	if errors.Is(err, password.ErrBusy) {
		web.SetRetryAfter(w, time.Second)
		h.web.Fail(w, r, web.Busy, err)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.succeeded(ctx, at)
	err = h.store.InTx(ctx, func(ctx context.Context) error {
		had, err := h.cfg.Factors.Remove(ctx, v.Member.ID)
		if err != nil || !had {
			return err
		}
		return h.recordChange(ctx, r, v, idp.AuditMFARemoved, map[string]any{"method": idp.AMROTP})
	})
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.renderSecurity(w, r, v, "", msgRemoved, http.StatusOK)
}

var errBadProof = errors.New("bad proof")

// checkProof accepts a current code of the member's authenticator (which
// it spends) or their password.
func (h *Handlers) checkProof(ctx context.Context, m idp.Member, proof string) error {
	proof = strings.TrimSpace(proof)
	if proof == "" {
		return errBadProof
	}
	if isCode(proof) {
		_, err := h.cfg.Factors.Check(ctx, m.ID, proof)
		if errors.Is(err, mfa.ErrBadCode) {
			return errBadProof
		}
		return err
	}
	ok, err := h.cfg.KDF.Verify(ctx, m.PasswordHash, proof)
	if err != nil {
		return err
	}
	if !ok {
		return errBadProof
	}
	return nil
}

// isCode reports whether s looks like a TOTP code (six digits, spaces
// allowed) rather than a password.
func isCode(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) != 6 {
		return false
	}
	_, err := strconv.Atoi(s)
	return err == nil
}

// HandleRecoveryCodes replaces the member's recovery codes with new ones,
// shown once; the old ones stop working.
func (h *Handlers) HandleRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	v, ok := h.Change(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	methods, err := h.cfg.Factors.Methods(ctx, v.Member.ID)
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	if len(methods) == 0 {
		h.renderSecurity(w, r, v, msgNoTOTP, "", http.StatusConflict)
		return
	}
	var codes []string
	err = h.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if codes, err = h.cfg.Factors.NewRecoveryCodes(ctx, v.Member.ID); err != nil {
			return err
		}
		return h.recordChange(ctx, r, v, idp.AuditMFARecoveryCodes, nil)
	})
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.web.Render(w, r, http.StatusOK, h.web.Pages.RecoveryCodes, web.RecoveryCodesPage{Codes: codes, Action: PathSecurity})
}

// admit counts an attempt at a code or password on these pages against
// the sign-in throttle, under the same key as the second-factor step: a
// stolen session cannot guess more codes here than at sign-in.
func (h *Handlers) admit(w http.ResponseWriter, r *http.Request, v Visit, again func(msg string, status int)) (web.Attempt, bool) {
	at := h.cfg.Throttle.NewAttempt(h.web.ClientAddr(r), "otp\x00"+v.Member.ID)
	ok, retry, err := h.cfg.Throttle.Reserve(r.Context(), at)
	if err != nil {
		h.web.Internal(w, r, err)
		return at, false
	}
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, retry.Sub(h.cfg.Now())).Seconds())))
		again(msgThrottled, http.StatusTooManyRequests)
	}
	return at, ok
}

func (h *Handlers) succeeded(ctx context.Context, at web.Attempt) {
	if err := h.cfg.Throttle.Succeeded(ctx, at); err != nil {
		h.cfg.Log.ErrorContext(ctx, "account throttle", "err", err)
	}
}

// failedCode records a refused code or password on these pages.
func (h *Handlers) failedCode(ctx context.Context, r *http.Request, v Visit) {
	h.cfg.Log.InfoContext(ctx, "account proof refused", "member", v.Member.ID)
	if err := h.recordChange(ctx, r, v, idp.AuditLoginFailed, map[string]any{"reason": reasonBadCode}); err != nil {
		h.cfg.Log.ErrorContext(ctx, "record refused proof", "err", err)
	}
}

// recordChange writes an audit event of the member's own change.
func (h *Handlers) recordChange(ctx context.Context, r *http.Request, v Visit, typ idp.AuditType, detail map[string]any) error {
	if h.cfg.Audit == nil {
		return nil
	}
	e := h.event(r, v, typ, "")
	e.Detail = detail
	return h.cfg.Audit.Record(ctx, e)
}
