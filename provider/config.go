package provider

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/mail"
	"github.com/idp/idp/provider/registration"
	"github.com/idp/idp/provider/web"
	"github.com/idp/idp/storage"
)

// Config is everything the provider needs. Zero durations take the defaults
// set in withDefaults; Issuer, Store and Secret are required.
type Config struct {
	// Issuer is the provider's public base URL (the "iss" of every token).
	Issuer string
	Store  *storage.Store
	// Secret is the system secret: it seals signing keys at rest and keys
	// fosite's HMAC tokens. At least keys.MinSecretLength bytes.
	Secret []byte
	Logger *slog.Logger
	// Now is the clock; tests move it forward.
	Now func() time.Time

	// CookieDomain, when set, scopes the session cookie to a parent domain.
	CookieDomain string
	// SessionIdleTimeout ends a session not used for this long;
	// SessionLifetime ends it this long after sign-in, used or not.
	SessionIdleTimeout time.Duration
	SessionLifetime    time.Duration
	// KeepRefreshTokensOnLogout leaves the refresh tokens issued in a
	// session alive when the session ends; by default they are revoked.
	KeepRefreshTokensOnLogout bool
	// AllowPlainOAuth relaxes PKCE for every confidential client; per-client
	// Client.AllowPlainOAuth does it for one.
	AllowPlainOAuth bool
	// DPoPNonce makes every DPoP proof carry a current server nonce (RFC
	// 9449 §8, §9): a proof signed ahead of time by a compromised client
	// is then useless within minutes. Clients learn the nonce from the
	// DPoP-Nonce header of a use_dpop_nonce answer and retry.
	DPoPNonce bool

	AuthorizeCodeLifespan time.Duration
	AccessTokenLifespan   time.Duration
	IDTokenLifespan       time.Duration
	// RefreshTokenLifespan is the sliding lifetime of a refresh token: each
	// rotation starts it again, up to RefreshTokenMaxLifetime after sign-in.
	RefreshTokenLifespan    time.Duration
	RefreshTokenMaxLifetime time.Duration
	// RefreshReuseInterval is how long after a rotation the same client may
	// present the rotated refresh token again and get the same answer, as
	// a client that lost the response or refreshed twice in parallel would
	// (RFC 9700 §4.14.2). Zero, the default, treats every second
	// presentation as reuse and revokes the family, including a client's
	// retry after the answer to a committed rotation was lost (a dropped
	// connection, a provider killed mid-answer).
	RefreshReuseInterval time.Duration
	// LoginFlowLifespan bounds how long a login page may stay open.
	LoginFlowLifespan time.Duration
	// DeviceCodeLifespan is how long a device authorization waits for the
	// member to enter its user code and answer (RFC 8628 §3.2 expires_in);
	// DeviceInterval is the first wait between the device's polls.
	DeviceCodeLifespan time.Duration
	DeviceInterval     time.Duration
	// PARLifespan is how long a pushed request_uri may be used (RFC 9126
	// §2.2); RequirePAR refuses every authorization request that was not
	// pushed, as a client's require_pushed_authorization_requests does
	// for that client alone.
	PARLifespan time.Duration
	RequirePAR  bool
	// RequireMFAForRoles makes members of these roles pass a second
	// factor at every sign-in (enrolling one at the next sign-in if they
	// have none), for every client and the provider's own pages.
	RequireMFAForRoles []idp.Role
	// BackchannelPollInterval is how often the back-channel logout worker
	// looks for due deliveries it was not woken for: retries, and logouts
	// queued by another replica or by the command line.
	BackchannelPollInterval time.Duration
	// BackchannelRetryBase is the wait after a first failed delivery; each
	// further failure waits four times longer, up to an hour.
	BackchannelRetryBase time.Duration
	// BackchannelMaxAttempts bounds the attempts of one delivery; after the
	// last it is dropped with an error in the log.
	BackchannelMaxAttempts int
	// TrustedProxies are the reverse proxies whose forwarding headers
	// (X-Forwarded-For, or Forwarded) name the client; see web.Kit.ClientAddr.
	// Empty: the TCP peer is the client, and the headers are ignored.
	TrustedProxies []netip.Prefix
	// CleanupInterval is how often ended sessions are closed (with
	// back-channel logout) and expired tokens and flows removed.
	CleanupInterval time.Duration

	// KDFConcurrency bounds the password and client-secret derivations
	// running at once (default: the cores, runtime.GOMAXPROCS); each holds
	// 19 MiB. KDFQueue more may wait up to KDFWait for a slot (defaults
	// 4 per slot and 2s); beyond that a request is answered 503 with
	// Retry-After, or temporarily_unavailable at the OAuth endpoints.
	KDFConcurrency int
	KDFQueue       int
	KDFWait        time.Duration

	// Registration turns on dynamic client registration (RFC 7591, RFC
	// 7592) and sets the scopes self-registered clients may ask for; the
	// zero value serves no registration endpoint.
	Registration registration.Config

	// KeyRotationInterval, when set, rotates the signing key on a
	// schedule (keys.Schedule): the next key is published ahead of time
	// and superseded keys are removed once no unexpired token names them.
	// Zero, the default, leaves rotation to idp keys rotate.
	KeyRotationInterval time.Duration
	// AuditRetention is how long audit events are kept; the periodic
	// cleanup deletes older ones (default audit.DefaultRetention).
	AuditRetention time.Duration

	// SMTPURL is the mail server that password reset, address
	// verification and invitation links are sent through:
	// smtp://user:pass@host:port (STARTTLS when offered) or smtps://
	// (implicit TLS). Empty turns those features off, and the pages say
	// so. MailFrom is the sender address, required with it.
	SMTPURL  string
	MailFrom string
	// MailTLS is the TLS configuration for the mail server; nil verifies
	// it against the system roots.
	MailTLS *tls.Config

	// MetricsElsewhere keeps GET /metrics off the provider's routes, for
	// when the metrics are served on a listener of their own
	// (Provider.Metrics().Handler()).
	MetricsElsewhere bool

	// BrandName is the organisation's name, shown on every page.
	BrandName string
	// BrandLogo is the path of the organisation's logo (PNG, JPEG, WebP or
	// SVG, at most web.MaxLogoBytes), read at start and served at
	// web.LogoPath; empty shows no logo.
	BrandLogo string
	// BrandColor is the accent colour of buttons and focus rings, #rgb or
	// #rrggbb, served in web.BrandCSSPath; empty keeps the default.
	BrandColor string
	// TemplatesDir holds templates (and the stylesheet) that replace the
	// embedded ones of the same name; the others stay embedded.
	TemplatesDir string
}

// Defaults of the settings, all here, so the command line's flags show the
// values the provider uses and withDefaults has one source.
const (
	DefaultSessionIdleTimeout      = 24 * time.Hour
	DefaultSessionLifetime         = 14 * 24 * time.Hour
	DefaultAccessTokenLifespan     = time.Hour
	DefaultRefreshTokenLifespan    = 30 * 24 * time.Hour
	DefaultRefreshTokenMaxLifetime = 90 * 24 * time.Hour
	DefaultKDFWait                 = 2 * time.Second
	// DefaultAuthorizeCodeLifespan is short: a code is redeemed within
	// seconds of its redirect (RFC 6749 §4.1.2 recommends at most 10 min).
	DefaultAuthorizeCodeLifespan = 5 * time.Minute
	DefaultIDTokenLifespan       = time.Hour
	// DefaultLoginFlowLifespan bounds how long a login page may stay open.
	DefaultLoginFlowLifespan = 30 * time.Minute
	// DefaultPARLifespan: a pushed request is used at once, by a redirect
	// the client sends right after pushing it (RFC 9126 §2.2 suggests
	// between 5 and 600 seconds).
	DefaultPARLifespan     = 60 * time.Second
	DefaultCleanupInterval = 10 * time.Minute
	// DefaultBackchannelPollInterval, RetryBase and MaxAttempts: 1 s,
	// 4 s, 16 s, ~1 min, ~4 min, ~17 min, ~68 min, about an hour and a
	// half of retries.
	DefaultBackchannelPollInterval = 2 * time.Second
	DefaultBackchannelRetryBase    = time.Second
	DefaultBackchannelMaxAttempts  = 8
	// DefaultDeviceCodeLifespan gives a member ten minutes to find a
	// browser, type the code, sign in and answer; longer leaves a guessable
	// code alive for nothing.
	DefaultDeviceCodeLifespan = 10 * time.Minute
	// DefaultDeviceInterval is RFC 8628 §3.2's default poll interval.
	DefaultDeviceInterval = 5 * time.Second
)

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.SessionIdleTimeout, DefaultSessionIdleTimeout)
	def(&c.SessionLifetime, DefaultSessionLifetime)
	def(&c.AuthorizeCodeLifespan, DefaultAuthorizeCodeLifespan)
	def(&c.AccessTokenLifespan, DefaultAccessTokenLifespan)
	def(&c.IDTokenLifespan, DefaultIDTokenLifespan)
	def(&c.RefreshTokenLifespan, DefaultRefreshTokenLifespan)
	def(&c.RefreshTokenMaxLifetime, DefaultRefreshTokenMaxLifetime)
	def(&c.LoginFlowLifespan, DefaultLoginFlowLifespan)
	def(&c.DeviceCodeLifespan, DefaultDeviceCodeLifespan)
	def(&c.DeviceInterval, DefaultDeviceInterval)
	def(&c.PARLifespan, DefaultPARLifespan)
	def(&c.CleanupInterval, DefaultCleanupInterval)
	def(&c.AuditRetention, audit.DefaultRetention)
	if c.KDFConcurrency == 0 {
		c.KDFConcurrency = runtime.GOMAXPROCS(0)
	}
	if c.KDFQueue == 0 {
		c.KDFQueue = 4 * c.KDFConcurrency
	}
	def(&c.KDFWait, DefaultKDFWait)
	def(&c.BackchannelPollInterval, DefaultBackchannelPollInterval)
	def(&c.BackchannelRetryBase, DefaultBackchannelRetryBase)
	if c.BackchannelMaxAttempts == 0 {
		c.BackchannelMaxAttempts = DefaultBackchannelMaxAttempts
	}
	c.Issuer = strings.TrimSuffix(c.Issuer, "/")
	return c
}

// ValidateIssuer checks an issuer URL: absolute http(s), with a host and
// without user, query or fragment (OpenID Connect Discovery §3), and
// without a path, since every route is served from the root of the host
// and a path would advertise endpoints that do not exist. A trailing slash
// is allowed; the provider drops it.
func ValidateIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Errorf("%q is not an absolute http(s) URL without user, query or fragment", issuer)
	}
	if u.Path != "" && u.Path != "/" {
		return fmt.Errorf("%q has the path %q, but routes are served from the root of the host: "+
			"give the bare origin (%s://%s) and serve the provider at that host's root", issuer, u.Path, u.Scheme, u.Host)
	}
	return nil
}

// Validate reports every problem at once, naming the setting.
func (c Config) Validate() error {
	var errs []error
	if err := ValidateIssuer(c.Issuer); err != nil {
		errs = append(errs, fmt.Errorf("issuer: %w", err))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("store: required"))
	}
	if len(c.Secret) < keys.MinSecretLength {
		errs = append(errs, fmt.Errorf("secret: must be at least %d bytes, got %d", keys.MinSecretLength, len(c.Secret)))
	}
	for name, d := range map[string]time.Duration{
		"session idle timeout": c.SessionIdleTimeout, "session lifetime": c.SessionLifetime,
		"authorize code lifespan": c.AuthorizeCodeLifespan, "access token lifespan": c.AccessTokenLifespan,
		"id token lifespan": c.IDTokenLifespan, "refresh token lifespan": c.RefreshTokenLifespan,
		"cleanup interval": c.CleanupInterval, "kdf wait": c.KDFWait,
		"back-channel poll interval": c.BackchannelPollInterval, "back-channel retry base": c.BackchannelRetryBase,
		"refresh token reuse interval": c.RefreshReuseInterval,
		"refresh token max lifetime":   c.RefreshTokenMaxLifetime, "login flow lifespan": c.LoginFlowLifespan,
		"device code lifespan": c.DeviceCodeLifespan, "device interval": c.DeviceInterval,
		"par lifespan":    c.PARLifespan,
		"audit retention": c.AuditRetention, "key rotation interval": c.KeyRotationInterval,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative", name))
		}
	}
	// A refresh token never outlives RefreshTokenMaxLifetime, so a longer
	// sliding lifespan would promise what the provider does not keep.
	if c.RefreshTokenMaxLifetime > 0 && c.RefreshTokenLifespan > c.RefreshTokenMaxLifetime {
		errs = append(errs, fmt.Errorf("refresh token max lifetime: %v is shorter than the refresh token lifespan %v",
			c.RefreshTokenMaxLifetime, c.RefreshTokenLifespan))
	}
	if c.KDFConcurrency < 0 {
		errs = append(errs, fmt.Errorf("kdf concurrency: must not be negative, got %d", c.KDFConcurrency))
	}
	if c.KDFQueue < 0 {
		errs = append(errs, fmt.Errorf("kdf queue: must not be negative, got %d", c.KDFQueue))
	}
	if c.BackchannelMaxAttempts < 0 {
		errs = append(errs, errors.New("back-channel max attempts: must not be negative"))
	}
	for _, pfx := range c.TrustedProxies {
		if !pfx.IsValid() {
			errs = append(errs, fmt.Errorf("trusted proxies: %q is not a valid CIDR prefix", pfx))
		}
	}
	if c.KeyRotationInterval > 0 && c.KeyRotationInterval < keys.MinRotationInterval {
		errs = append(errs, fmt.Errorf("key rotation interval: %v is shorter than %v (0 turns scheduled rotation off)",
			c.KeyRotationInterval, keys.MinRotationInterval))
	}
	for _, role := range c.RequireMFAForRoles {
		if _, err := idp.ParseRole(string(role)); err != nil {
			errs = append(errs, fmt.Errorf("require mfa for role: %w", err))
		}
	}
	if c.BrandColor != "" {
		if err := web.CheckColor(c.BrandColor); err != nil {
			errs = append(errs, fmt.Errorf("brand color: %w", err))
		}
	}
	errs = append(errs, c.Registration.Validate())
	switch {
	case c.SMTPURL != "":
		errs = append(errs, mail.Config{URL: c.SMTPURL, From: c.MailFrom}.Validate())
	case c.MailFrom != "":
		errs = append(errs, errors.New("mail from: set only with the smtp url, which is empty"))
	}
	return errors.Join(errs...)
}
