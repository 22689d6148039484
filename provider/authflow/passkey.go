package authflow

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/provider/passkey"
	"github.com/idp/idp/provider/web"
)

// PathPasskey is where the login page posts a passkey's answer (the
// authenticator's assertion) for its flow.
const PathPasskey = PathLogin + "/passkey"

// Messages of a refused passkey sign-in. None says whether the passkey is
// known, whose it is, or why its answer failed.
const (
	msgPasskeyRefused = "The passkey could not be verified. Try again, or sign in with your password."
	msgPasskeyExpired = "The passkey request expired. Try again."
	msgPasskeyMissing = "Your browser did not send a passkey. Try again, or sign in with your password."
)

// Reasons of a refused passkey sign-in, in the trail and the log.
const (
	reasonPasskeyRefused = "passkey_refused"
	reasonPasskeyCounter = "passkey_counter" // a counter that did not advance: a clone?
	reasonPasskeyExpired = "passkey_expired"
)

// PasskeyOptions stores a fresh sign-in challenge for f, replacing any
// earlier one, and returns the request options (JSON) a page embeds for
// passkey.js; "" when passkeys are off, or when f waits for a second
// factor from a member without a passkey. With f.PendingMemberID set the
// options allow only that member's passkeys (a second factor); otherwise
// they are discoverable (empty allowCredentials).
func (h *Handlers) PasskeyOptions(r *http.Request, f idp.Flow) (string, error) {
	if h.cfg.Passkeys == nil {
		return "", nil
	}
	b := passkey.Binding{Key: passkey.FlowKey(f.ID), BrowserHash: f.CSRFHash, AddrHash: web.HashToken(h.web.ClientAddr(r))}
	opts, ok, err := h.cfg.Passkeys.BeginLogin(r.Context(), b, f.PendingMemberID)
	if err != nil || !ok {
		return "", err
	}
	return opts, nil
}

// HandlePasskey verifies a passkey's answer to the flow's challenge and,
// for the member it proves, passes the factor: alone, a passkey with user
// verification signs in without a password; after a password
// (f.PendingMemberID) only that member's passkeys are accepted. The
// challenge is spent by the attempt whatever its outcome.
func (h *Handlers) HandlePasskey(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, ok := h.loadFlow(w, r, r.PostFormValue("flow"))
	if !ok {
		return
	}
	if !h.web.RequireCSRF(w, r, f.ID, web.LoginFormExpired) {
		return
	}
	if h.cfg.Passkeys == nil {
		h.web.Fail(w, r, web.NotFound, errors.New("passkeys are off"))
		return
	}
	attempt := signIn{clientID: f.ClientID, memberID: f.PendingMemberID, address: h.web.ClientAddr(r)}
	// Without a member to count against, a discoverable attempt is
	// counted under its address alone: an account key shared by every
	// passkey sign-in would let one address lock out everyone.
	account := "passkey\x00" + web.AddressKey(attempt.address)
	if f.PendingMemberID != "" {
		account = web.AccountName(idp.Member{ID: f.PendingMemberID}, "")
	}
	attempt.account = h.throttle.AccountRef(account)
	at := h.throttle.NewAttempt(attempt.address, account)
	allowed, retry, err := h.throttle.Reserve(ctx, at)
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	if !allowed {
		h.failed(ctx, attempt, idp.AuditLoginThrottled, "")
		w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, retry.Sub(h.cfg.Now())).Seconds())))
		h.renderPasskeyRefused(w, r, f, msgThrottled, http.StatusTooManyRequests)
		return
	}
	response := r.PostFormValue("credential")
	if response == "" {
		_ = h.throttle.Released(ctx, at)
		h.renderPasskeyRefused(w, r, f, msgPasskeyMissing, http.StatusOK)
		return
	}
	login, err := h.cfg.Passkeys.FinishLogin(ctx, passkey.FlowKey(f.ID), response, f.PendingMemberID)
	if login.Member.ID != "" {
		attempt.memberID = login.Member.ID
	}
	reason, msg := "", msgPasskeyRefused
	switch {
	case errors.Is(err, passkey.ErrNoChallenge):
		reason, msg = reasonPasskeyExpired, msgPasskeyExpired
	case errors.Is(err, passkey.ErrCounter):
		reason = reasonPasskeyCounter
	case errors.Is(err, passkey.ErrRefused):
		reason = reasonPasskeyRefused
	case err != nil:
		h.web.Internal(w, r, err)
		return
	case members.CanSignIn(login.Member) != nil:
		reason = reasonDisabled
	}
	if reason != "" {
		if err != nil {
			h.log.InfoContext(ctx, "passkey refused", attempt.logArgs("err", err)...)
		}
		h.failed(ctx, attempt, idp.AuditLoginFailed, reason)
		h.renderPasskeyRefused(w, r, f, msg, http.StatusOK)
		return
	}
	if err := h.throttle.Succeeded(ctx, at); err != nil {
		h.log.ErrorContext(ctx, "sign-in throttle", "err", err)
	}
	used := attempt.event(idp.AuditPasskeyUsed, "")
	used.Detail["passkey"] = login.Passkey.Name
	if err := h.record(ctx, used); err != nil {
		h.web.Internal(w, r, err)
		return
	}
	// The options required user verification, so the authenticator
	// checked a PIN or biometric (RFC 8176 "user") besides holding the key:
	// "hwk" for a device-bound key, "swk" for one that may be synced.
	method := idp.AMRHardwareKey
	if login.Passkey.BackupEligible {
		method = idp.AMRSoftwareKey
	}
	h.factorPassed(w, r, f, attempt, idp.AMRUser, method)
}

// renderPasskeyRefused answers a refused passkey on the page that asked
// for it: the login page, or for a second factor the same page again.
func (h *Handlers) renderPasskeyRefused(w http.ResponseWriter, r *http.Request, f idp.Flow, msg string, status int) {
	if f.PendingMemberID != "" {
		h.renderOTP(w, r, f, msg, status)
		return
	}
	h.renderLogin(w, r, f, "", msg, status)
}
