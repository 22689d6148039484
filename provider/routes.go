package provider

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/idp/idp/members"
	"github.com/idp/idp/metrics"
	"github.com/idp/idp/provider/admin"
	"github.com/idp/idp/provider/authflow"
	"github.com/idp/idp/provider/console"
	"github.com/idp/idp/provider/web"
)

// Paths of every endpoint; discovery publishes the protocol ones.
const (
	pathDiscovery       = "/.well-known/openid-configuration"
	pathJWKS            = "/.well-known/jwks.json"
	pathAuthorize       = authflow.PathAuthorize
	pathToken           = "/oauth2/token"
	pathPushed          = authflow.PathPushed
	pathUserinfo        = "/oauth2/userinfo"
	pathIntrospect      = "/oauth2/introspect"
	pathRevoke          = "/oauth2/revoke"
	pathLogout          = "/oauth2/logout"
	pathLogin           = authflow.PathLogin
	pathConsent         = authflow.PathConsent
	pathDeviceAuthorize = "/oauth2/device/authorize"
	pathHealth          = "/healthz"
	pathReady           = "/readyz"
	pathMetrics         = "/metrics"
)

// routes registers every endpoint in one place.
func (p *Provider) routes() http.Handler {
	r := mux.NewRouter()
	// Every request is counted, timed and logged under a request id, here
	// where the route template is known. mux runs r.Use middleware only
	// for matched routes, so the 404 and 405 handlers are wrapped too.
	observe := p.metrics.Middleware(metrics.Requests{
		Log: p.log, Route: routeTemplate,
		Quiet: map[string]bool{pathHealth: true, pathReady: true, pathMetrics: true},
	})
	r.Use(observe)
	// HEAD is GET without the body (RFC 9110 §9.3.2); net/http drops it.
	r.HandleFunc(pathDiscovery, p.handleDiscovery).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(pathJWKS, p.handleJWKS).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(pathAuthorize, p.flow.HandleAuthorize).Methods(http.MethodGet, http.MethodPost)
	r.HandleFunc(pathToken, p.handleToken).Methods(http.MethodPost)
	r.HandleFunc(pathPushed, p.flow.HandlePushed).Methods(http.MethodPost)
	r.HandleFunc(pathUserinfo, p.handleUserinfo).Methods(http.MethodGet, http.MethodPost)
	r.HandleFunc(pathIntrospect, p.handleIntrospect).Methods(http.MethodPost)
	r.HandleFunc(pathRevoke, p.handleRevoke).Methods(http.MethodPost)
	r.HandleFunc(pathLogout, p.handleLogout).Methods(http.MethodGet, http.MethodPost)
	r.HandleFunc(pathLogin, p.flow.HandleLoginPage).Methods(http.MethodGet)
	r.HandleFunc(pathLogin, p.flow.HandleLogin).Methods(http.MethodPost)
	r.HandleFunc(authflow.PathOTP, p.flow.HandleOTPPage).Methods(http.MethodGet)
	r.HandleFunc(authflow.PathOTP, p.flow.HandleOTP).Methods(http.MethodPost)
	r.HandleFunc(authflow.PathOTPEnrol, p.flow.HandleOTPEnrolPage).Methods(http.MethodGet)
	r.HandleFunc(authflow.PathOTPEnrol, p.flow.HandleOTPEnrol).Methods(http.MethodPost)
	r.HandleFunc(authflow.PathOTPQR, p.flow.HandleOTPQR).Methods(http.MethodGet)
	r.HandleFunc(authflow.PathOTPDone, p.flow.HandleOTPDone).Methods(http.MethodPost)
	r.HandleFunc(authflow.PathPasskey, p.flow.HandlePasskey).Methods(http.MethodPost)
	r.HandleFunc(pathConsent, p.flow.HandleConsentPage).Methods(http.MethodGet)
	r.HandleFunc(pathConsent, p.flow.HandleConsent).Methods(http.MethodPost)
	r.HandleFunc(authflow.PathForgot, p.flow.HandleForgotPage).Methods(http.MethodGet)
	r.HandleFunc(authflow.PathForgot, p.flow.HandleForgot).Methods(http.MethodPost)
	r.HandleFunc(members.PathReset, p.flow.HandleResetPage).Methods(http.MethodGet)
	r.HandleFunc(members.PathReset, p.flow.HandleReset).Methods(http.MethodPost)
	r.HandleFunc(members.PathInvite, p.flow.HandleInvitePage).Methods(http.MethodGet)
	r.HandleFunc(members.PathInvite, p.flow.HandleInvite).Methods(http.MethodPost)
	r.HandleFunc(members.PathVerify, p.flow.HandleVerifyPage).Methods(http.MethodGet)
	r.HandleFunc(members.PathVerify, p.flow.HandleVerify).Methods(http.MethodPost)
	r.HandleFunc(authflow.PathSwitch, p.flow.HandleSwitch).Methods(http.MethodPost)
	r.HandleFunc(pathHealth, p.handleHealth).Methods(http.MethodGet)
	p.mountDevice(r)
	p.mountRegistration(r)
	p.mountAdmin(r)
	p.mountConsole(r, console.New(p.consoleConfig()))
	p.account.Routes(func(path, method string, fn http.HandlerFunc) { r.HandleFunc(path, fn).Methods(method) })
	r.HandleFunc(pathReady, p.handleReady).Methods(http.MethodGet)
	if !p.cfg.MetricsElsewhere {
		r.Handle(pathMetrics, p.metrics.Handler()).Methods(http.MethodGet)
	}
	static := http.StripPrefix("/static/", http.FileServerFS(p.web.Static()))
	for _, name := range []string{"style.css", "form_post.js", "passkey.js"} {
		r.Handle("/static/"+name, static).Methods(http.MethodGet)
	}
	p.web.BrandRoutes(func(path string, h http.HandlerFunc) { r.HandleFunc(path, h).Methods(http.MethodGet) })
	r.NotFoundHandler = observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.web.Fail(w, r, web.NotFound, nil)
	}))
	r.MethodNotAllowedHandler = observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.web.Fail(w, r, web.MethodNotAllowed, nil)
	}))
	return securityHeaders(withDeadline(web.WithLocales(p.limitBody(r, observe))), strings.HasPrefix(p.cfg.Issuer, "https://"))
}

// maxBodyBytes bounds every request body. Every endpoint takes a form of
// a few parameters, the largest legitimate one an authorization request
// with a claims request and hints of a few kilobytes; 64 KiB is ample for
// that and keeps an unauthenticated request from making the provider read,
// parse or store megabytes.
const maxBodyBytes = 64 << 10

// limitBody refuses a body declared larger than maxBodyBytes with 413
// before reading it, and cuts off an undeclared (chunked) one at the
// limit, which the form parsers then report as a malformed request.
func (p *Provider) limitBody(next http.Handler, observe func(http.Handler) http.Handler) http.Handler {
	// The refusal comes before routing, so it is observed here, under the
	// route label of unmatched requests.
	tooLarge := observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const msg = "The request body is larger than 64 KiB."
		switch r.URL.Path {
		case pathToken, pathIntrospect, pathRevoke, pathUserinfo, pathDeviceAuthorize:
			w.Header().Set("Cache-Control", "no-store")
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "invalid_request", "error_description": msg})
		default:
			if strings.HasPrefix(r.URL.Path, admin.Prefix+"/") {
				admin.WriteTooLarge(w)
				return
			}
			p.web.Fail(w, r, web.TooLarge, nil)
		}
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			tooLarge.ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// hstsMaxAge is one year: long enough that a browser that once reached the
// provider never again sends its cookies or codes over plain http, the
// figure RFC 6797 §11.2 and browser preload lists work with.
const hstsMaxAge = "max-age=31536000"

// requestDeadline bounds the work of one request, database calls
// included: a database that hangs rather than refusing makes requests fail
// with 503 temporarily_unavailable after this long instead of piling up.
// It is shorter than the server's write timeout, so the answer still
// reaches the client.
const requestDeadline = 10 * time.Second

func withDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), requestDeadline)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// securityHeaders sets the headers every response carries: no framing
// (clickjacking, RFC 9700 §4.16), no sniffing, no referrer leaking codes or
// flow ids, and a strict content policy for the pages, whose only script
// is the provider's own form_post submitter or passkey script. An https provider also pins
// browsers to https (RFC 6797); an http one (development) must not, or
// it would break every other http service on the host.
func securityHeaders(next http.Handler, https bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'")
		if https {
			h.Set("Strict-Transport-Security", hstsMaxAge)
		}
		next.ServeHTTP(w, r)
	})
}

func (p *Provider) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, err := p.store.Keys.List(r.Context()); err != nil {
		p.log.ErrorContext(r.Context(), "health check", "err", err)
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// routeTemplate is the path template of the route that matched r, or ""
// outside a matched route (mux.CurrentRoute is nil there).
func routeTemplate(r *http.Request) string {
	if cr := mux.CurrentRoute(r); cr != nil {
		if t, err := cr.GetPathTemplate(); err == nil {
			return t
		}
	}
	return ""
}

// readyTimeout bounds the readiness checks: a probe that waits longer than
// the orchestrator's own timeout tells it nothing.
const readyTimeout = 2 * time.Second

// handleReady answers 200 only when this replica can serve sign-ins and
// tokens: the store answers, a signing key is in force, and the schema has
// every migration this build expects. Otherwise 503 with a short reason,
// so a load balancer or Kubernetes keeps traffic away until it is fixed;
// unlike /healthz, a failure here is no reason to restart the process.
func (p *Provider) handleReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	notReady := func(reason string, err error) {
		if err != nil {
			p.log.WarnContext(ctx, "not ready", "reason", reason, "err", err)
		}
		http.Error(w, "not ready: "+reason, http.StatusServiceUnavailable)
	}
	if err := p.store.Ping(ctx); err != nil {
		notReady("store unavailable", err)
		return
	}
	if k := p.keys.Active(); k.Private == nil || k.ActiveAt.After(p.cfg.Now()) {
		notReady("no signing key in force", nil)
		return
	}
	current, err := p.store.MigrationsCurrent(ctx)
	if err != nil {
		notReady("cannot read the schema version", err)
		return
	}
	if !current {
		notReady("database migrations pending", nil)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ready\n"))
}
