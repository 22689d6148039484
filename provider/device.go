package provider

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/ory/fosite"

	"github.com/idp/idp"
	"github.com/idp/idp/keys"
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
	if wait, err := p.admitDevice(ctx, r); err != nil || wait > 0 {
		if err == nil {
			err = oauth.RetryAfter{Wait: wait, Err: errDeviceLimit}
		}
		p.writeAccessError(ctx, w, none, err)
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

// Device authorization limits. A public client's id is no secret, so
// starting a device grant is open to anyone: each address may start
// MaxDeviceAuthorizationsPerAddress grants per deviceWindow (a household
// of TVs and CLIs stays far below), which bounds the rows one address can
// add to the store whatever client it names.
const (
	MaxDeviceAuthorizationsPerAddress = 30
	deviceWindow                      = 10 * time.Minute
)

var errDeviceLimit = &fosite.RFC6749Error{
	ErrorField:       "slow_down",
	DescriptionField: "Too many device authorizations from this address; retry later.",
	CodeField:        http.StatusTooManyRequests,
}

// admitDevice counts a device authorization per client address (an IPv6
// /64 as one) in the store, so every replica enforces one limit, under a
// keyed hash so the table holds no addresses. It returns how long to wait
// when the address is over the limit.
func (p *Provider) admitDevice(ctx context.Context, r *http.Request) (time.Duration, error) {
	m := hmac.New(sha256.New, keys.Derive(p.cfg.Secret, keys.PurposeThrottle))
	m.Write([]byte("device authorization\x00" + web.AddressKey(p.web.ClientAddr(r))))
	now := p.cfg.Now()
	n, ends, err := p.store.Throttle.Hit(ctx, "device:"+hex.EncodeToString(m.Sum(nil)), now, deviceWindow)
	if err != nil {
		return 0, oauth.Unavailable(idp.UnavailableRetryAfter, err)
	}
	if n <= MaxDeviceAuthorizationsPerAddress {
		return 0, nil
	}
	return max(ends.Sub(now), time.Second), nil
}
