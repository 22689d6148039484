package authflow

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/web"
)

// returnParam is the parameter of a local flow (idp.Flow.LocalFlow): the
// provider's own page to go back to once signed in.
const returnParam = "return_to"

// localPrefixes are the pages a local flow may return to. Anything else
// is refused, so a crafted return path cannot make the login page an open
// redirector.
var localPrefixes = []string{"/account", "/admin"}

// LocalReturn reports whether path is one of the provider's own pages a
// sign-in may return to: an absolute path under a known prefix, with no
// scheme, host or dot segments.
func LocalReturn(path string) bool {
	u, err := url.Parse(path)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.Contains(path, `\`) {
		return false
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	for _, p := range localPrefixes {
		if u.Path == p || strings.HasPrefix(u.Path, p+"/") {
			return true
		}
	}
	return false
}

// StartSignIn sends a browser without a session to the login page, in a
// flow that returns to returnTo (one of the provider's own pages, see
// LocalReturn) instead of finishing an authorization request. The account
// page and the console call it.
func (h *Handlers) StartSignIn(w http.ResponseWriter, r *http.Request, returnTo string) {
	ctx := r.Context()
	if !LocalReturn(returnTo) {
		h.web.Fail(w, r, web.NotFound, errors.New("sign-in return path not local"))
		return
	}
	now := h.cfg.Now().UTC()
	f := idp.Flow{
		ID: web.RandomToken(), CSRFHash: web.HashToken(h.web.Binding(w, r)),
		Params: url.Values{returnParam: {returnTo}}.Encode(), AddrHash: web.HashToken(h.web.ClientAddr(r)),
		CreatedAt: now, ExpiresAt: now.Add(h.cfg.LoginFlowLifespan),
	}
	err := h.store.Flows.CreateBounded(ctx, &f, maxFlowsPerBrowser, maxFlowsPerAddress)
	if errors.Is(err, idp.ErrLimit) {
		h.web.Fail(w, r, web.Busy, err)
		return
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return
	}
	http.Redirect(w, r, PathLogin+"?flow="+url.QueryEscape(f.ID), http.StatusSeeOther)
}

// localReturn is where a local flow goes once signed in, or "" for a
// flow about a client.
func localReturn(f idp.Flow) string {
	if !f.LocalFlow() {
		return ""
	}
	params, err := url.ParseQuery(f.Params)
	if err != nil || !LocalReturn(params.Get(returnParam)) {
		return ""
	}
	return params.Get(returnParam)
}

// signedIn sends the browser on once the flow's member has passed every
// factor the flow needs (f.MemberID and f.SessionID set): to the device
// question, back to the provider's own page, or on with the authorization
// request (consent, or the code). Every way of signing in (password,
// second factor, passkey) ends here.
func (h *Handlers) signedIn(w http.ResponseWriter, r *http.Request, f idp.Flow) {
	if deviceGrantID(f) != "" {
		http.Redirect(w, r, PathDeviceConsent+"?flow="+url.QueryEscape(f.ID), http.StatusSeeOther)
		return
	}
	if f.LocalFlow() {
		to := localReturn(f)
		if to == "" {
			h.web.Fail(w, r, web.FlowExpired, errors.New("local flow without a return path"))
			return
		}
		if err := h.store.Flows.Delete(r.Context(), f.ID); err != nil && !errors.Is(err, idp.ErrNotFound) {
			h.web.Internal(w, r, err)
			return
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	ar, params, err := h.resumeRequest(r, f)
	if err != nil {
		h.writeAuthorizeError(w, r, ar, err)
		return
	}
	h.proceed(w, r, ar, params, &f)
}
