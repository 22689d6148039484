package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/idp/idp/storage"
)

var servingMetrics = regexp.MustCompile(`serving metrics on (http://[^ "]+)`)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func serveArgs(dsn string, more ...string) []string {
	args := []string{"--database", dsn, "--issuer", "http://id.localhost:8080"}
	if storage.IsPostgres(dsn) {
		args = append(args, "--secret", "0123456789abcdef0123456789abcdef")
	}
	return append(args, more...)
}

// TestServeJSONLogsAndMetrics: with --log-format json every line of the
// log is a JSON object and each request has one with its request id;
// /metrics and /readyz are served on the main listener by default.
func TestServeJSONLogsAndMetrics(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		base, logs := startServe(t, serveArgs(dsn, "--log-format", "json")...)
		resp, err := http.Get(base + "/.well-known/openid-configuration?probe=q-7d1e")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		id := resp.Header.Get("X-Request-Id")
		if code, body := get(t, base+"/metrics"); code != http.StatusOK || !strings.Contains(body,
			`idp_http_requests_total{code="200",method="GET",route="/.well-known/openid-configuration"} 1`) {
			t.Errorf("GET /metrics = %d, want 200 with the discovery request counted:\n%s", code, body)
		}
		if code, body := get(t, base+"/readyz"); code != http.StatusOK {
			t.Errorf("GET /readyz = %d %q, want 200", code, body)
		}
		found := false
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Errorf("log line is not JSON: %v: %s", err, l)
				continue
			}
			if rec["msg"] == "request" && rec["request_id"] == id {
				found = true
				if rec["route"] != "/.well-known/openid-configuration" || strings.Contains(l, "q-7d1e") {
					t.Errorf("request line = %s", l)
				}
			}
		}
		if !found {
			t.Errorf("no request line with request_id %q in:\n%s", id, logs.String())
		}
	})
}

// TestServeMetricsListen: with --metrics-listen the metrics are served
// there and no longer on the provider's public listener.
func TestServeMetricsListen(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		base, logs := startServe(t, serveArgs(dsn, "--metrics-listen", "127.0.0.1:0")...)
		m := servingMetrics.FindStringSubmatch(logs.String())
		if m == nil {
			t.Fatalf("no metrics address in the log:\n%s", logs.String())
		}
		if code, body := get(t, m[1]); code != http.StatusOK || !strings.Contains(body, "idp_db_pool_max_connections") {
			t.Errorf("GET %s = %d, want 200 with the metrics:\n%s", m[1], code, body)
		}
		if code, _ := get(t, base+"/metrics"); code != http.StatusNotFound {
			t.Errorf("GET /metrics on the main listener = %d, want 404", code)
		}
		if code, _ := get(t, strings.TrimSuffix(m[1], "/metrics")+"/healthz"); code != http.StatusNotFound {
			t.Errorf("the metrics listener serves /healthz (%d); it should serve /metrics only", code)
		}
	})
}

// TestServeObservabilitySettingsValidated: bad values are refused naming
// the flag and its environment twin, from either.
func TestServeObservabilitySettingsValidated(t *testing.T) {
	dsn := newDatabase(t)
	_, _, err := invocation{env: map[string]string{"IDP_LOG_FORMAT": "yaml", "IDP_METRICS_LISTEN": "9100",
		"IDP_LOG_LEVEL": "warn", "IDP_DATABASE_URL": dsn}}.run(t, "serve")
	if err == nil {
		t.Fatal("serve accepted IDP_LOG_FORMAT=yaml and IDP_METRICS_LISTEN=9100")
	}
	wantContains(t, err.Error(), `--log-format/IDP_LOG_FORMAT: "yaml": want text or json`,
		`--metrics-listen/IDP_METRICS_LISTEN: "9100": want host:port`)
	_, _, err = invocation{env: map[string]string{"IDP_LOG_LEVEL": "loud", "IDP_DATABASE_URL": dsn}}.run(t, "serve")
	if err == nil || !strings.Contains(err.Error(), "IDP_LOG_LEVEL") {
		t.Errorf("serve with IDP_LOG_LEVEL=loud: %v; want it refused by name", err)
	}
}
