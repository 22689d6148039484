package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"
	"unicode"

	"github.com/idp/idp"
	"github.com/idp/idp/audit"
	"github.com/idp/idp/clients"
	"github.com/idp/idp/keys"
	"github.com/idp/idp/mail"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/provider/registration"
	"github.com/idp/idp/provider/web"
	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// serveConfig is the configuration of idp serve.
type serveConfig struct {
	Issuer                    string
	Listen                    string
	Database                  string
	Bootstrap                 string
	Secret                    string
	CookieDomain              string
	SessionIdle               time.Duration
	SessionLifetime           time.Duration
	AccessTokenLifespan       time.Duration
	RefreshTokenLifespan      time.Duration
	RefreshReuseInterval      time.Duration
	DeviceCodeLifespan        time.Duration
	KeepRefreshTokensOnLogout bool
	AllowPlainOAuth           bool
	DPoPNonce                 bool
	RequirePAR                bool
	RequireMFAForRole         string
	PARLifespan               time.Duration
	KDFConcurrency            int
	KDFQueue                  int
	KDFWait                   time.Duration
	TrustedProxies            string
	Registration              string
	RegistrationScopes        string
	LogLevel                  slog.Level
	LogFormat                 string
	MetricsListen             string
	KeyRotationInterval       time.Duration
	AuditRetention            time.Duration
	// SMTPURL holds the mail server's password: never printed.
	SMTPURL      string
	MailFrom     string
	BrandName    string
	BrandLogo    string
	BrandColor   string
	TemplatesDir string
}

func (cfg *serveConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&cfg.Issuer, "issuer", "http://localhost:8080", "public base URL of the provider, the \"iss\" of its tokens")
	fs.StringVar(&cfg.Listen, "listen", ":8080", "address to listen on")
	databaseVar(fs, &cfg.Database)
	fs.StringVar(&cfg.Bootstrap, "bootstrap", "", "YAML file of clients and members to create or update at start")
	fs.StringVar(&cfg.Secret, "secret", "", secretFlagUsage)
	fs.StringVar(&cfg.CookieDomain, "cookie-domain", "", "domain of the session cookie (default: the issuer's host only)")
	fs.DurationVar(&cfg.SessionIdle, "session-idle", provider.DefaultSessionIdleTimeout, "end a session unused for this long")
	fs.DurationVar(&cfg.SessionLifetime, "session-lifetime", provider.DefaultSessionLifetime, "end a session this long after sign-in")
	fs.DurationVar(&cfg.AccessTokenLifespan, "access-token-lifespan", provider.DefaultAccessTokenLifespan, "lifetime of access tokens")
	fs.DurationVar(&cfg.RefreshTokenLifespan, "refresh-token-lifespan", provider.DefaultRefreshTokenLifespan, "sliding lifetime of refresh tokens (at most the 90-day maximum refresh token lifetime)")
	fs.DurationVar(&cfg.RefreshReuseInterval, "refresh-token-reuse-interval", 0,
		"for this long after a refresh, the same client presenting the old refresh token gets the same answer (0: any reuse revokes the family)")
	fs.DurationVar(&cfg.DeviceCodeLifespan, "device-code-lifespan", provider.DefaultDeviceCodeLifespan,
		"how long a device authorization (RFC 8628) waits for the member to enter its code and answer")
	fs.BoolVar(&cfg.KeepRefreshTokensOnLogout, "keep-refresh-tokens-on-logout", false, "leave refresh tokens alive when their session ends")
	fs.BoolVar(&cfg.AllowPlainOAuth, "allow-plain-oauth", false, "let confidential clients use the code flow without PKCE")
	fs.BoolVar(&cfg.DPoPNonce, "dpop-nonce", false, "require a server nonce in every DPoP proof (RFC 9449 §8)")
	fs.BoolVar(&cfg.RequirePAR, "require-par", false, "refuse authorization requests not pushed to the PAR endpoint first (RFC 9126), for every client")
	fs.StringVar(&cfg.RequireMFAForRole, "require-mfa-for-role", "",
		"comma-separated roles (admin, member) whose members must pass a second factor at every sign-in, enrolling one at their next sign-in if they have none")
	fs.DurationVar(&cfg.PARLifespan, "par-lifespan", provider.DefaultPARLifespan, "how long a pushed request_uri may be used")
	fs.IntVar(&cfg.KDFConcurrency, "kdf-concurrency", 0, "password and client-secret derivations run at once, 19 MiB each (0: one per CPU core)")
	fs.IntVar(&cfg.KDFQueue, "kdf-queue", 0, "derivations that may wait for a slot before requests get 503 (0: four per slot)")
	fs.DurationVar(&cfg.KDFWait, "kdf-wait", provider.DefaultKDFWait, "longest wait for a derivation slot before a request gets 503")
	fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", "", "comma-separated CIDR prefixes (or addresses) of the reverse proxies whose X-Forwarded-For/Forwarded headers name the client (default: none, the TCP peer is the client)")
	fs.StringVar(&cfg.Registration, "registration", string(registration.Off),
		"dynamic client registration at "+registration.Path+" (RFC 7591): off; token, with an initial access token from idp registration-token create; or open to anyone")
	fs.StringVar(&cfg.RegistrationScopes, "registration-scopes", strings.Join(clients.DefaultRegistrationScopes, " "),
		"the only scopes a self-registered client may ask for, separated by spaces or commas (never "+idp.ScopeAdmin+")")
	fs.TextVar(&cfg.LogLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "log format: text (key=value lines) or json (one JSON object a line)")
	fs.DurationVar(&cfg.KeyRotationInterval, "key-rotation-interval", 0,
		"add the next signing key this long after the last one started signing, and remove retired keys once their tokens expired (at least "+keys.MinRotationInterval.String()+"; 0: rotate only with idp keys rotate)")
	fs.DurationVar(&cfg.AuditRetention, "audit-retention", audit.DefaultRetention, "delete audit events older than this")
	fs.StringVar(&cfg.SMTPURL, "smtp-url", "",
		"mail server for password reset, address verification and invitation links: smtp://user:password@host:port (STARTTLS when offered) or smtps://... (implicit TLS); empty: those features are off")
	fs.StringVar(&cfg.MailFrom, "mail-from", "", "sender of the provider's mail, e.g. \"Example ID <id@example.com>\" (required with --smtp-url)")
	fs.StringVar(&cfg.BrandName, "brand-name", "", "the organisation's name, shown on every page")
	fs.StringVar(&cfg.BrandLogo, "brand-logo", "", "logo file shown on every page: PNG, JPEG, WebP or SVG, at most 256 KiB, read at start")
	fs.StringVar(&cfg.BrandColor, "brand-color", "", "accent colour of buttons and focus rings, #rgb or #rrggbb")
	fs.StringVar(&cfg.TemplatesDir, "templates-dir", "", "directory of templates (and style.css) replacing the embedded ones of the same name; a broken one stops start-up")
	fs.StringVar(&cfg.MetricsListen, "metrics-listen", "", "serve GET /metrics on this address only, not on --listen (default: on --listen)")
}

// Validate reports every problem at once, naming the flag and its twin.
func (cfg *serveConfig) Validate() error {
	var errs []error
	if err := provider.ValidateIssuer(cfg.Issuer); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", setting("issuer"), err))
	}
	if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		errs = append(errs, fmt.Errorf("%s: %q: want host:port or :port", setting("listen"), cfg.Listen))
	}
	if cfg.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(cfg.MetricsListen); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q: want host:port or :port", setting("metrics-listen"), cfg.MetricsListen))
		}
	}
	if cfg.LogFormat != "" && cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("%s: %q: want text or json", setting("log-format"), cfg.LogFormat))
	}
	errs = append(errs, checkDatabase(cfg.Database), checkSecret(cfg.Secret, cfg.Database))
	_, bad := parsePrefixes(cfg.TrustedProxies)
	for _, err := range bad {
		errs = append(errs, fmt.Errorf("%s: %w", setting("trusted-proxies"), err))
	}
	for name, d := range map[string]time.Duration{
		"session-idle": cfg.SessionIdle, "session-lifetime": cfg.SessionLifetime,
		"access-token-lifespan": cfg.AccessTokenLifespan, "refresh-token-lifespan": cfg.RefreshTokenLifespan,
		"device-code-lifespan": cfg.DeviceCodeLifespan,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive, got %v", setting(name), d))
		}
	}
	for name, n := range map[string]int{"kdf-concurrency": cfg.KDFConcurrency, "kdf-queue": cfg.KDFQueue} {
		if n < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative, got %d", setting(name), n))
		}
	}
	if cfg.RefreshTokenLifespan > provider.DefaultRefreshTokenMaxLifetime {
		errs = append(errs, fmt.Errorf("%s: %v exceeds the maximum refresh token lifetime %v",
			setting("refresh-token-lifespan"), cfg.RefreshTokenLifespan, provider.DefaultRefreshTokenMaxLifetime))
	}
	if cfg.KDFWait <= 0 {
		errs = append(errs, fmt.Errorf("%s: must be positive, got %v", setting("kdf-wait"), cfg.KDFWait))
	}
	if _, err := parseRoles(cfg.RequireMFAForRole); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", setting("require-mfa-for-role"), err))
	}
	if _, err := registration.ParseMode(cfg.Registration); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", setting("registration"), err))
	}
	errs = append(errs, clients.ValidateRegistrationScopes(setting("registration-scopes"), splitList(cfg.RegistrationScopes)))
	if cfg.PARLifespan < 0 {
		errs = append(errs, fmt.Errorf("%s: must not be negative, got %v", setting("par-lifespan"), cfg.PARLifespan))
	}
	if cfg.KeyRotationInterval < 0 || (cfg.KeyRotationInterval > 0 && cfg.KeyRotationInterval < keys.MinRotationInterval) {
		errs = append(errs, fmt.Errorf("%s: %v: want 0 (off) or at least %v", setting("key-rotation-interval"),
			cfg.KeyRotationInterval, keys.MinRotationInterval))
	}
	if cfg.AuditRetention <= 0 {
		errs = append(errs, fmt.Errorf("%s: must be positive, got %v", setting("audit-retention"), cfg.AuditRetention))
	}
	if cfg.RefreshReuseInterval < 0 {
		errs = append(errs, fmt.Errorf("%s: must not be negative, got %v", setting("refresh-token-reuse-interval"), cfg.RefreshReuseInterval))
	}
	switch {
	case cfg.SMTPURL != "":
		// The errors never repeat the URL's password.
		if err := (mail.Config{URL: cfg.SMTPURL, From: cfg.MailFrom}).Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s, %s: %w", setting("smtp-url"), setting("mail-from"), err))
		}
	case cfg.MailFrom != "":
		errs = append(errs, fmt.Errorf("%s: set only with %s", setting("mail-from"), setting("smtp-url")))
	}
	if cfg.BrandColor != "" {
		if err := web.CheckColor(cfg.BrandColor); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", setting("brand-color"), err))
		}
	}
	if cfg.BrandLogo != "" {
		if _, _, err := web.ReadLogo(cfg.BrandLogo); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", setting("brand-logo"), err))
		}
	}
	return errors.Join(errs...)
}

func (c *cli) serveCommand() *ffcli.Command {
	var cfg serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.register(fs)
	return c.serverCommand("serve", "idp serve [flags]", "run the provider", fs, func(ctx context.Context) error {
		if err := cfg.Validate(); err != nil {
			return err
		}
		return c.serve(ctx, cfg)
	})
}

// Timeouts of the HTTP server: slow clients must not hold connections
// open indefinitely.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	shutdownTimeout   = 15 * time.Second
)

// serve prepares the database, starts the provider and serves it until ctx
// is cancelled, then drains open requests.
func (c *cli) serve(ctx context.Context, cfg serveConfig) error {
	log := newLogger(c.stderr, cfg.LogFormat, cfg.LogLevel)
	secret, err := resolveSecret(cfg.Secret, cfg.Database, log)
	if err != nil {
		return err
	}
	store, err := createStore(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer store.Close()
	var demoApps []string
	if cfg.Bootstrap != "" {
		if demoApps, err = applyBootstrapFile(ctx, store, cfg.Bootstrap, secret, log); err != nil {
			return err
		}
		// Each bootstrap secret costs a memory-hard derivation; the
		// runtime would keep the freed tens of megabytes for hours.
		debug.FreeOSMemory()
	}
	p, err := provider.New(ctx, providerConfig(cfg, store, secret, log))
	if err != nil {
		return fmt.Errorf("start provider: %w", err)
	}
	defer p.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if cfg.MetricsListen != "" {
		stop, err := serveMetrics(cfg.MetricsListen, p.Metrics().Handler(), log)
		if err != nil {
			_ = ln.Close()
			return err
		}
		defer stop()
	}
	msg, args := startLine(cfg.Issuer, ln.Addr(), demoApps)
	return serveUntilDone(ctx, newServer(p, log), ln, msg, args, log)
}

func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// newLogger returns the server's logger in the format Validate accepted
// ("" is text).
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serveMetrics serves GET /metrics, and nothing else, on addr until the
// returned function is called, so scrapes can stay on an internal network
// while the provider's own listener faces the public.
func serveMetrics(addr string, metrics http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	srv := newServer(mux, log)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serve metrics", "err", err)
		}
	}()
	log.Info("serving metrics on http://" + ln.Addr().String() + "/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

func providerConfig(cfg serveConfig, store *storage.Store, secret []byte, log *slog.Logger) provider.Config {
	proxies, _ := parsePrefixes(cfg.TrustedProxies)  // checked by Validate
	mfaRoles, _ := parseRoles(cfg.RequireMFAForRole) // checked by Validate
	return provider.Config{
		TrustedProxies:            proxies,
		Issuer:                    cfg.Issuer,
		Store:                     store,
		Secret:                    secret,
		Logger:                    log,
		CookieDomain:              cfg.CookieDomain,
		SessionIdleTimeout:        cfg.SessionIdle,
		SessionLifetime:           cfg.SessionLifetime,
		KeepRefreshTokensOnLogout: cfg.KeepRefreshTokensOnLogout,
		AllowPlainOAuth:           cfg.AllowPlainOAuth,
		DPoPNonce:                 cfg.DPoPNonce,
		RequirePAR:                cfg.RequirePAR,
		RequireMFAForRoles:        mfaRoles,
		PARLifespan:               cfg.PARLifespan,
		AccessTokenLifespan:       cfg.AccessTokenLifespan,
		RefreshTokenLifespan:      cfg.RefreshTokenLifespan,
		KDFConcurrency:            cfg.KDFConcurrency,
		KDFQueue:                  cfg.KDFQueue,
		KDFWait:                   cfg.KDFWait,
		RefreshReuseInterval:      cfg.RefreshReuseInterval,
		DeviceCodeLifespan:        cfg.DeviceCodeLifespan,
		Registration:              registrationConfig(cfg),
		MetricsElsewhere:          cfg.MetricsListen != "",
		KeyRotationInterval:       cfg.KeyRotationInterval,
		AuditRetention:            cfg.AuditRetention,
		SMTPURL:                   cfg.SMTPURL,
		MailFrom:                  cfg.MailFrom,
		BrandName:                 cfg.BrandName,
		BrandLogo:                 cfg.BrandLogo,
		BrandColor:                cfg.BrandColor,
		TemplatesDir:              cfg.TemplatesDir,
	}
}

// registrationConfig is the registration part of the provider's
// configuration; Validate has checked it.
func registrationConfig(cfg serveConfig) registration.Config {
	mode, _ := registration.ParseMode(cfg.Registration)
	return registration.Config{Mode: mode, Scopes: splitList(cfg.RegistrationScopes)}
}

// splitList reads a list separated by commas or white space, as
// --trusted-proxies and --registration-scopes take it.
func splitList(list string) []string {
	return strings.FieldsFunc(list, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// parsePrefixes reads a list of CIDR prefixes separated by commas or
// white space; a bare address stands for itself alone (/32 or /128). It
// returns an error for each bad entry.
func parsePrefixes(list string) ([]netip.Prefix, []error) {
	var out []netip.Prefix
	var errs []error
	for _, s := range splitList(list) {
		if pfx, err := netip.ParsePrefix(s); err == nil {
			out = append(out, pfx.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		} else {
			errs = append(errs, fmt.Errorf("%q is not a CIDR prefix or an IP address", s))
		}
	}
	return out, errs
}

// discoveryPath is where the discovery document is served, fixed by
// OpenID Connect Discovery 1.0 §4 for an issuer without a path.
const discoveryPath = "/.well-known/openid-configuration"

// startLine is the log line that says the provider serves: the issuer
// and its discovery document, which is what a new user or a client's
// configuration needs, rather than the bound address (tests read that back
// from "listen" when listening on port 0); and, when the demo bootstrap
// was loaded, where to go next.
func startLine(issuer string, addr net.Addr, demoApps []string) (string, []any) {
	msg := "serving " + issuer
	args := []any{"issuer", issuer, "discovery", issuer + discoveryPath, "listen", addr.String()}
	if len(demoApps) > 0 {
		msg += "; demo loaded: start the demo apps (see examples/README.md) and open " + demoApps[0]
		args = append(args, "demo_apps", strings.Join(demoApps, " "))
	}
	return msg, args
}

// serveUntilDone serves on ln until ctx is cancelled or the server fails,
// then shuts down gracefully, logging msg and args (see startLine) once it
// serves.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, msg string, args []any, log *slog.Logger) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info(msg, args...)
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// parseRoles reads a comma-separated list of role names; empty is none.
func parseRoles(list string) ([]idp.Role, error) {
	var roles []idp.Role
	for _, name := range strings.Split(list, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		r, err := idp.ParseRole(name)
		if err != nil {
			return nil, err
		}
		roles = append(roles, r)
	}
	return roles, nil
}
