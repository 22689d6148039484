package provider

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/idp/idp/keys"
	"github.com/idp/idp/provider/registration"
	"github.com/idp/idp/provider/web"
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
		KDF: p.kdf, ClientAddr: p.web.ClientAddr, Audit: p.audit,
		Admit: p.admitRegistration(keys.Derive(p.cfg.Secret, keys.PurposeRegistration)),
	}))
}

// Open registration limits: anyone may register, so one address may add
// at most maxRegistrationsPerAddress clients per registrationWindow. A
// developer registering test apps stays far below; a script filling the
// clients table is held to a few hundred rows a day per address.
const (
	registrationWindow         = time.Hour
	maxRegistrationsPerAddress = 20
)

// admitRegistration counts a registration attempt per client address (an
// IPv6 /64 counts as one, as for sign-in) in the store, so every replica
// enforces the same limit, under a keyed hash of the address, so the
// table holds no addresses.
func (p *Provider) admitRegistration(key []byte) func(context.Context, *http.Request) (time.Duration, error) {
	return func(ctx context.Context, r *http.Request) (time.Duration, error) {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(web.AddressKey(p.web.ClientAddr(r))))
		now := p.cfg.Now()
		n, ends, err := p.store.Throttle.Hit(ctx, "registration:"+hex.EncodeToString(m.Sum(nil)), now, registrationWindow)
		if err != nil || n <= maxRegistrationsPerAddress {
			return 0, err
		}
		return ends.Sub(now), nil
	}
}

// registrationEndpoint is discovery's registration_endpoint: empty, so
// left out, when registration is off.
func (p *Provider) registrationEndpoint() string {
	if !p.cfg.Registration.Enabled() {
		return ""
	}
	return p.url(registration.Path)
}
