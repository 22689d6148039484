package authflow

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
)

// loadFlow finds the flow a login or consent page is about and checks it
// belongs to this browser and is still open. On failure it has written an
// error page and returns false.
func (h *Handlers) loadFlow(w http.ResponseWriter, r *http.Request, id string) (idp.Flow, bool) {
	f, err := h.store.Flows.ByID(r.Context(), id)
	if errors.Is(err, idp.ErrNotFound) || (err == nil && !h.cfg.Now().Before(f.ExpiresAt)) {
		h.web.Fail(w, r, web.FlowExpired, err)
		return idp.Flow{}, false
	}
	if err != nil {
		h.web.Internal(w, r, err)
		return idp.Flow{}, false
	}
	if !h.web.SameBrowser(r, f.CSRFHash) {
		h.web.Fail(w, r, web.FlowElsewhere, errors.New("flow binding mismatch"))
		return idp.Flow{}, false
	}
	// The pages of this flow speak the language the application asked
	// for (ui_locales), before the browser's.
	if params, err := url.ParseQuery(f.Params); err == nil {
		web.PreferLocales(r, params.Get("ui_locales"))
	}
	return f, true
}

// resumeRequest validates the parked authorization request again, as if
// it had just arrived: a client changed or removed since is caught.
func (h *Handlers) resumeRequest(r *http.Request, f idp.Flow) (fosite.AuthorizeRequester, url.Values, error) {
	params, err := url.ParseQuery(f.Params)
	if err != nil {
		return nil, nil, err
	}
	req := r.Clone(r.Context())
	req.Method = http.MethodGet
	req.URL = &url.URL{Path: PathAuthorize, RawQuery: f.Params}
	req.Body = http.NoBody
	req.ContentLength = 0
	req.Header = r.Header.Clone()
	req.Header.Del("Content-Type")
	req.Form, req.PostForm, req.MultipartForm = nil, nil, nil
	ar, err := h.oauth.NewAuthorizeRequest(r.Context(), req)
	if err != nil {
		return ar, params, err
	}
	return ar, params, oauth.RequestClaimScopes(ar, params.Get("claims"))
}

// Bounds on parked authorization requests. A flow is created before anyone
// has signed in, so these are what an anonymous client can make the store
// hold.
const (
	// maxFlowBytes bounds the stored parameters. The longest legitimate
	// ones (a claims request, an id_token_hint, a client's state) take a
	// few kilobytes together.
	maxFlowBytes = 8 << 10
	// maxFlowsPerBrowser is how many sign-ins one browser may have open,
	// in tabs or abandoned; starting another forgets the oldest.
	maxFlowsPerBrowser = 10
	// maxFlowsPerAddress bounds the live flows of one address, where
	// fresh browsers (no cookies) would each get ten: generous for a
	// shared office NAT, small enough to cap the store at under a
	// megabyte per address for a flow's lifetime.
	maxFlowsPerAddress = 100
)

// flowParams are the authorization request parameters a flow keeps: those
// of RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID Connect Core §3.1.2.1 and
// §5.5, and fosite's audience. The provider and fosite read no others.
var flowParams = map[string]bool{
	"response_type": true, "client_id": true, "redirect_uri": true, "scope": true, "state": true,
	"response_mode": true, "nonce": true, "display": true, "prompt": true, "max_age": true,
	"ui_locales": true, "claims_locales": true, "id_token_hint": true, "login_hint": true,
	"acr_values": true, "claims": true, "code_challenge": true, "code_challenge_method": true,
	"audience": true,
}

// keptParams returns the parameters of params that a flow keeps.
func keptParams(params url.Values) url.Values {
	kept := make(url.Values, len(flowParams))
	for k, v := range params {
		if flowParams[k] {
			kept[k] = v
		}
	}
	return kept
}
