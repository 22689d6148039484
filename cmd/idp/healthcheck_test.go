package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idp/idp/storage"
)

func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/readyz", http.StatusFound)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	wantContains(t, runOK(t, "", "healthcheck", "--url", srv.URL+"/readyz"), "200 OK")
	wantContains(t, runOK(t, "", "healthcheck", "--listen", addr), "/readyz: 200 OK")
	if out, errOut, err := (invocation{env: map[string]string{"IDP_LISTEN": addr}}).run(t, "healthcheck"); err != nil {
		t.Fatalf("healthcheck with IDP_LISTEN: %v\n%s%s", err, out, errOut)
	}
	if strings.Join(paths, " ") != "/readyz /readyz /readyz" {
		t.Fatalf("paths asked = %v; want /readyz each time", paths)
	}
	wantContains(t, idpFails(t, "", "healthcheck", "--url", srv.URL+"/moved"), "302 Found", "not healthy")
	status = http.StatusServiceUnavailable
	wantContains(t, idpFails(t, "", "healthcheck", "--url", srv.URL+"/readyz"), "503 Service Unavailable", "not healthy")
	srv.Close()
	wantContains(t, idpFails(t, "", "healthcheck", "--listen", addr), "GET http://"+addr+"/readyz")
	wantContains(t, idpFails(t, "", "healthcheck", "--url", "localhost:8080"), `--url: "localhost:8080" is not an absolute http(s) URL`)
	wantContains(t, idpFails(t, "", "healthcheck", "--listen", "8080"), "--listen/IDP_LISTEN")
}

func TestHealthcheckTarget(t *testing.T) {
	for listen, want := range map[string]string{
		":8080": "http://127.0.0.1:8080/readyz", "0.0.0.0:80": "http://127.0.0.1:80/readyz",
		"[::]:8080": "http://127.0.0.1:8080/readyz", "127.0.0.2:9": "http://127.0.0.2:9/readyz",
		"[::1]:8080": "http://[::1]:8080/readyz",
	} {
		if got, err := (healthcheckConfig{Listen: listen}).target(); err != nil || got != want {
			t.Errorf("target of --listen %s = %q, %v; want %q", listen, got, err, want)
		}
	}
}

// TestHealthcheckAgainstServe checks a running provider. /readyz is not
// served yet, so the command is pointed at /healthz.
func TestHealthcheckAgainstServe(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		args := []string{"--database", dsn}
		if storage.IsPostgres(dsn) {
			args = append(args, "--secret", strings.Repeat("s", 32))
		}
		base, logs := startServe(t, args...)
		if strings.Contains(logs.String(), "demo") {
			t.Errorf("without the demo bootstrap, the start line names demo apps:\n%s", logs)
		}
		wantContains(t, runOK(t, "", "healthcheck", "--url", base+"/healthz"), "200 OK")
		wantContains(t, idpFails(t, "", "healthcheck", "--url", base+"/nowhere"), "404")
	})
}
