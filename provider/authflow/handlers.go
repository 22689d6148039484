// Package authflow is the interactive part of an authorization: the
// authorization endpoint, the login and consent pages, and finishing the
// request with a code. It owns the flow that carries a request across
// those pages (idp.Flow) and the rules on it (prompt, max_age, consent).
// Later sign-in steps (second factors, passkeys) go here. The HTTP routes
// are registered by package provider.
package authflow

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/members"
	"github.com/idp/idp/mfa"
	"github.com/idp/idp/password"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/passkey"
	"github.com/idp/idp/provider/web"
	"github.com/idp/idp/storage"
)

// Paths of the endpoints this package serves; package provider registers
// them and discovery publishes the authorization endpoint.
const (
	PathAuthorize = "/oauth2/authorize"
	PathLogin     = "/login"
	PathConsent   = "/consent"
	// PathDevice is RFC 8628's verification_uri, where a member types a
	// device's user code; PathDeviceConsent asks them about it.
	PathDevice        = "/device"
	PathDeviceConsent = "/device/consent"
)

// Config is what the handlers need, named rather than reached through
// the provider. Durations and the issuer are the provider's settings,
// already defaulted and validated.
type Config struct {
	Issuer            string
	LoginFlowLifespan time.Duration
	Store             *storage.Store
	Log               *slog.Logger
	Now               func() time.Time
	OAuth             *oauth.Engine
	Web               *web.Kit
	// Throttle counts sign-in attempts; KDF bounds password derivations.
	Throttle *web.Throttle
	KDF      *password.Limiter
	// RequirePAR refuses authorization requests that were not pushed
	// (RFC 9126 §5), for every client.
	RequirePAR bool
	// Audit records sign-ins and consents; nil records nothing.
	Audit Recorder
	// Mail sends and redeems the mailed links (password reset, address
	// verification, invitation); without a mail server it is disabled
	// and the pages say so.
	Mail *members.Mail
	// Factors checks and enrols second factors; nil means no member has
	// one.
	Factors *mfa.Factors
	// RequireMFAForRoles makes members of these roles pass a second
	// factor at every sign-in, enrolling one first if they have none.
	RequireMFAForRoles []idp.Role
	// Passkeys verifies passkey sign-ins; nil when the issuer cannot be a
	// WebAuthn relying party (its host is an IP address).
	Passkeys *passkey.Service
	// SignOut ends session s as a logout from clientID does (the consent
	// page's "Not you?"); nil only clears the cookie.
	SignOut func(ctx context.Context, r *http.Request, s idp.Session, clientID string) error
}

// Handlers serves the authorization endpoint and the login and consent
// pages.
type Handlers struct {
	cfg      Config
	store    *storage.Store
	log      *slog.Logger
	oauth    *oauth.Engine
	web      *web.Kit
	throttle *web.Throttle
	kdf      *password.Limiter
}

// New returns the handlers.
func New(cfg Config) *Handlers {
	return &Handlers{cfg: cfg, store: cfg.Store, log: cfg.Log, oauth: cfg.OAuth, web: cfg.Web, throttle: cfg.Throttle, kdf: cfg.KDF}
}
