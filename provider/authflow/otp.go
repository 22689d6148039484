package authflow

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/mfa"
	"github.com/idp/idp/provider/web"
)

// Paths of the second-factor step: the code form, and the enrolment a
// member whom the policy requires a second factor goes through inside
// the flow (its QR code image, and the page after the recovery codes).
const (
	PathOTP      = "/login/otp"
	PathOTPEnrol = "/login/otp/enrol"
	PathOTPQR    = "/login/otp/qr"
	PathOTPDone  = "/login/otp/done"
)

// msgBadCode is the one message for a wrong, expired, replayed or unknown
// code, whichever it was.
const msgBadCode = "The code is incorrect or was already used. Enter the current code from your authenticator app, or a recovery code."

// reasonBadCode is a refused second factor, in the trail and metrics.
const reasonBadCode = "bad_code"

// qrSize is the QR code's side in pixels: readable by phone cameras from
// a screen, small enough to stay a few kilobytes.
const qrSize = 200

// HandleOTPPage asks the pending member of a flow for a code.
func (h *Handlers) HandleOTPPage(w http.ResponseWriter, r *http.Request) {
	f, ok := h.pendingFlow(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	h.renderOTP(w, r, f, "", http.StatusOK)
}

// renderOTP shows the second-factor page: the code form when the pending
// member has an authenticator app, their passkeys when they have any.
func (h *Handlers) renderOTP(w http.ResponseWriter, r *http.Request, f idp.Flow, msg string, status int) {
	have, err := h.secondFactors(r.Context(), f.PendingMemberID)
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	var options string
	if slices.Contains(have, idp.AMRHardwareKey) {
		if options, err = h.PasskeyOptions(r, f); err != nil {
			h.web.Internal(w, r, err)
			return
		}
	}
	h.web.Render(w, r, status, h.web.Pages.OTP, web.OTPPage{
		ClientName: h.flowClientName(r, f), FlowID: f.ID, CSRFToken: h.web.FormToken(r, f.ID), Error: msg,
		// A member with neither (an enrolment under way) sees the code form.
		HasOTP: slices.Contains(have, idp.AMROTP) || options == "", PasskeyOptions: options,
	})
}

func (h *Handlers) flowClientName(r *http.Request, f idp.Flow) string {
	if f.LocalFlow() {
		return accountName
	}
	return h.oauth.ClientName(r.Context(), f.ClientID)
}

// HandleOTP checks the code (or recovery code) the pending member typed.
// Attempts are counted like passwords (web.Throttle), under a key of
// their own per member and address, which only a right code resets: a
// right password does not give an attacker who knows it fresh guesses.
func (h *Handlers) HandleOTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, ok := h.pendingFlow(w, r, r.PostFormValue("flow"))
	if !ok || !h.web.RequireCSRF(w, r, f.ID, web.LoginFormExpired) {
		return
	}
	m, attempt, ok := h.pendingMember(w, r, f)
	if !ok {
		return
	}
	at, ok := h.admitCode(w, r, attempt, func(msg string, status int) { h.renderOTP(w, r, f, msg, status) })
	if !ok {
		return
	}
	method, err := h.cfg.Factors.Check(ctx, m.ID, r.PostFormValue("otp"))
	if errors.Is(err, mfa.ErrBadCode) {
		h.failed(ctx, attempt, idp.AuditLoginFailed, reasonBadCode)
		h.renderOTP(w, r, f, msgBadCode, http.StatusOK)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	if err := h.throttle.Succeeded(ctx, at); err != nil {
		h.log.ErrorContext(ctx, "second-factor throttle", "err", err)
	}
	h.factorPassed(w, r, f, attempt, method)
}

// pendingMember loads the flow's pending member, who must still be
// allowed to sign in.
func (h *Handlers) pendingMember(w http.ResponseWriter, r *http.Request, f idp.Flow) (idp.Member, signIn, bool) {
	m, err := h.store.Members.ByID(r.Context(), f.PendingMemberID)
	if err == nil {
		err = members.CanSignIn(m)
	}
	if err != nil {
		h.web.Fail(w, r, web.FlowExpired, err)
		return m, signIn{}, false
	}
	return m, h.newSignIn(r, f, m, ""), true
}

// admitCode counts a code attempt before it is checked; when over the
// limit it records the refusal and answers with again.
func (h *Handlers) admitCode(w http.ResponseWriter, r *http.Request, s signIn, again func(msg string, status int)) (web.Attempt, bool) {
	at := h.throttle.NewAttempt(s.address, "otp\x00"+s.memberID)
	ok, retry, err := h.throttle.Reserve(r.Context(), at)
	if err != nil {
		h.web.Internal(w, r, err)
		return at, false
	}
	if !ok {
		h.failed(r.Context(), s, idp.AuditLoginThrottled, "")
		w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, retry.Sub(h.cfg.Now())).Seconds())))
		again(msgThrottled, http.StatusTooManyRequests)
	}
	return at, ok
}

// HandleOTPEnrolPage shows a member who must have a second factor and
// has none the authenticator app's key, as a QR code and as text. The
// pending enrolment is made once and shown again on reload.
func (h *Handlers) HandleOTPEnrolPage(w http.ResponseWriter, r *http.Request) {
	f, ok := h.pendingFlow(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	m, _, ok := h.pendingMember(w, r, f)
	if !ok {
		return
	}
	e, err := h.cfg.Factors.Pending(r.Context(), m)
	if errors.Is(err, idp.ErrNotFound) {
		e, err = h.cfg.Factors.Start(r.Context(), m)
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.renderEnrol(w, r, f, e, "", http.StatusOK)
}

func (h *Handlers) renderEnrol(w http.ResponseWriter, r *http.Request, f idp.Flow, e mfa.Enrolment, msg string, status int) {
	h.web.Render(w, r, status, h.web.Pages.OTPEnrol, web.OTPEnrolPage{
		Action: PathOTPEnrol, FlowID: f.ID, CSRFToken: h.web.FormToken(r, f.ID), Error: msg,
		QRURL: PathOTPQR + "?flow=" + f.ID, Secret: e.Secret(), InFlow: true,
	})
}

// HandleOTPQR serves the QR code of the pending enrolment of the flow's
// member as a PNG, so the page needs no data: URL (the CSP allows images
// from the provider only) and no third party sees the secret.
func (h *Handlers) HandleOTPQR(w http.ResponseWriter, r *http.Request) {
	f, ok := h.pendingFlow(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	m, _, ok := h.pendingMember(w, r, f)
	if !ok {
		return
	}
	e, err := h.cfg.Factors.Pending(r.Context(), m)
	if errors.Is(err, idp.ErrNotFound) {
		h.web.Fail(w, r, web.NotFound, err)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	WriteQR(w, r, e, h.log.ErrorContext)
}

// WriteQR writes the enrolment's otpauth:// URL as a PNG QR code.
func WriteQR(w http.ResponseWriter, r *http.Request, e mfa.Enrolment, logErr func(ctx context.Context, msg string, args ...any)) {
	img, err := e.Key.Image(qrSize, qrSize)
	var buf bytes.Buffer
	if err == nil {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		logErr(r.Context(), "qr code", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// HandleOTPEnrol confirms the enrolment with a first code, throttled like
// any code, and shows the recovery codes once. The flow records the
// factor passed but stays pending until the member continues
// (HandleOTPDone), so leaving the page before that signs nobody in.
func (h *Handlers) HandleOTPEnrol(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, ok := h.pendingFlow(w, r, r.PostFormValue("flow"))
	if !ok || !h.web.RequireCSRF(w, r, f.ID, web.LoginFormExpired) {
		return
	}
	m, attempt, ok := h.pendingMember(w, r, f)
	if !ok {
		return
	}
	again := func(msg string, status int) {
		e, err := h.cfg.Factors.Pending(ctx, m)
		if err != nil {
			h.web.Fail(w, r, web.FlowExpired, err)
			return
		}
		h.renderEnrol(w, r, f, e, msg, status)
	}
	at, ok := h.admitCode(w, r, attempt, again)
	if !ok {
		return
	}
	codes, err := h.cfg.Factors.Confirm(ctx, m.ID, r.PostFormValue("otp"))
	if errors.Is(err, mfa.ErrBadCode) {
		h.failed(ctx, attempt, idp.AuditLoginFailed, reasonBadCode)
		again(msgBadCode, http.StatusOK)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	if err := h.throttle.Succeeded(ctx, at); err != nil {
		h.log.ErrorContext(ctx, "second-factor throttle", "err", err)
	}
	f.AMR = addMethod(f.AMR, idp.AMROTP)
	err = h.store.InTx(ctx, func(ctx context.Context) error {
		if err := h.store.Flows.Update(ctx, f); err != nil {
			return err
		}
		e := attempt.event(idp.AuditMFAEnrolled, "")
		e.Detail["method"] = idp.AMROTP
		return h.record(ctx, e)
	})
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.web.Render(w, r, http.StatusOK, h.web.Pages.RecoveryCodes, web.RecoveryCodesPage{
		Codes: codes, Action: PathOTPDone, FlowID: f.ID, CSRFToken: h.web.FormToken(r, f.ID),
	})
}

// HandleOTPDone continues a flow whose member has just enrolled.
func (h *Handlers) HandleOTPDone(w http.ResponseWriter, r *http.Request) {
	f, ok := h.pendingFlow(w, r, r.PostFormValue("flow"))
	if !ok || !h.web.RequireCSRF(w, r, f.ID, web.LoginFormExpired) {
		return
	}
	_, attempt, ok := h.pendingMember(w, r, f)
	if !ok {
		return
	}
	if !slices.Contains(f.AMR, idp.AMROTP) {
		h.web.Fail(w, r, web.FlowExpired, errors.New("enrolment not confirmed in this flow"))
		return
	}
	h.advance(w, r, f, attempt, f.AMR, true)
}
