package provider

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"
	"github.com/ory/fosite"

	"github.com/idp/idp/provider/authflow"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/web"
)

// deviceAuthorization is the device authorization response (RFC 8628
// §3.2).
type deviceAuthorization struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// handleDeviceAuthorize is the device authorization endpoint (RFC 8628
// §3.1). The client authenticates as at the token endpoint (a public
// client by its id alone) and must be registered for the device_code
// grant; errors are the token endpoint's JSON (§3.2).
func (p *Provider) handleDeviceAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	none := fosite.NewAccessRequest(oauth.NewSession())
	if err := web.ParseForm(r); err != nil {
		p.writeAccessError(ctx, w, none, err)
		return
	}
	if name := web.Repeated(r.PostForm); name != "" {
		p.writeAccessError(ctx, w, none, fosite.ErrInvalidRequest.WithHintf("The parameter %q is repeated; send each parameter once.", name))
		return
	}
	fc, err := p.oauth.OAuth2Provider.(*fosite.Fosite).AuthenticateClient(ctx, r, r.PostForm)
	if err != nil {
		p.writeAccessError(ctx, w, none, err)
		return
	}
	c, ok := fc.(oauth.Client)
	if !ok {
		p.writeAccessError(ctx, w, none, fosite.ErrServerError.WithHintf("Unexpected client type %T.", fc))
		return
	}
	da, err := p.oauth.StartDevice(ctx, c, strings.Fields(r.PostForm.Get("scope")), strings.Fields(r.PostForm.Get("audience")))
	if err != nil {
		p.writeAccessError(ctx, w, none, err)
		return
	}
	p.log.Info("device authorization started", "client", c.ID)
	code := oauth.FormatUserCode(da.UserCode)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, deviceAuthorization{
		DeviceCode: da.DeviceCode, UserCode: code,
		VerificationURI:         p.url(authflow.PathDevice),
		VerificationURIComplete: p.url(authflow.PathDevice) + "?user_code=" + url.QueryEscape(code),
		ExpiresIn:               int(da.ExpiresIn.Seconds()), Interval: int(da.Interval.Seconds()),
	})
}

// mountDevice registers the device authorization grant's endpoint and
// pages (RFC 8628).
func (p *Provider) mountDevice(r *mux.Router) {
	r.HandleFunc(pathDeviceAuthorize, p.handleDeviceAuthorize).Methods(http.MethodPost)
	r.HandleFunc(authflow.PathDevice, p.flow.HandleDevicePage).Methods(http.MethodGet)
	r.HandleFunc(authflow.PathDevice, p.flow.HandleDevice).Methods(http.MethodPost)
	r.HandleFunc(authflow.PathDeviceConsent, p.flow.HandleDeviceConsentPage).Methods(http.MethodGet)
	r.HandleFunc(authflow.PathDeviceConsent, p.flow.HandleDeviceConsent).Methods(http.MethodPost)
}
