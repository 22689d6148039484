package authflow

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/web"
)

// factorPassed is where every sign-in method lands once it has verified
// the member of attempt (password, second factor, passkey): it adds
// methods to the flow's methods and either asks for the next factor the
// member must pass (the flow keeps the member as pending, not signed in)
// or signs the browser in — the session, the flow's progress and the
// audit event commit together — and sends it on (signedIn).
func (h *Handlers) factorPassed(w http.ResponseWriter, r *http.Request, f idp.Flow, attempt signIn, methods ...string) {
	amr := f.AMR
	if f.PendingMemberID != attempt.memberID {
		amr = nil // methods another member passed in this flow count for nothing
	}
	for _, m := range methods {
		amr = addMethod(amr, m)
	}
	h.advance(w, r, f, attempt, amr, true)
}

// advance signs in once amr is enough, or parks the flow at the page of
// the factor still missing. always asks a member who has a second factor
// for it even when nothing requires it: after a password, a member with
// TOTP always gives a code.
func (h *Handlers) advance(w http.ResponseWriter, r *http.Request, f idp.Flow, attempt signIn, amr []string, always bool) {
	ctx := r.Context()
	next, err := h.missingFactor(ctx, attempt.memberID, amr, f.ClientID, f.Params, always)
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	if next != "" {
		h.pending(w, r, f, attempt, amr, next)
		return
	}
	if idp.MultiFactor(amr) && !slices.Contains(amr, idp.AMRMFA) {
		amr = append(amr, idp.AMRMFA)
	}
	acr := idp.ACRFor(amr)
	err = h.store.InTx(ctx, func(ctx context.Context) error {
		s, err := h.web.SignIn(ctx, w, r, attempt.memberID, amr, acr)
		if err != nil {
			return err
		}
		f.MemberID, f.SessionID, f.AuthTime, f.AMR, f.PendingMemberID = attempt.memberID, s.ID, s.AuthTime, amr, ""
		if err := h.store.Flows.Update(ctx, f); err != nil {
			return err
		}
		e := attempt.event(idp.AuditLoginSucceeded, "")
		e.SessionID = s.ID
		e.Detail["amr"] = amr
		return h.record(ctx, e)
	})
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	h.log.InfoContext(ctx, "signed in", attempt.logArgs("amr", amr)...)
	h.signedIn(w, r, f)
}

// pending records that the flow's member passed amr and owes the factor
// of page next, and sends the browser there. Nothing treats a pending
// flow as signed in: MemberID stays empty until every factor is passed.
func (h *Handlers) pending(w http.ResponseWriter, r *http.Request, f idp.Flow, attempt signIn, amr []string, next string) {
	ctx := r.Context()
	f.PendingMemberID, f.AMR, f.MemberID, f.SessionID = attempt.memberID, amr, "", ""
	err := h.store.InTx(ctx, func(ctx context.Context) error {
		if err := h.store.Flows.Update(ctx, f); err != nil {
			return err
		}
		e := attempt.event(idp.AuditLoginFactorPassed, "")
		e.Detail["amr"] = amr
		return h.record(ctx, e)
	})
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	http.Redirect(w, r, next+"?flow="+url.QueryEscape(f.ID), http.StatusSeeOther)
}

// factorPages is the page of each second factor a member may hold, in
// the order they are offered. A new kind of factor adds its line here and
// its method in secondFactors.
var factorPages = []struct{ method, page string }{
	{idp.AMROTP, PathOTP},
	// The second-factor page offers a member's passkeys beside (or
	// instead of) the code form.
	{idp.AMRHardwareKey, PathOTP},
}

// secondFactors lists the second factors the member can use (RFC 8176
// values), the one place that knows every kind.
// A member's passkeys, whether device-bound or synced, are listed as
// idp.AMRHardwareKey.
func (h *Handlers) secondFactors(ctx context.Context, memberID string) ([]string, error) {
	var have []string
	if h.cfg.Factors != nil {
		m, err := h.cfg.Factors.Methods(ctx, memberID)
		if err != nil {
			return nil, err
		}
		have = m
	}
	if h.cfg.Passkeys != nil {
		pks, err := h.store.Passkeys.ByMember(ctx, memberID)
		if err != nil {
			return nil, err
		}
		if len(pks) > 0 {
			have = append(have, idp.AMRHardwareKey)
		}
	}
	return have, nil
}

// missingFactor returns the page of the factor the member must still pass
// after amr, or "". A member who has a second factor is asked for it when
// always is set, when the policy requires one (their own obligation, their
// role, the client's setting) or when the request asks for the
// multi-factor acr (step-up). A member without one whom the policy
// requires to have one is sent to enrol; an acr request alone does not
// make anyone enrol: the ID token's acr then tells the client what it got.
func (h *Handlers) missingFactor(ctx context.Context, memberID string, amr []string, clientID, rawParams string, always bool) (string, error) {
	if idp.SecondFactor(amr) {
		return "", nil
	}
	have, err := h.secondFactors(ctx, memberID)
	if err != nil {
		return "", err
	}
	required, err := h.policyRequires(ctx, memberID, clientID)
	if err != nil {
		return "", err
	}
	if len(have) == 0 {
		if required {
			return PathOTPEnrol, nil
		}
		return "", nil
	}
	params, _ := url.ParseQuery(rawParams)
	if !always && !required && !WantsMFA(params) {
		return "", nil
	}
	for _, fp := range factorPages {
		if slices.Contains(have, fp.method) {
			return fp.page, nil
		}
	}
	return "", nil
}

// policyRequires reports whether a second factor is mandatory for the
// member signing in to the client ("" for the provider's own pages).
func (h *Handlers) policyRequires(ctx context.Context, memberID, clientID string) (bool, error) {
	m, err := h.store.Members.ByID(ctx, memberID)
	if err != nil {
		return false, err
	}
	if m.MFARequired || slices.Contains(h.cfg.RequireMFAForRoles, m.Role) {
		return true, nil
	}
	if clientID == "" {
		return false, nil
	}
	c, err := h.store.Clients.ByID(ctx, clientID)
	if errors.Is(err, idp.ErrNotFound) {
		return false, nil // the resumed request fails on the missing client
	}
	return err == nil && c.RequireMFA, err
}

// WantsMFA reports whether an authorization request asks for the
// multi-factor acr: in acr_values (OpenID Connect Core §3.1.2.1), or as
// an essential acr claim of the ID token (§5.5.1.1).
func WantsMFA(params url.Values) bool {
	if slices.Contains(strings.Fields(params.Get("acr_values")), idp.ACRMFA) {
		return true
	}
	raw := params.Get("claims")
	if raw == "" {
		return false
	}
	var claims struct {
		IDToken struct {
			ACR *struct {
				Essential bool     `json:"essential"`
				Value     string   `json:"value"`
				Values    []string `json:"values"`
			} `json:"acr"`
		} `json:"id_token"`
	}
	if json.Unmarshal([]byte(raw), &claims) != nil || claims.IDToken.ACR == nil {
		return false
	}
	acr := claims.IDToken.ACR
	return acr.Essential && (acr.Value == idp.ACRMFA || slices.Contains(acr.Values, idp.ACRMFA))
}

// addMethod appends method to amr once.
func addMethod(amr []string, method string) []string {
	if slices.Contains(amr, method) {
		return amr
	}
	return append(slices.Clone(amr), method)
}

// pendingFlow loads a flow whose member passed a first factor and owes a
// second: the second-factor and enrolment pages accept nothing else.
func (h *Handlers) pendingFlow(w http.ResponseWriter, r *http.Request, id string) (idp.Flow, bool) {
	f, ok := h.loadFlow(w, r, id)
	if ok && f.PendingMemberID == "" {
		h.web.Fail(w, r, web.FlowExpired, errors.New("second factor asked of a flow without a pending member"))
		return idp.Flow{}, false
	}
	return f, ok
}
