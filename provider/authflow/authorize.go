package authflow

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
)

// HandleAuthorize is the authorization endpoint (RFC 6749 §3.1, OpenID
// Connect Core §3.1.2), for GET and POST. fosite validates the request;
// this handler decides whether the member must sign in or consent first,
// and parks the request in a stored flow while they do.
func (h *Handlers) HandleAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := h.NewAuthorizeRequest(ctx, r)
	if err != nil {
		h.writeAuthorizeError(w, r, ar, err)
		return
	}
	// The request's form: the parameters sent, or the ones pushed.
	h.proceed(w, r, ar, ar.GetRequestForm(), nil)
}

// NewAuthorizeRequest validates an authorization request. What fosite
// does not check is refused here: repeated parameters (RFC 6749 §3.1),
// request objects, which this provider does not support (OpenID Connect
// Core §6), prompt=none mixed with other values (§3.1.2.1) and a malformed
// claims parameter (§5.5), whose scopes it adds to the request.
func (h *Handlers) NewAuthorizeRequest(ctx context.Context, r *http.Request) (fosite.AuthorizeRequester, error) {
	if err := web.ParseForm(r); err != nil {
		return nil, err
	}
	if refuse := authorizeRefusal(r.Form); refuse != nil {
		return h.refuseAuthorize(ctx, r, refuse)
	}
	pushed := oauth.IsPushedRequestURI(r.Form.Get("request_uri"))
	if pushed {
		// Only the pushed parameters count (RFC 9126 §4): whatever else
		// the front channel carries is dropped, or fosite would merge it
		// into the pushed request unvalidated.
		r.Form = url.Values{"client_id": r.Form["client_id"], "request_uri": r.Form["request_uri"]}
	}
	ar, err := h.oauth.NewAuthorizeRequest(ctx, r)
	if err != nil {
		return ar, pushedRequestError(err)
	}
	if !pushed && h.mustPush(ar.GetClient()) {
		return ar, fosite.ErrInvalidRequest.WithHint("This client must push its authorization requests to the pushed authorization request endpoint first (RFC 9126).")
	}
	return ar, checkAuthorizeRequest(ar)
}

// checkAuthorizeRequest refuses what fosite lets through, whether the
// request arrived at the authorization endpoint or was pushed: another
// response type than "code", prompt=none with other values, and a
// malformed claims parameter, whose scopes it adds to the request.
func checkAuthorizeRequest(ar fosite.AuthorizeRequester) error {
	// fosite matches response types regardless of case, but its code
	// handler only answers "code": "Code" would fail after the sign-in.
	if !ar.GetResponseTypes().ExactOne("code") {
		return fosite.ErrUnsupportedResponseType.WithHint("The only supported response_type is \"code\".")
	}
	form := ar.GetRequestForm()
	if prompt := Prompts(form); slices.Contains(prompt, "none") && len(prompt) > 1 {
		return fosite.ErrInvalidRequest.WithHint("prompt=none cannot be combined with other prompt values (OpenID Connect Core §3.1.2.1).")
	}
	// A malformed claims parameter is refused before the member signs in.
	return oauth.RequestClaimScopes(ar, form.Get("claims"))
}

// authorizeRefusal names what makes a request refused whatever else it
// says, or returns nil.
func authorizeRefusal(form url.Values) *fosite.RFC6749Error {
	if name := web.Repeated(form); name != "" {
		return fosite.ErrInvalidRequest.WithHintf("The parameter %q is repeated; send each parameter once (RFC 6749 §3.1).", name)
	}
	switch {
	case form.Has("request"):
		return fosite.ErrRequestNotSupported.WithHint("Request objects are not supported; send the parameters directly.")
	case form.Has("request_uri") && !oauth.IsPushedRequestURI(form.Get("request_uri")):
		return fosite.ErrRequestURINotSupported.WithHint("The only request URIs accepted are those of the pushed authorization request endpoint.")
	}
	return nil
}

// refuseAuthorize answers a refused request. The refusal goes back to the
// client only when the client and redirect URI are good enough to redirect
// to, so the rest of the request is validated first, without the refused
// parts; whatever else is wrong with it (a state that was inside a request
// object, say) does not replace the refusal. A repeated client_id or
// redirect_uri leaves nothing to trust: that refusal is always a page.
func (h *Handlers) refuseAuthorize(ctx context.Context, r *http.Request, refuse *fosite.RFC6749Error) (fosite.AuthorizeRequester, error) {
	if len(r.Form["client_id"]) > 1 || len(r.Form["redirect_uri"]) > 1 {
		return nil, refuse
	}
	clean := r.Clone(ctx)
	clean.Form = url.Values{}
	for k, vs := range r.Form {
		if k != "request" && k != "request_uri" && len(vs) > 0 {
			clean.Form.Set(k, vs[0])
		}
	}
	ar, err := h.oauth.NewAuthorizeRequest(ctx, clean)
	if ar == nil || ar.GetClient() == nil { // unknown client: say so
		return ar, err
	}
	return ar, refuse
}

// writeAuthorizeError redirects the error to the client when its redirect
// URI was validated, and otherwise shows an error page: an unverified
// redirect URI is never followed (RFC 6749 §4.1.2.1).
func (h *Handlers) writeAuthorizeError(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, err error) {
	err = oauth.StoreUnavailable(err)
	if ar == nil || !ar.IsRedirectURIValid() {
		page := web.Refused(err)
		if ar != nil && ar.GetClient() != nil && page.Code == fosite.ErrInvalidRequest.ErrorField {
			// A known client, refused before its redirect URI was
			// trusted: fosite checks that URI first and refuses a bad
			// one as invalid_request.
			page.Title, page.Message = web.BadRedirect.Title, web.BadRedirect.Message
		}
		h.web.Fail(w, r, page, err)
		return
	}
	h.log.InfoContext(r.Context(), "authorization refused", "client", ar.GetClient().GetID(), "err", web.Describe(err))
	if ar.GetResponseMode() == fosite.ResponseModeFormPost {
		h.writeFormPostError(w, ar, err)
		return
	}
	h.oauth.WriteAuthorizeError(r.Context(), issWriter{w, h.cfg.Issuer}, ar, err)
}

// writeFormPostError is fosite's form_post error response plus RFC 9207's
// iss, which issWriter can add only to redirects.
func (h *Handlers) writeFormPostError(w http.ResponseWriter, ar fosite.AuthorizeRequester, err error) {
	values := fosite.ErrorToRFC6749Error(err).ToValues()
	values.Set("state", ar.GetState())
	values.Set("iss", h.cfg.Issuer)
	redirect := *ar.GetRedirectURI()
	redirect.Fragment = ""
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Pragma", "no-cache")
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	fosite.WriteAuthorizeFormPostResponse(redirect.String(), values, h.web.Pages.FormPost, w)
}

// Prompts parses the space-separated prompt parameter.
func Prompts(params url.Values) []string { return strings.Fields(params.Get("prompt")) }

// proceed decides what an authorization request still needs. flow is the
// stored flow when the request comes back from the login page.
func (h *Handlers) proceed(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, params url.Values, flow *idp.Flow) {
	ctx := r.Context()
	c := ar.GetClient().(oauth.Client)
	if h.oauth.PKCERequired(c) && params.Get("code_challenge") == "" {
		h.writeAuthorizeError(w, r, ar, fosite.ErrInvalidRequest.WithHint("Clients must include a code_challenge when performing the authorize code flow (PKCE, S256)."))
		return
	}
	if params.Get("code_challenge") != "" && params.Get("code_challenge_method") != "S256" {
		// fosite would refuse this only after the login; refuse it before.
		h.writeAuthorizeError(w, r, ar, fosite.ErrInvalidRequest.WithHint("Only the S256 code_challenge_method is supported."))
		return
	}
	prompt := Prompts(params)
	none := slices.Contains(prompt, "none")

	var login authn
	if flow != nil && flow.MemberID != "" {
		login = authn{memberID: flow.MemberID, sessionID: flow.SessionID, authTime: flow.AuthTime, requestedAt: flow.CreatedAt, amr: flow.AMR}
	} else {
		s, err := h.web.Session(ctx, r)
		if err != nil && !errors.Is(err, web.ErrNoSession) {
			h.writeAuthorizeError(w, r, ar, fosite.ErrServerError.WithWrap(err))
			return
		}
		fresh := err == nil && !slices.Contains(prompt, "login") && !slices.Contains(prompt, "select_account") && !maxAgeExceeded(params, s.AuthTime, h.cfg.Now())
		if !fresh {
			if none {
				h.writeAuthorizeError(w, r, ar, fosite.ErrLoginRequired.WithHint("The member must sign in, but prompt=none was requested."))
				return
			}
			h.startFlow(w, r, ar, params, authn{}, PathLogin)
			return
		}
		login = authn{memberID: s.MemberID, sessionID: s.ID, authTime: s.AuthTime, requestedAt: h.cfg.Now(), amr: s.AMR}
		// SSO reuses the session's factors; one the request or the
		// policy needs and the session lacks is asked for alone.
		next, err := h.missingFactor(ctx, s.MemberID, s.AMR, c.ID, keptParams(params).Encode(), false)
		if err != nil {
			h.writeAuthorizeError(w, r, ar, fosite.ErrServerError.WithWrap(err))
			return
		}
		if next != "" {
			if none {
				h.writeAuthorizeError(w, r, ar, fosite.ErrLoginRequired.WithHint("The member must pass a second factor, but prompt=none was requested."))
				return
			}
			h.parkFlow(w, r, ar, params, idp.Flow{PendingMemberID: s.MemberID, AMR: s.AMR}, next)
			return
		}
	}

	need, err := h.needsConsent(ctx, c, login.memberID, ar.GetRequestedScopes(), prompt)
	if err != nil {
		h.writeAuthorizeError(w, r, ar, fosite.ErrServerError.WithWrap(err))
		return
	}
	if need {
		if none {
			h.writeAuthorizeError(w, r, ar, fosite.ErrConsentRequired.WithHint("The member must consent, but prompt=none was requested."))
			return
		}
		if flow != nil {
			http.Redirect(w, r, PathConsent+"?flow="+url.QueryEscape(flow.ID), http.StatusSeeOther)
			return
		}
		h.startFlow(w, r, ar, params, login, PathConsent)
		return
	}
	h.finish(w, r, ar, login, flow)
}

// authn is who signed in, in which session, and when.
type authn struct {
	memberID, sessionID string
	authTime            time.Time
	// requestedAt is when the authorization request arrived; fosite checks
	// prompt=login and max_age against it.
	requestedAt time.Time
	// amr lists the methods the member passed (RFC 8176), for the ID
	// token's amr and acr.
	amr []string
}

// maxAgeExceeded reports whether the last sign-in is older than max_age
// (OpenID Connect Core §3.1.2.1). A malformed max_age is ignored.
func maxAgeExceeded(params url.Values, authTime, now time.Time) bool {
	v := params.Get("max_age")
	if v == "" {
		return false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return false
	}
	return now.Sub(authTime) > time.Duration(n)*time.Second
}

// needsConsent: first-party clients never ask; otherwise ask when prompt
// says so or when the remembered consent does not cover every scope.
func (h *Handlers) needsConsent(ctx context.Context, c oauth.Client, memberID string, scopes []string, prompt []string) (bool, error) {
	if c.SkipConsent {
		return false, nil
	}
	if slices.Contains(prompt, "consent") {
		return true, nil
	}
	granted, err := h.store.Consents.Get(ctx, memberID, c.ID)
	if errors.Is(err, idp.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	for _, s := range scopes {
		if !slices.Contains(granted.Scopes, s) {
			return true, nil
		}
	}
	return false, nil
}

// startFlow parks the request in the store and sends the browser to the
// login or consent page. The flow is bound to this browser. Only the
// parameters the provider uses are stored, within maxFlowBytes, and the
// live flows per browser and per address are bounded, so unauthenticated
// requests cannot grow the store without limit.
func (h *Handlers) startFlow(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, params url.Values, login authn, page string) {
	h.parkFlow(w, r, ar, params, idp.Flow{MemberID: login.memberID, SessionID: login.sessionID, AuthTime: login.authTime, AMR: login.amr}, page)
}

// parkFlow is startFlow with the member's progress given as a flow's
// fields: signed in (MemberID, SessionID, AuthTime, AMR) or owing a factor
// (PendingMemberID, AMR).
func (h *Handlers) parkFlow(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, params url.Values, progress idp.Flow, page string) {
	stored := keptParams(params).Encode()
	if len(stored) > maxFlowBytes {
		h.writeAuthorizeError(w, r, ar, fosite.ErrInvalidRequest.WithHintf("The authorization request is larger than %d bytes.", maxFlowBytes))
		return
	}
	now := h.cfg.Now().UTC()
	f := idp.Flow{
		ID: web.RandomToken(), CSRFHash: web.HashToken(h.web.Binding(w, r)), ClientID: ar.GetClient().GetID(),
		Params: stored, AddrHash: web.HashToken(h.web.ClientAddr(r)),
		MemberID: progress.MemberID, SessionID: progress.SessionID, AuthTime: progress.AuthTime,
		PendingMemberID: progress.PendingMemberID, AMR: progress.AMR,
		CreatedAt: now, ExpiresAt: now.Add(h.cfg.LoginFlowLifespan),
	}
	err := h.store.Flows.CreateBounded(r.Context(), &f, maxFlowsPerBrowser, maxFlowsPerAddress)
	if errors.Is(err, idp.ErrLimit) {
		h.writeAuthorizeError(w, r, ar, fosite.ErrTemporarilyUnavailable.WithWrap(err).
			WithHint("Too many sign-ins are in progress from this address; finish one or wait a few minutes."))
		return
	}
	if err != nil {
		h.writeAuthorizeError(w, r, ar, fosite.ErrServerError.WithWrap(err))
		return
	}
	http.Redirect(w, r, page+"?flow="+url.QueryEscape(f.ID), http.StatusSeeOther)
}

// issWriter adds RFC 9207's "iss" to every redirect the authorization
// endpoint sends, errors included, so a client can tell which provider
// answered (mix-up attacks, RFC 9700 §4.4).
type issWriter struct {
	http.ResponseWriter
	issuer string
}

func (w issWriter) WriteHeader(status int) {
	if status >= 300 && status < 400 {
		if loc, err := url.Parse(w.Header().Get("Location")); err == nil {
			if loc.Fragment != "" {
				frag, _ := url.ParseQuery(loc.Fragment)
				if !frag.Has("iss") {
					frag.Set("iss", w.issuer)
					loc.RawFragment = frag.Encode()
					loc.Fragment, _ = url.PathUnescape(loc.RawFragment)
				}
			} else {
				q := loc.Query()
				if !q.Has("iss") {
					q.Set("iss", w.issuer)
					loc.RawQuery = q.Encode()
				}
			}
			w.Header().Set("Location", loc.String())
		}
	}
	w.ResponseWriter.WriteHeader(status)
}
