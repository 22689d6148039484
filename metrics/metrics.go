// Package metrics is the provider's operational surface: Prometheus
// metrics on a registry of its own, the per-request middleware that
// counts, times and logs every request under a request id, and the
// counters fed from audit events. Labels only ever hold fixed words (route
// templates, methods, status codes, grant types, reasons chosen by the
// code), never a path, address, account or token, so the number of series
// stays bounded whatever clients send.
package metrics

import (
	"net/http"
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/idp/idp"
	"github.com/idp/idp/password"
	"github.com/idp/idp/storage"
)

// Sources are read at scrape time; a nil one is left out.
type Sources struct {
	// KDF reports the password-hash limiter (password.Limiter.Stats).
	KDF func() password.LimiterStats
	// Pool reports the database connection pool (storage.Store.PoolStats).
	Pool func() storage.PoolStats
}

// Metrics holds the provider's metrics. Each provider has its own registry,
// not Prometheus's global one: tests start many providers in one process,
// and registering a name twice on one registry panics. It is safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	tokens       *prometheus.CounterVec
	logins       *prometheus.CounterVec
	refreshReuse prometheus.Counter
	backchannel  *prometheus.CounterVec
}

// New registers every metric, the Go runtime and process collectors and
// the scrape-time readers of src on a new registry.
func New(src Sources) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := promauto.With(reg)
	m := &Metrics{
		reg: reg,
		requests: f.NewCounterVec(prometheus.CounterOpts{
			Name: "idp_http_requests_total",
			Help: "HTTP requests served, by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name: "idp_http_request_duration_seconds",
			Help: "Time from request to the end of the handler, by route template.",
			// The default buckets (5 ms to 10 s) span a token request
			// (about a millisecond) to a password check queued behind
			// others and the 10 s request deadline.
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		tokens: f.NewCounterVec(prometheus.CounterOpts{
			Name: "idp_tokens_issued_total",
			Help: "Token responses issued, by grant type.",
		}, []string{"grant_type"}),
		logins: f.NewCounterVec(prometheus.CounterOpts{
			Name: "idp_logins_total",
			Help: "Sign-in attempts by result: success, throttled or the reason of a failure (bad_credentials, ...).",
		}, []string{"result"}),
		refreshReuse: f.NewCounter(prometheus.CounterOpts{
			Name: "idp_refresh_reuse_detected_total",
			Help: "Rotated refresh tokens presented again; each revoked its token family (RFC 9700 §4.14.2).",
		}),
		backchannel: f.NewCounterVec(prometheus.CounterOpts{
			Name: "idp_backchannel_deliveries_total",
			Help: "Back-channel logout deliveries by result (delivered, failed, dropped).",
		}, []string{"result"}),
	}
	// Series that alerts select on exist from the start at zero, so a
	// rate() over them is defined before the first event.
	for _, g := range grantTypes {
		m.tokens.WithLabelValues(g)
	}
	for _, r := range []string{LoginSuccess, LoginBadCredentials, LoginThrottled} {
		m.logins.WithLabelValues(r)
	}
	for _, r := range []string{DeliveryDelivered, DeliveryFailed, DeliveryDropped} {
		m.backchannel.WithLabelValues(r)
	}
	registerKDF(f, src.KDF)
	registerPool(f, src.Pool)
	return m
}

// Handler serves the registry in the Prometheus exposition format;
// failures to collect are counted in promhttp_metric_handler_errors_total.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry behind Handler, for tests and for adding
// collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Results of idp_logins_total; a failed sign-in uses its audit reason.
const (
	LoginSuccess        = "success"
	LoginBadCredentials = "bad_credentials"
	LoginThrottled      = "throttled"
	// LoginFailed stands for a failure whose reason is missing or not a
	// plain word.
	LoginFailed = "failed"
)

// Results of idp_backchannel_deliveries_total.
const (
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"  // will be retried
	DeliveryDropped   = "dropped" // gave up after the last attempt
	deliveryOther     = "other"
)

// grantTypes are the grant types the provider serves; any other
// grant_type detail is counted as "other", since the value may come from
// a client's request.
var grantTypes = idp.SupportedGrants()

const grantOther = "other"

// word is what a label taken from an event detail must look like: a fixed
// lower-case word chosen by the code, never free text.
var word = regexp.MustCompile(`^[a-z][a-z_]{0,31}$`)

// Observe counts what an audit event tells: sign-ins by result, tokens by
// grant type, refresh-token reuse. Other event types are ignored, so every
// audit event can be passed.
func (m *Metrics) Observe(e idp.AuditEvent) {
	switch e.Type {
	case idp.AuditLoginSucceeded:
		m.logins.WithLabelValues(LoginSuccess).Inc()
	case idp.AuditLoginThrottled:
		m.logins.WithLabelValues(LoginThrottled).Inc()
	case idp.AuditLoginFailed:
		reason, _ := e.Detail["reason"].(string)
		if !word.MatchString(reason) || reason == LoginSuccess {
			reason = LoginFailed
		}
		m.logins.WithLabelValues(reason).Inc()
	case idp.AuditTokenIssued:
		grant, _ := e.Detail["grant_type"].(string)
		m.tokens.WithLabelValues(knownGrant(grant)).Inc()
	case idp.AuditRefreshReuse:
		m.refreshReuse.Inc()
	}
}

func knownGrant(g string) string {
	for _, k := range grantTypes {
		if g == k {
			return g
		}
	}
	return grantOther
}

// BackchannelDelivery counts one back-channel logout delivery attempt by
// its result (DeliveryDelivered, DeliveryFailed, DeliveryDropped; anything
// else counts as "other").
func (m *Metrics) BackchannelDelivery(result string) {
	switch result {
	case DeliveryDelivered, DeliveryFailed, DeliveryDropped:
	default:
		result = deliveryOther
	}
	m.backchannel.WithLabelValues(result).Inc()
}
