package provider

import (
	"github.com/gorilla/mux"

	"github.com/idp/idp/provider/registration"
)

// mountRegistration serves dynamic client registration (RFC 7591) and
// its management endpoints (RFC 7592) when Config.Registration turns it
// on; otherwise the paths are not routed at all.
func (p *Provider) mountRegistration(r *mux.Router) {
	if !p.cfg.Registration.Enabled() {
		return
	}
	r.PathPrefix(registration.Path).Handler(registration.New(registration.Deps{
		Store: p.store, Config: p.cfg.Registration, Issuer: p.cfg.Issuer, Now: p.cfg.Now, Log: p.log,
		KDF: p.kdf, ClientAddr: p.clientAddr,
	}))
}

// registrationEndpoint is discovery's registration_endpoint: empty, so
// left out, when registration is off.
func (p *Provider) registrationEndpoint() string {
	if !p.cfg.Registration.Enabled() {
		return ""
	}
	return p.url(registration.Path)
}
