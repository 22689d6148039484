package provider_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp/provider"
	"github.com/idp/idp/provider/registration"
	"github.com/idp/idp/storage"
)

// TestLogHoldsNoSecret runs every flow that handles a secret, with the log
// at debug level, and greps the whole log for each secret it used: the
// passwords (right and wrong), client secrets, the code and its PKCE
// verifier, every access, refresh and ID token, the initial access token
// and the registration access token. None may appear.
func TestLogHoldsNoSecret(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		var logs logBuffer
		e := newEnv(t, open(t), func(c *provider.Config) {
			c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c.Registration = registration.Config{Mode: registration.Token}
		})
		const wrongPassword = "wrong-password-5e2a"
		secrets := map[string]string{"alice's password": alicePass, "wrong password": wrongPassword,
			"web client secret": webSecret, "svc client secret": svcSecret}
		keep := func(name string, v any) {
			t.Helper()
			s, _ := v.(string)
			if s == "" {
				t.Fatalf("%s missing", name)
			}
			secrets[name] = s
		}

		r, b := e.webRP(), e.browser()
		a := newAuthRequest()
		pg := b.get(r.authURL(a))
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {wrongPassword}}, "", "")
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if pg.isConsent() {
			pg = b.submit(pg, nil, "consent", "allow")
		}
		code := e.code(pg.redirect(t), a)
		keep("code", code)
		keep("code verifier", a.verifier)
		tok, err := r.exchange(code, a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		keep("access token", tok.AccessToken)
		keep("refresh token", tok.RefreshToken)
		keep("ID token", tok.Extra("id_token"))
		resp, out := e.postForm("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "web", webSecret)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh: %d %v", resp.StatusCode, out)
		}
		keep("refreshed access token", out["access_token"])
		keep("refreshed refresh token", out["refresh_token"])
		keep("refreshed ID token", out["id_token"])
		// The rotated refresh token again: reuse, logged as refused.
		e.postForm("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "web", webSecret)
		resp, out = e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, "svc", svcSecret)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("client credentials: %d %v", resp.StatusCode, out)
		}
		keep("client credentials token", out["access_token"])
		e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, "svc", svcSecret+"-wrong")
		e.introspect(tok.AccessToken)

		initial := e.initialToken(time.Now(), time.Hour)
		keep("initial access token", initial)
		reg := e.mustRegister(initial, dynClient)
		keep("registered client secret", reg["client_secret"])
		keep("registration access token", reg["registration_access_token"])
		if resp, _ := e.regCall(http.MethodGet, reg["registration_client_uri"].(string), reg["registration_access_token"].(string), nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("read registration: %d", resp.StatusCode)
		}
		b.logout(r, url.Values{"id_token_hint": {secrets["refreshed ID token"]}})

		log := logs.String()
		if !strings.Contains(log, "level=DEBUG") || !strings.Contains(log, `msg="signed in"`) {
			t.Fatalf("the log was not captured at debug level:\n%s", log)
		}
		for name, s := range secrets {
			if strings.Contains(log, s) {
				t.Errorf("the log contains the %s", name)
			}
			// A JWT's signature alone is as good as the token for
			// matching; a logged payload would carry its claims.
			if parts := strings.Split(s, "."); len(parts) == 3 && strings.Contains(log, parts[2]) {
				t.Errorf("the log contains the signature of the %s", name)
			}
		}
	})
}
