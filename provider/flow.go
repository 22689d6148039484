package provider

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"

	"github.com/ory/fosite"

	"github.com/idp/idp"
)

// loadFlow finds the flow a login or consent page is about and checks it
// belongs to this browser and is still open. On failure it has written an
// error page and returns false.
func (p *Provider) loadFlow(w http.ResponseWriter, r *http.Request, id string) (idp.Flow, bool) {
	f, err := p.store.Flows.ByID(r.Context(), id)
	if errors.Is(err, idp.ErrNotFound) || (err == nil && !p.cfg.Now().Before(f.ExpiresAt)) {
		p.renderError(w, r, http.StatusBadRequest, "Sign-in expired",
			"This sign-in page has expired or was already used. Go back to the application and sign in again.", "", err)
		return idp.Flow{}, false
	}
	if err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "Something went wrong", "Please try again later.", "", err)
		return idp.Flow{}, false
	}
	binding := cookieValue(r, p.cookieName("idp_csrf"))
	if binding == "" || subtle.ConstantTimeCompare([]byte(hashToken(binding)), []byte(f.CSRFHash)) != 1 {
		p.renderError(w, r, http.StatusForbidden, "Sign-in started elsewhere",
			"This sign-in page belongs to another browser or its cookies were cleared. Go back to the application and sign in again.", "", errors.New("flow binding mismatch"))
		return idp.Flow{}, false
	}
	return f, true
}

// resumeRequest validates the parked authorization request again, as if
// it had just arrived: a client changed or removed since is caught.
func (p *Provider) resumeRequest(r *http.Request, f idp.Flow) (fosite.AuthorizeRequester, url.Values, error) {
	params, err := url.ParseQuery(f.Params)
	if err != nil {
		return nil, nil, err
	}
	req := r.Clone(r.Context())
	req.Method = http.MethodGet
	req.URL = &url.URL{Path: pathAuthorize, RawQuery: f.Params}
	req.Body = http.NoBody
	req.ContentLength = 0
	req.Header = r.Header.Clone()
	req.Header.Del("Content-Type")
	req.Form, req.PostForm, req.MultipartForm = nil, nil, nil
	ar, err := p.oauth2.NewAuthorizeRequest(r.Context(), req)
	return ar, params, err
}
