// Package provider is the OpenID Connect provider's HTTP surface: New
// builds its parts from one Config, routes registers every route in one
// function, and this package serves what is neither a page of the login
// flow nor fosite's engine: discovery, the JWKS, health, and the token,
// introspection, revocation, userinfo and logout endpoints. The login
// flow is in provider/authflow, fosite's composition and storage adapter
// in provider/oauth, browser plumbing in provider/web, ending sessions in
// package sessions. Only this package imports gorilla/mux.
package provider

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/dpop"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/mail"
	"github.com/idp/idp/members"
	"github.com/idp/idp/metrics"
	"github.com/idp/idp/mfa"
	"github.com/idp/idp/password"
	"github.com/idp/idp/provider/account"
	"github.com/idp/idp/provider/authflow"
	"github.com/idp/idp/provider/oauth"
	"github.com/idp/idp/provider/passkey"
	"github.com/idp/idp/provider/web"
	"github.com/idp/idp/sessions"
	"github.com/idp/idp/storage"
)

// Provider serves every endpoint of the identity provider.
type Provider struct {
	cfg   Config
	store *storage.Store
	log   *slog.Logger
	oauth *oauth.Engine
	keys  *keys.Ring
	web   *web.Kit
	flow  *authflow.Handlers
	// account serves the member's own pages.
	account *account.Handlers
	// logoutState seals the confirmation form's state of RP-initiated
	// logout, which travels through the browser.
	logoutState *keys.Box
	handler     http.Handler
	logout      *sessions.Notifier
	// throttle slows down password guessing at /login.
	throttle *web.Throttle
	// kdf bounds the password and secret derivations in flight;
	// verifier checks client secrets through it; secrets throttles
	// wrong secrets per client id.
	kdf      *password.Limiter
	verifier *clients.Verifier
	secrets  *secretThrottle
	// metrics counts requests and events; see package metrics.
	metrics *metrics.Metrics
	// nonces issues and checks DPoP server nonces (Config.DPoPNonce).
	nonces *dpop.Nonces
	// factors checks and enrols members' second factors.
	factors *mfa.Factors
	// audit records security events in the transaction of the change
	// they describe, and feeds metrics once they commit.
	audit *audit.Log
	// mail sends and redeems mailed links; mailQueue delivers them, nil
	// without a mail server.
	mail      *members.Mail
	mailQueue *mail.Queue

	stop chan struct{}
	wg   sync.WaitGroup
}

// New validates cfg, loads (or on first start creates) the signing key and
// returns the provider. Close stops its background work.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Records logged with a request's context carry its request id.
	cfg.Logger = slog.New(metrics.LogHandler(cfg.Logger.Handler()))
	p := &Provider{
		cfg:         cfg,
		store:       cfg.Store,
		log:         cfg.Logger,
		logoutState: keys.NewBox(cfg.Secret, keys.PurposeLogout),
		throttle:    web.NewThrottle(cfg.Store, keys.Derive(cfg.Secret, keys.PurposeThrottle), cfg.Now),
		kdf:         password.NewLimiter(cfg.KDFConcurrency, cfg.KDFQueue, cfg.KDFWait),
		secrets:     newSecretThrottle(cfg.Now),
		stop:        make(chan struct{}),
	}
	p.factors = mfa.New(cfg.Store, cfg.Secret, cfg.Issuer, cfg.Now)
	p.metrics = metrics.New(metrics.Sources{KDF: p.kdf.Stats, Pool: cfg.Store.PoolStats})
	p.audit = audit.New(cfg.Store, cfg.Logger, cfg.Now)
	p.audit.Observe(p.metrics.Observe)
	brand := web.Brand{Name: cfg.BrandName, Color: cfg.BrandColor}
	if cfg.BrandLogo != "" {
		var err error
		if brand.Logo, brand.LogoType, err = web.ReadLogo(cfg.BrandLogo); err != nil {
			return nil, fmt.Errorf("brand logo: %w", err)
		}
	}
	var err error
	p.web, err = web.New(web.Config{
		Brand: brand, TemplatesDir: cfg.TemplatesDir,
		Issuer: cfg.Issuer, CookieDomain: cfg.CookieDomain, Store: cfg.Store, Log: cfg.Logger, Now: cfg.Now,
		CSRFKey: keys.Derive(cfg.Secret, keys.PurposeCSRF), SessionIdleTimeout: cfg.SessionIdleTimeout,
		SessionLifetime: cfg.SessionLifetime, TrustedProxies: cfg.TrustedProxies, EndSession: p.endSession,
	})
	if err != nil {
		return nil, err
	}
	p.keys, err = keys.Load(ctx, keys.Config{
		Store: cfg.Store, Secret: cfg.Secret, Now: cfg.Now, Log: cfg.Logger,
		Retention: max(cfg.AccessTokenLifespan, cfg.IDTokenLifespan) + time.Hour,
		// A key of every algorithm from the start, so any client may pick
		// one at any time and every JWKS already lists its key.
		Algorithms: keys.Algorithms,
	})
	if err != nil {
		return nil, err
	}
	p.verifier = clients.NewVerifier(keys.Derive(cfg.Secret, keys.PurposeSecrets), 4096).Limit(p.kdf)
	p.nonces = dpop.NewNonces(keys.Derive(cfg.Secret, keys.PurposeDPoPNonce))
	p.oauth = oauth.New(oauth.Config{
		Issuer: cfg.Issuer, TokenURL: cfg.Issuer + pathToken, Store: cfg.Store, Secret: cfg.Secret, Keys: p.keys, Now: cfg.Now,
		AuthorizeCodeLifespan: cfg.AuthorizeCodeLifespan, AccessTokenLifespan: cfg.AccessTokenLifespan,
		IDTokenLifespan: cfg.IDTokenLifespan, RefreshTokenLifespan: cfg.RefreshTokenLifespan,
		RefreshReuseInterval: cfg.RefreshReuseInterval, AllowPlainOAuth: cfg.AllowPlainOAuth, PARLifespan: cfg.PARLifespan,
		Verifier: p.verifier, Authenticate: p.authenticateClient, FormPost: p.web.Pages.FormPost,
		DeviceCodeLifespan: cfg.DeviceCodeLifespan, DeviceInterval: cfg.DeviceInterval,
	})
	if err := p.setUpMail(); err != nil {
		return nil, err
	}
	// WebAuthn needs a domain as relying party id: an issuer on an IP
	// address (development) offers no passkeys.
	pk, err := passkey.New(passkey.Config{Issuer: cfg.Issuer, Store: cfg.Store, Now: cfg.Now})
	if errors.Is(err, passkey.ErrUnavailable) {
		pk, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	p.flow = authflow.New(authflow.Config{
		Issuer: cfg.Issuer, LoginFlowLifespan: cfg.LoginFlowLifespan, Store: cfg.Store, Log: cfg.Logger, Now: cfg.Now,
		OAuth: p.oauth, Web: p.web, Throttle: p.throttle, KDF: p.kdf, RequirePAR: cfg.RequirePAR,
		Audit: p.audit, Mail: p.mail, Factors: p.factors, RequireMFAForRoles: cfg.RequireMFAForRoles, Passkeys: pk,
		SignOut: func(ctx context.Context, r *http.Request, s idp.Session, clientID string) error {
			return p.logoutSession(ctx, r, s, clientID)
		},
	})
	p.account = account.New(account.Config{
		Store: cfg.Store, Web: p.web, Log: p.log, Now: cfg.Now, SignIn: p.flow.StartSignIn, Mail: p.mail,
		Members: members.Service{Store: cfg.Store, EndSessions: p.endMemberSessions},
		Factors: p.factors, Throttle: p.throttle, KDF: p.kdf, Audit: p.audit, Passkeys: pk,
		EndSessions: p.endAccountSessions,
		WriteQR: func(w http.ResponseWriter, r *http.Request, e mfa.Enrolment) {
			authflow.WriteQR(w, r, e, p.log.ErrorContext)
		},
	})
	p.logout = sessions.NewNotifier(sessions.NotifierConfig{
		Store: cfg.Store, Log: p.log, Now: cfg.Now, Issuer: cfg.Issuer, Sign: p.oauth.SignLogoutToken,
		Poll: cfg.BackchannelPollInterval, RetryBase: cfg.BackchannelRetryBase, MaxAttempts: cfg.BackchannelMaxAttempts,
		Delivery: p.metrics.BackchannelDelivery,
	})
	p.handler = p.routes()

	p.background(keys.ReloadInterval, func(ctx context.Context) {
		if err := p.keys.Reload(ctx); err != nil {
			p.log.Error("reload signing keys", "err", err)
		}
	})
	p.background(cfg.CleanupInterval, p.collectGarbage)
	if cfg.KeyRotationInterval > 0 {
		p.scheduleKeys()
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.logout.Run(p.stop)
	}()
	if p.mailQueue != nil {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.mailQueue.Run(p.stop)
		}()
	}
	return p, nil
}

// scheduleKeys runs the key schedule (Config.KeyRotationInterval) once
// now, so a provider started after a long stop catches up at once, and
// then every keys.ScheduleCheckInterval. A key it adds is loaded into
// this replica's JWKS right away; the others load it within
// keys.ReloadInterval, well before it signs.
func (p *Provider) scheduleKeys() {
	sched := keys.Schedule{
		Store: p.store, Secret: p.cfg.Secret, Interval: p.cfg.KeyRotationInterval,
		Retention: max(p.cfg.AccessTokenLifespan, p.cfg.IDTokenLifespan) + time.Hour, Audit: p.audit, Log: p.log,
	}
	run := func(ctx context.Context) {
		res, err := sched.Run(ctx, p.cfg.Now())
		if err != nil {
			p.log.Error("key schedule", "err", err)
			return
		}
		if res.Rotated != nil || len(res.Removed) > 0 {
			if err := p.keys.Reload(ctx); err != nil {
				p.log.Error("reload signing keys", "err", err)
			}
		}
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), keys.ScheduleCheckInterval)
		defer cancel()
		run(ctx)
	}()
	p.background(keys.ScheduleCheckInterval, run)
}

// Audit returns the provider's audit trail, for the handlers mounted
// beside it (admin) to record their changes in it.
func (p *Provider) Audit() *audit.Log { return p.audit }

// KDFStats reports the counters of the limiter that bounds password and
// client-secret derivations (Config.KDFConcurrency).
func (p *Provider) KDFStats() password.LimiterStats { return p.kdf.Stats() }

// Metrics returns the provider's metrics, to serve them on a listener of
// their own (Config.MetricsElsewhere) and to feed them events.
func (p *Provider) Metrics() *metrics.Metrics { return p.metrics }

// ServeHTTP serves every route of the provider.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.handler.ServeHTTP(w, r) }

// Close stops background work: key reload, cleanup and back-channel logout
// delivery (waiting for deliveries under way).
func (p *Provider) Close() error {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.wg.Wait()
	return nil
}

// background runs fn every interval until Close.
func (p *Provider) background(interval time.Duration, fn func(ctx context.Context)) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), interval)
				fn(ctx)
				cancel()
			}
		}
	}()
}

// collectGarbage ends sessions that expired or went idle (as a logout
// would, so their clients hear of it) and removes expired tokens and
// flows and ended throttle windows, so tables do not grow with every
// login.
func (p *Provider) collectGarbage(ctx context.Context) {
	now := p.cfg.Now()
	if err := sessions.EndIdle(ctx, p.store, now, p.cfg.SessionIdleTimeout, p.endSession); err != nil {
		p.log.Error("end idle sessions", "err", err)
	}
	p.throttle.Sweep(now)
	for what, del := range map[string]func(context.Context, time.Time) (int64, error){
		"tokens": p.store.Tokens.DeleteExpired, "flows": p.store.Flows.DeleteExpired, "pushed requests": p.store.Pushed.DeleteExpired,
		"sessions": p.store.Sessions.DeleteExpired, "throttle counters": p.store.Throttle.DeleteExpired,
		"device grants":         p.store.DeviceGrants.DeleteExpired,
		"dpop proofs":           p.store.Proofs.DeleteExpired,
		"mail links":            p.store.MailTokens.DeleteExpired,
		"webauthn challenges":   p.store.WebAuthnChallenges.DeleteExpired,
		"client assertions":     p.store.Assertions.DeleteExpired,
		"initial access tokens": p.store.Registrations.DeleteExpiredTokens,
		"audit events":          audit.Expire(p.store, p.cfg.AuditRetention),
	} {
		if n, err := del(ctx, now); err != nil {
			p.log.Error("delete expired", "what", what, "err", err)
		} else if n > 0 {
			p.log.Debug("deleted expired", "what", what, "count", n)
		}
	}
}

func (p *Provider) url(path string) string { return fmt.Sprintf("%s%s", p.cfg.Issuer, path) }
