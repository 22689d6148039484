package authflow

import (
	"errors"
	"net/http"

	"github.com/ory/fosite"

	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
)

// PathPushed is the pushed authorization request endpoint (RFC 9126).
const PathPushed = "/oauth2/par"

// HandlePushed is the pushed authorization request endpoint (RFC 9126
// §2): an authenticated client posts the parameters of an authorization
// request and gets a short-lived, single-use request_uri to send the
// browser with instead. The request is validated here exactly as the
// authorization endpoint would, so a mistake is reported to the client,
// not shown to the member.
func (h *Handlers) HandlePushed(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := h.newPushedRequest(r)
	if err != nil {
		h.log.Info("pushed authorization refused", "err", web.Describe(err))
		h.oauth.WritePushedAuthorizeError(ctx, w, ar, oauth.StoreUnavailable(err))
		return
	}
	resp, err := h.oauth.NewPushedAuthorizeResponse(ctx, ar, oauth.NewSession())
	if err != nil {
		h.oauth.WritePushedAuthorizeError(ctx, w, ar, oauth.StoreUnavailable(err))
		return
	}
	h.oauth.WritePushedAuthorizeResponse(ctx, w, ar, resp)
}

// newPushedRequest authenticates the client (as at the token endpoint)
// and validates the pushed parameters. A request object or request_uri
// inside a pushed request is refused (RFC 9126 §2.1).
func (h *Handlers) newPushedRequest(r *http.Request) (fosite.AuthorizeRequester, error) {
	if err := web.ParseForm(r); err != nil {
		return nil, err
	}
	if name := web.Repeated(r.Form); name != "" {
		return nil, fosite.ErrInvalidRequest.WithHintf("The parameter %q is repeated; send each parameter once (RFC 6749 §3.1).", name)
	}
	if r.Form.Has("request") {
		return nil, fosite.ErrRequestNotSupported.WithHint("Request objects are not supported; push the parameters directly.")
	}
	if r.Form.Has("request_uri") {
		return nil, fosite.ErrInvalidRequest.WithHint("A pushed request must not contain request_uri (RFC 9126 §2.1).")
	}
	ar, err := h.oauth.NewPushedAuthorizeRequest(r.Context(), r)
	if err != nil {
		return ar, err
	}
	if err := checkAuthorizeRequest(ar); err != nil {
		return ar, err
	}
	form := ar.GetRequestForm()
	if h.oauth.PKCERequired(ar.GetClient().(oauth.Client)) && form.Get("code_challenge") == "" {
		return ar, fosite.ErrInvalidRequest.WithHint("Clients must include a code_challenge when performing the authorize code flow (PKCE, S256).")
	}
	if form.Get("code_challenge") != "" && form.Get("code_challenge_method") != "S256" {
		return ar, fosite.ErrInvalidRequest.WithHint("Only the S256 code_challenge_method is supported.")
	}
	return ar, nil
}

// mustPush reports whether c may use the authorization endpoint only with
// a pushed request: every client under --require-par, or a client
// registered with require_pushed_authorization_requests (RFC 9126 §6).
func (h *Handlers) mustPush(c fosite.Client) bool {
	oc, ok := c.(oauth.Client)
	return h.cfg.RequirePAR || (ok && oc.RequirePAR)
}

// pushedRequestError maps the loser of a race for one request_uri (fosite
// reports the failed single-use delete as a server error) to the answer
// an unknown or spent request_uri gets.
func pushedRequestError(err error) error {
	var rfc *fosite.RFC6749Error
	if errors.As(err, &rfc) && rfc.ErrorField == fosite.ErrServerError.ErrorField && errors.Is(err, fosite.ErrNotFound) {
		return fosite.ErrInvalidRequestURI.WithHint("The request_uri is unknown, expired or already used.")
	}
	return err
}
