package provider_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/oauth2"

	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
	"github.com/idp/idp/storage/storagetest"
)

// logBuffer collects a provider's log for inspection; the provider writes
// from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func capturedLog(l *logBuffer) func(*provider.Config) {
	return func(c *provider.Config) {
		c.Logger = slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
}

// scrape fetches /metrics and parses it with the Prometheus text parser.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mfs
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// sample returns the value of the sample of family name whose labels
// include want, or -1 when there is none.
func sample(mfs map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	mf := mfs[name]
	if mf == nil {
		return -1
	}
next:
	for _, m := range mf.GetMetric() {
		for k, v := range want {
			if label(m, k) != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// TestMetricsAfterFlow runs a full sign-in and token exchange and a few
// requests to addresses no route serves, then scrapes /metrics: requests
// are counted by route template, never by the raw path, and the
// password-hash and database pool readings are there.
func TestMetricsAfterFlow(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t))
		e.signedIn(e.webRP(), e.browser())
		const probe = "no-such-page-7f3a"
		for _, req := range []struct{ method, path string }{
			{http.MethodGet, "/" + probe},
			{http.MethodGet, "/static/" + probe + ".css"},
			{http.MethodDelete, "/oauth2/token?" + probe},
			{"BREW", "/oauth2/token"},
		} {
			r, _ := http.NewRequest(req.method, e.issuer+req.path, nil)
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		big := strings.NewReader("grant_type=client_credentials&pad=" + strings.Repeat("x", 100<<10))
		resp, err := http.Post(e.issuer+"/oauth2/token", "application/x-www-form-urlencoded", big)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !requestID.MatchString(resp.Header.Get("X-Request-Id")) {
			t.Errorf("oversized token request: %d, X-Request-Id %q; want 413 with a request id",
				resp.StatusCode, resp.Header.Get("X-Request-Id"))
		}

		mfs := scrape(t, e.issuer)
		for _, want := range []map[string]string{
			{"route": "/oauth2/authorize", "method": "GET", "code": "303"},
			{"route": "/login", "method": "POST"},
			{"route": "/oauth2/token", "method": "POST", "code": "200"},
			{"route": "/.well-known/openid-configuration", "method": "GET", "code": "200"},
			{"route": "unmatched", "method": "GET", "code": "404"},
			{"route": "unmatched", "method": "DELETE", "code": "405"},
			{"route": "unmatched", "method": "other", "code": "405"},
			{"route": "unmatched", "method": "POST", "code": "413"},
		} {
			if v := sample(mfs, "idp_http_requests_total", want); v < 1 {
				t.Errorf("idp_http_requests_total%v = %v, want at least 1", want, v)
			}
		}
		if v := sample(mfs, "idp_http_request_duration_seconds", map[string]string{"route": "/oauth2/token"}); v < 1 {
			t.Errorf("token request duration observations = %v, want at least 1", v)
		}
		routes := map[string]bool{"unmatched": true}
		for _, p := range []string{"/.well-known/openid-configuration", "/.well-known/jwks.json", "/oauth2/authorize",
			"/oauth2/token", "/oauth2/userinfo", "/oauth2/introspect", "/oauth2/revoke", "/oauth2/logout", "/login",
			"/consent", "/healthz", "/readyz", "/metrics", "/static/style.css", "/static/form_post.js"} {
			routes[p] = true
		}
		for _, name := range []string{"idp_http_requests_total", "idp_http_request_duration_seconds"} {
			for _, m := range mfs[name].GetMetric() {
				if r := label(m, "route"); !routes[r] || strings.Contains(r, probe) {
					t.Errorf("%s has route label %q, not a route template", name, r)
				}
			}
		}
		if v := sample(mfs, "idp_password_hash_derivations_total", nil); v < 1 {
			t.Errorf("idp_password_hash_derivations_total = %v after a sign-in, want at least 1", v)
		}
		for _, name := range []string{"idp_password_hash_queue_depth", "idp_password_hash_queue_wait_seconds_total",
			"idp_password_hash_in_flight", "idp_db_pool_open_connections", "idp_db_pool_in_use_connections",
			"idp_db_pool_waits_total", "go_goroutines", "process_resident_memory_bytes"} {
			if sample(mfs, name, nil) < 0 {
				t.Errorf("%s missing", name)
			}
		}
		if v := sample(mfs, "idp_db_pool_max_connections", nil); v < 1 {
			t.Errorf("idp_db_pool_max_connections = %v, want the pool size", v)
		}
		for _, want := range []struct {
			name   string
			labels map[string]string
		}{
			{"idp_logins_total", map[string]string{"result": "success"}},
			{"idp_tokens_issued_total", map[string]string{"grant_type": "authorization_code"}},
			{"idp_refresh_reuse_detected_total", nil},
			{"idp_backchannel_deliveries_total", map[string]string{"result": "delivered"}},
		} {
			if sample(mfs, want.name, want.labels) < 0 {
				t.Errorf("%s%v missing", want.name, want.labels)
			}
		}
		// Fed by the audit trail once the sign-in and the exchange commit.
		for _, want := range []struct {
			name   string
			labels map[string]string
		}{
			{"idp_logins_total", map[string]string{"result": "success"}},
			{"idp_tokens_issued_total", map[string]string{"grant_type": "authorization_code"}},
		} {
			if v := sample(mfs, want.name, want.labels); v != 1 {
				t.Errorf("%s%v = %v after one sign-in and one exchange, want 1", want.name, want.labels, v)
			}
		}
	})
}

var requestID = regexp.MustCompile(`^[0-9a-f]{16}$`)

// TestRequestLog: an authorization request with state and a PKCE
// challenge is logged in one line with its request id, route, method,
// status and duration, and neither its query nor a header value; a
// request id the client sends is not taken.
func TestRequestLog(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		var logs logBuffer
		e := newEnv(t, open(t), capturedLog(&logs))
		r := e.webRP()
		a := newAuthRequest()
		const forged = "forged-request-id"
		req, _ := http.NewRequest(http.MethodGet, r.authURL(a), nil)
		req.Header.Set("X-Request-Id", forged)
		req.Header.Set("User-Agent", "agent-b5e1")
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		id := resp.Header.Get("X-Request-Id")
		if !requestID.MatchString(id) {
			t.Fatalf("X-Request-Id = %q, want 16 hex digits generated by the provider", id)
		}

		var line string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "request_id="+id) {
				line = l
			}
		}
		if line == "" {
			t.Fatalf("no log line with request_id=%s in:\n%s", id, logs.String())
		}
		wantContains(t, line, "msg=request", "route=/oauth2/authorize", "method=GET", "status=303", "duration=")
		challenge := oauth2.S256ChallengeFromVerifier(a.verifier)
		for _, secret := range []string{a.state, a.nonce, challenge, "code_challenge", "redirect_uri", "?", "agent-b5e1"} {
			if strings.Contains(line, secret) {
				t.Errorf("request log line contains %q: %s", secret, line)
			}
		}
		if strings.Contains(logs.String(), forged) {
			t.Errorf("the client's X-Request-Id reached the log:\n%s", logs.String())
		}
	})
}

func wantContains(t *testing.T, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%q lacks %q", s, w)
		}
	}
}

// TestReadyz: /readyz answers 200 only while the store answers, a signing
// key is in force and no migration is pending, and 503 with the reason
// otherwise; it is never cached.
func TestReadyz(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		var offset atomic.Int64
		clock := func(c *provider.Config) {
			c.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		}
		e := newEnv(t, open(t), clock)
		ready := func(wantCode int, wantBody string) {
			t.Helper()
			resp, err := http.Get(e.issuer + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != wantCode || !strings.Contains(string(body), wantBody) {
				t.Errorf("/readyz = %d %q, want %d %q", resp.StatusCode, body, wantCode, wantBody)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("/readyz Cache-Control = %q, want no-store", cc)
			}
		}
		ready(http.StatusOK, "ready")

		if err := e.store.MigrateDown(t.Context()); err != nil {
			t.Fatal(err)
		}
		ready(http.StatusServiceUnavailable, "database migrations pending")
		if err := e.store.MigrateUp(t.Context()); err != nil {
			t.Fatal(err)
		}
		ready(http.StatusOK, "ready")

		// A clock set back before the only key took over: nothing may sign.
		offset.Store(int64(-time.Hour))
		ready(http.StatusServiceUnavailable, "no signing key in force")
		offset.Store(0)
		ready(http.StatusOK, "ready")
	})
}

// TestReadyzStoreClosed: a provider whose store is gone is not ready,
// while /healthz, which only says the process serves, is not asked here.
func TestReadyzStoreClosed(t *testing.T) {
	for name, dsn := range map[string]func(t testing.TB) string{
		"sqlite":   func(t testing.TB) string { return t.TempDir() + "/idp.db" },
		"postgres": storagetest.PostgresDSN,
	} {
		t.Run(name, func(t *testing.T) {
			store, err := storage.Open(t.Context(), dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			if err := store.MigrateUp(t.Context()); err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, store)
			if err := store.Close(); err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get(e.issuer + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "store unavailable") {
				t.Errorf("/readyz with the store closed = %d %q, want 503 store unavailable", resp.StatusCode, body)
			}
		})
	}
}
