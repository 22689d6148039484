package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idp/idp/internal/idptest"
)

// fakeProvider serves discovery and a client-credentials token endpoint
// that insists on HTTP Basic client authentication (RFC 6749 §2.3.1).
func fakeProvider(t *testing.T, tokenRequests *atomic.Int32) *httptest.Server {
	t.Helper()
	srv, u := idptest.Listen(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		idptest.WriteJSON(t, w, http.StatusOK, map[string]string{
			"issuer": u, "token_endpoint": u + "/oauth2/token", "jwks_uri": u + "/jwks",
		})
	})
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		tokenRequests.Add(1)
		id, secret, ok := r.BasicAuth()
		if !ok || id != "demo-service" || secret != "s3cret" {
			idptest.WriteJSON(t, w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
			return
		}
		if r.PostFormValue("grant_type") != "client_credentials" || r.PostFormValue("scope") != "api:read" {
			t.Errorf("token request form = %v", r.PostForm)
		}
		idptest.WriteJSON(t, w, http.StatusOK, map[string]any{"access_token": "tok-1", "token_type": "bearer", "expires_in": 3600})
	})
	idptest.Start(t, srv, mux)
	return srv
}

// fakeAPI answers 200 to the token tok-1 and 401 to anything else.
func fakeAPI(t *testing.T) *httptest.Server {
	t.Helper()
	return idptest.Serve(t, apiHandler)
}

var apiHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer tok-1" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="demo-api", error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.Write([]byte(`{"message":"hello, demo-service"}` + "\n"))
})

// TestOnceWaitsForTheAPI: the quick start runs the API in the background
// under go run, which compiles it first; service --once started right after
// must wait for it rather than fail with "connection refused".
func TestOnceWaitsForTheAPI(t *testing.T) {
	var tokenRequests atomic.Int32
	idp, addr := fakeProvider(t, &tokenRequests), idptest.FreeAddr(t)
	cfg := config{Issuer: idp.URL, ClientID: "demo-service", ClientSecret: "s3cret", Scope: "api:read",
		APIURL: "http://" + addr + "/hello", Interval: 1, Once: true, Wait: time.Minute}
	go func() {
		time.Sleep(500 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		srv := &http.Server{Handler: apiHandler}
		t.Cleanup(func() { srv.Close() })
		srv.Serve(ln)
	}()
	var out, logs bytes.Buffer
	if err := once(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)), &out); err != nil {
		t.Fatalf("once = %v; want it to wait for the API\n%s", err, logs.String())
	}
	wantOut := "GET " + cfg.APIURL + `: 200 OK {"message":"hello, demo-service"}` + "\n"
	if out.String() != wantOut || !strings.Contains(logs.String(), "connection refused") {
		t.Fatalf("output = %q, log = %q; want one refused try, then %q", out.String(), logs.String(), wantOut)
	}
}

// TestOnceWaitIsBounded: with nothing listening the wait ends at --wait,
// and an answer from the provider (a refused client) ends it at once.
func TestOnceWaitIsBounded(t *testing.T) {
	var tokenRequests atomic.Int32
	cfg := config{Issuer: "http://" + idptest.FreeAddr(t), ClientID: "demo-service", ClientSecret: "s3cret", Scope: "api:read",
		APIURL: "http://" + idptest.FreeAddr(t) + "/hello", Interval: 1, Once: true, Wait: 0}
	start := time.Now()
	err := once(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || time.Since(start) > 5*time.Second {
		t.Fatalf("once with --wait 0 = %v after %v; want connection refused at once", err, time.Since(start))
	}
	cfg.Issuer, cfg.ClientSecret, cfg.Wait = fakeProvider(t, &tokenRequests).URL, "wrong", time.Minute
	start = time.Now()
	err = once(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "invalid_client") || time.Since(start) > 5*time.Second {
		t.Fatalf("once with a wrong secret = %v after %v; want invalid_client at once", err, time.Since(start))
	}
}

func TestCallUsesOneCachedToken(t *testing.T) {
	var tokenRequests atomic.Int32
	idp, api := fakeProvider(t, &tokenRequests), fakeAPI(t)
	cfg := config{Issuer: idp.URL, ClientID: "demo-service", ClientSecret: "s3cret", Scope: "api:read",
		APIURL: api.URL + "/hello", Interval: 1, Once: true}
	c, err := newCaller(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for range 2 {
		if err := c.loop(context.Background(), cfg, &out); err != nil {
			t.Fatal(err)
		}
	}
	want := "GET " + api.URL + `/hello: 200 OK {"message":"hello, demo-service"}` + "\n"
	if out.String() != want+want {
		t.Errorf("output = %q, want twice %q", out.String(), want)
	}
	if n := tokenRequests.Load(); n != 1 {
		t.Errorf("token requests = %d, want 1 (the token is cached until it expires)", n)
	}
}

func TestOnceFailsOnRefusal(t *testing.T) {
	var tokenRequests atomic.Int32
	idp, api := fakeProvider(t, &tokenRequests), fakeAPI(t)
	cfg := config{Issuer: idp.URL, ClientID: "demo-service", ClientSecret: "wrong", Scope: "api:read",
		APIURL: api.URL + "/hello", Interval: 1, Once: true}
	c, err := newCaller(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = c.loop(context.Background(), cfg, &out)
	if err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("loop = %v, want the token endpoint's invalid_client", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q shows the client secret", err)
	}

	forbidding := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="demo-api", error="insufficient_scope"`)
		w.WriteHeader(http.StatusForbidden)
	}))
	defer forbidding.Close()
	cfg.ClientSecret, cfg.APIURL = "s3cret", forbidding.URL+"/hello"
	if c, err = newCaller(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := c.loop(context.Background(), cfg, &out); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("loop = %v, want a status 403 failure", err)
	}
	if !strings.Contains(out.String(), `403 Forbidden (WWW-Authenticate: Bearer realm="demo-api", error="insufficient_scope")`) {
		t.Errorf("output = %q, want the status and the challenge", out.String())
	}
}

func TestParseConfig(t *testing.T) {
	t.Setenv("SERVICE_CLIENT_SECRET", "from-env")
	c, err := parseConfig([]string{"--once", "--api-url", "http://api.localhost:9090/hello"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientSecret != "from-env" || !c.Once || c.ClientID != "demo-service" || c.APIURL != "http://api.localhost:9090/hello" {
		t.Errorf("config = %+v", c)
	}
	t.Setenv("SERVICE_CLIENT_SECRET", "")
	_, err = parseConfig([]string{"--issuer", "nope", "--client-id", "", "--interval", "0s"})
	for _, want := range []string{"--issuer/SERVICE_ISSUER", "--client-id/SERVICE_CLIENT_ID", "--client-secret/SERVICE_CLIENT_SECRET", "--interval/SERVICE_INTERVAL"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to name %s", err, want)
		}
	}
}
