package authflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/web"
)

// The device authorization grant's pages (RFC 8628 §3.3): the member types
// the user code at PathDevice, signs in through the login page (or is
// already signed in), and answers at PathDeviceConsent. A flow carries the
// grant's id across those pages, bound to the browser like any flow.

// deviceFlowParam names, in a flow's parameters, the device grant the
// flow is about; a flow with it is no authorization request.
const deviceFlowParam = "device_grant"

// deviceCSRFSubject is the subject of the code form's CSRF token: the form
// comes before any flow exists.
const deviceCSRFSubject = "device"

// deviceThrottleAccount is what user code entries count under, per
// address, in the sign-in throttle: every entry counts, a right one too,
// so a guesser cannot start device authorizations of their own to reset
// the count. Ten entries per address in the throttle window make the
// 20^8 codes unguessable in a code's life (RFC 8628 §5.1).
const deviceThrottleAccount = "device\x00user code"

// Messages of the code form. A wrong code and one that names nothing look
// alike; an expired or answered one is told apart, so a member knows to
// start again on the device.
const (
	msgDeviceWrongCode = "That code is not right. Check the code your device shows and try again."
	msgDeviceExpired   = "That code has expired or was already used. Start again on your device."
	msgDeviceThrottled = "Too many codes were entered from this address. Wait a few minutes and try again."
)

// HandleDevicePage shows the code form, pre-filled from ?user_code= as
// verification_uri_complete sends it.
func (h *Handlers) HandleDevicePage(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("user_code")
	if len(code) > 64 {
		code = ""
	}
	h.renderDevice(w, r, h.web.Binding(w, r), code, "", http.StatusOK)
}

func (h *Handlers) renderDevice(w http.ResponseWriter, r *http.Request, binding, code, msg string, status int) {
	h.web.Render(w, r, status, h.web.Pages.Device, web.DevicePage{
		CSRFToken: h.web.CSRFToken(deviceCSRFSubject, binding), UserCode: code, Error: msg,
	})
}

// HandleDevice takes a typed user code: throttled per address, then
// looked up by its HMAC. A live, unanswered grant starts a flow that goes
// to the login page, or straight to the question when the browser is
// signed in.
func (h *Handlers) HandleDevice(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.web.RequireCSRF(w, r, deviceCSRFSubject, web.ConsentFormExpired) {
		return
	}
	binding := h.web.Binding(w, r)
	typed := r.PostFormValue("user_code")
	if len(typed) > 64 {
		typed = ""
	}
	at := h.throttle.NewAttempt(h.web.ClientAddr(r), deviceThrottleAccount)
	ok, retry, err := h.throttle.Reserve(ctx, at)
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	if !ok {
		h.log.Warn("user code entry throttled")
		w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, retry.Sub(h.cfg.Now())).Seconds())))
		h.renderDevice(w, r, binding, typed, msgDeviceThrottled, http.StatusTooManyRequests)
		return
	}
	g, err := h.oauth.DeviceGrantByUserCode(ctx, typed)
	if errors.Is(err, idp.ErrNotFound) {
		h.log.Info("wrong user code")
		h.renderDevice(w, r, binding, typed, msgDeviceWrongCode, http.StatusOK)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	now := h.cfg.Now().UTC()
	if g.Status != idp.DevicePending || !now.Before(g.ExpiresAt) {
		h.renderDevice(w, r, binding, typed, msgDeviceExpired, http.StatusOK)
		return
	}
	h.startDeviceFlow(w, r, g, binding)
}

// startDeviceFlow parks the grant's id in a flow bound to this browser,
// ending no later than the grant, and sends the browser on.
func (h *Handlers) startDeviceFlow(w http.ResponseWriter, r *http.Request, g idp.DeviceGrant, binding string) {
	ctx := r.Context()
	now := h.cfg.Now().UTC()
	f := idp.Flow{
		ID: web.RandomToken(), CSRFHash: web.HashToken(binding), ClientID: g.ClientID,
		Params: url.Values{deviceFlowParam: {g.ID}}.Encode(), AddrHash: web.HashToken(h.web.ClientAddr(r)),
		CreatedAt: now, ExpiresAt: now.Add(h.cfg.LoginFlowLifespan),
	}
	if g.ExpiresAt.Before(f.ExpiresAt) {
		f.ExpiresAt = g.ExpiresAt
	}
	next := PathLogin
	s, err := h.web.Session(ctx, r)
	switch {
	case err == nil:
		// The session's factors serve, unless the client or the policy
		// needs one it lacks: then that factor alone is asked first.
		missing, err := h.missingFactor(ctx, s.MemberID, s.AMR, g.ClientID, "", false)
		if err != nil {
			h.web.Internal(w, r, err)
			return
		}
		if missing != "" {
			f.PendingMemberID, f.AMR, next = s.MemberID, s.AMR, missing
			break
		}
		f.MemberID, f.SessionID, f.AuthTime, f.AMR = s.MemberID, s.ID, s.AuthTime, s.AMR
		next = PathDeviceConsent
	case !errors.Is(err, web.ErrNoSession):
		h.web.Internal(w, r, err)
		return
	}
	err = h.store.Flows.CreateBounded(ctx, &f, maxFlowsPerBrowser, maxFlowsPerAddress)
	if errors.Is(err, idp.ErrLimit) {
		h.web.Fail(w, r, web.Busy, err)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	http.Redirect(w, r, next+"?flow="+url.QueryEscape(f.ID), http.StatusSeeOther)
}

// deviceGrantID is the device grant a flow is about, or "" for an
// authorization request's flow.
func deviceGrantID(f idp.Flow) string {
	params, err := url.ParseQuery(f.Params)
	if err != nil {
		return ""
	}
	return params.Get(deviceFlowParam)
}

// deviceFlow loads a signed-in flow and its grant, which must still wait
// for an answer. On failure it has written an error page.
func (h *Handlers) deviceFlow(w http.ResponseWriter, r *http.Request, id string) (idp.Flow, idp.DeviceGrant, bool) {
	f, ok := h.consentFlow(w, r, id)
	if !ok {
		return f, idp.DeviceGrant{}, false
	}
	gid := deviceGrantID(f)
	if gid == "" {
		h.web.Fail(w, r, web.FlowExpired, errors.New("not a device flow"))
		return f, idp.DeviceGrant{}, false
	}
	g, err := h.store.DeviceGrants.ByID(r.Context(), gid)
	if errors.Is(err, idp.ErrNotFound) || (err == nil && (g.Status != idp.DevicePending || !h.cfg.Now().Before(g.ExpiresAt))) {
		h.web.Fail(w, r, web.DeviceCodeExpired, err)
		return f, g, false
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return f, g, false
	}
	return f, g, true
}

// HandleDeviceConsentPage asks the member whether the device may have
// access. It is asked every time, remembered consent or not: the member
// must see that a device is being let in. Only a client registered to
// skip consent (first party) is answered at once.
func (h *Handlers) HandleDeviceConsentPage(w http.ResponseWriter, r *http.Request) {
	f, g, ok := h.deviceFlow(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	c, err := h.oauth.Client(r.Context(), g.ClientID)
	if err != nil {
		h.web.Fail(w, r, web.DeviceCodeExpired, err)
		return
	}
	if c.SkipConsent {
		h.answerDevice(w, r, f, g, idp.DeviceApproved)
		return
	}
	var scopes []web.ScopeInfo
	for _, s := range g.Scopes {
		desc := web.ScopeDescriptions[s] // none: the page says "use the … permission"
		scopes = append(scopes, web.ScopeInfo{Name: s, Description: desc})
	}
	var memberName string
	if m, err := h.store.Members.ByID(r.Context(), f.MemberID); err == nil {
		memberName = m.Name
	}
	h.web.Render(w, r, http.StatusOK, h.web.Pages.DeviceConsent, web.DeviceConsentPage{
		ClientName: h.oauth.ClientName(r.Context(), g.ClientID), MemberName: memberName,
		FlowID: f.ID, CSRFToken: h.web.FormToken(r, f.ID), Scopes: scopes,
	})
}

// HandleDeviceConsent records the member's answer.
func (h *Handlers) HandleDeviceConsent(w http.ResponseWriter, r *http.Request) {
	f, g, ok := h.deviceFlow(w, r, r.PostFormValue("flow"))
	if !ok {
		return
	}
	if !h.web.RequireCSRF(w, r, f.ID, web.ConsentFormExpired) {
		return
	}
	switch r.PostFormValue("consent") {
	case "allow":
		h.answerDevice(w, r, f, g, idp.DeviceApproved)
	case "deny":
		h.answerDevice(w, r, f, g, idp.DeviceDenied)
	default:
		h.web.Fail(w, r, web.UnknownAnswer, errors.New("consent answer missing"))
	}
}

// answerDevice records the answer, spends the flow and, for an approval,
// attaches the client to the browser session (so ending the session
// revokes the device's refresh tokens), in one transaction: a grant is
// answered once, however many tabs submit.
func (h *Handlers) answerDevice(w http.ResponseWriter, r *http.Request, f idp.Flow, g idp.DeviceGrant, status idp.DeviceStatus) {
	g.Status, g.MemberID, g.SessionID, g.AuthTime = status, f.MemberID, f.SessionID, f.AuthTime
	g.AnsweredAt = h.cfg.Now().UTC()
	err := h.store.InTx(r.Context(), func(ctx context.Context) error {
		if err := h.store.Flows.Delete(ctx, f.ID); err != nil {
			return fmt.Errorf("spend flow: %w", err)
		}
		if err := h.store.DeviceGrants.Answer(ctx, g); err != nil {
			return err
		}
		if status != idp.DeviceApproved {
			return nil
		}
		return h.store.Sessions.AddClient(ctx, f.SessionID, g.ClientID)
	})
	if errors.Is(err, idp.ErrNotFound) {
		h.web.Fail(w, r, web.DeviceCodeExpired, err)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.log.Info("device authorization answered", "client", g.ClientID, "member", f.MemberID, "status", string(status))
	h.web.Render(w, r, http.StatusOK, h.web.Pages.DeviceDone, web.DeviceDonePage{Allowed: status == idp.DeviceApproved})
}
