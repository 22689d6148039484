package provider_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/internal/idptest"
	"github.com/idp/idp/provider"
	"github.com/idp/idp/storage"
)

// TestDeviceFlow: RFC 8628 end to end. A device starts the flow and polls
// (authorization_pending, slow_down when too fast) while a browser opens
// verification_uri_complete, signs in, reads a question naming the client
// and a device, and allows; the next poll gets access, ID and refresh
// tokens once, the ID token verifies through the JWKS, and the refresh
// token works with the ordinary refresh grant.
func TestDeviceFlow(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, clk := deviceEnv(t, open)
		code, start := e.mustDeviceStart("tv", "", "openid profile offline_access")
		if !regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`).MatchString(start["user_code"].(string)) {
			t.Errorf("user_code %q is not XXXX-XXXX from the base-20 alphabet", start["user_code"])
		}
		if start["verification_uri"] != e.issuer+"/device" || start["expires_in"] != 600.0 || start["interval"] != 5.0 {
			t.Errorf("device authorization %v: want /device, 600 s, 5 s", start)
		}
		if start["verification_uri_complete"] != e.issuer+"/device?user_code="+url.QueryEscape(start["user_code"].(string)) {
			t.Errorf("verification_uri_complete %v", start["verification_uri_complete"])
		}

		e.wantPollError("tv", "", code, "authorization_pending")
		e.wantPollError("tv", "", code, "slow_down") // at once: too fast
		clk.advance(6 * time.Second)                 // the interval is now 10 s
		e.wantPollError("tv", "", code, "slow_down") // and now 15 s
		clk.advance(14 * time.Second)
		e.wantPollError("tv", "", code, "slow_down")
		clk.advance(21 * time.Second)
		e.wantPollError("tv", "", code, "authorization_pending")

		b := e.browser()
		pg := b.get(start["verification_uri_complete"].(string))
		if !strings.Contains(pg.body, `value="`+start["user_code"].(string)+`"`) {
			t.Fatalf("code page not pre-filled: %s", pg.body)
		}
		pg = b.submitPrefilled(pg)
		if !pg.isLogin() {
			t.Fatalf("want the login page, got %d %s", pg.resp.StatusCode, pg.body)
		}
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if !pg.isDeviceConsent() || !strings.Contains(pg.body, "Living Room TV") || !strings.Contains(pg.body, "A device asks") {
			t.Fatalf("want the device question naming the client, got %d %s", pg.resp.StatusCode, pg.body)
		}
		pg = b.submit(pg, nil, "consent", "allow")
		if pg.resp.StatusCode != http.StatusOK || !strings.Contains(pg.body, "return to your device") {
			t.Fatalf("want the done page, got %d %s", pg.resp.StatusCode, pg.body)
		}

		clk.advance(21 * time.Second)
		resp, out := e.devicePoll("tv", "", code)
		if resp.StatusCode != http.StatusOK || out["access_token"] == nil || out["refresh_token"] == nil || out["id_token"] == nil {
			t.Fatalf("poll after approval: %d %v", resp.StatusCode, out)
		}
		claims := e.verifyIDToken("tv", out["id_token"].(string))
		if claims["preferred_username"] != "alice" || claims["auth_time"] == nil || claims["sid"] == nil {
			t.Errorf("ID token claims %v", claims)
		}
		_, at := jwtParts(t, out["access_token"].(string))
		if at["client_id"] != "tv" || at["sub"] != claims["sub"] {
			t.Errorf("access token claims %v", at)
		}
		e.wantPollError("tv", "", code, "invalid_grant") // exactly once

		resp, ref := e.postForm("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {out["refresh_token"].(string)}, "client_id": {"tv"}}, "", "")
		if resp.StatusCode != http.StatusOK || ref["access_token"] == nil {
			t.Fatalf("refresh of the device's token: %d %v", resp.StatusCode, ref)
		}

		// The browser is signed in now: a second device goes straight to
		// the question, typed in lower case without the dash, and the
		// question is asked again although alice allowed this client.
		code2, start2 := e.mustDeviceStart("tv", "", "openid")
		typed := strings.ToLower(strings.ReplaceAll(start2["user_code"].(string), "-", ""))
		pg = b.typeCode(start2["verification_uri"].(string), typed)
		if !pg.isDeviceConsent() {
			t.Fatalf("signed-in browser: want the device question, got %d %s", pg.resp.StatusCode, pg.body)
		}
		b.submit(pg, nil, "consent", "allow")
		if resp, out := e.devicePoll("tv", "", code2); resp.StatusCode != http.StatusOK || out["refresh_token"] != nil {
			t.Fatalf("second device without offline_access: %d %v", resp.StatusCode, out)
		}
	})
}

// TestDeviceFlowConfidentialClient: a client with a secret authenticates
// at both endpoints with it, and a wrong secret gets invalid_client.
func TestDeviceFlowConfidentialClient(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, _ := deviceEnv(t, open)
		if resp, out := e.deviceStart("tv2", "wrong-secret-0123456789", "openid"); resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Fatalf("wrong secret: %d %v", resp.StatusCode, out)
		}
		code, start := e.mustDeviceStart("tv2", tvSecret, "openid profile")
		if resp, out := e.devicePoll("tv2", "", code); resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Fatalf("poll without the secret: %d %v", resp.StatusCode, out)
		}
		e.browser().approveDevice(start, "allow")
		resp, out := e.devicePoll("tv2", tvSecret, code)
		if resp.StatusCode != http.StatusOK || out["id_token"] == nil || out["refresh_token"] != nil {
			t.Fatalf("poll: %d %v", resp.StatusCode, out)
		}
		e.verifyIDToken("tv2", out["id_token"].(string))
	})
}

// TestDeviceFlowWithOAuth2Client: golang.org/x/oauth2's device flow
// client, with the endpoints from go-oidc's discovery, polls as a real
// device would while a browser enters the code and allows; it gets tokens
// whose ID token go-oidc verifies.
func TestDeviceFlowWithOAuth2Client(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e := newEnv(t, open(t), func(cfg *provider.Config) { cfg.DeviceInterval = time.Second })
		e.addClient(idp.Client{
			ID: "tv", Name: "Living Room TV", GrantTypes: []string{idp.GrantDeviceCode},
			Scopes: []string{"openid", "profile"},
		}, "")
		r := e.rp("tv", "", "", "openid", "profile")
		if r.oauth.Endpoint.DeviceAuthURL == "" {
			t.Fatal("discovery has no device_authorization_endpoint")
		}
		ctx, cancel := context.WithTimeout(context.Background(), idptest.RequestTimeout)
		defer cancel()
		da, err := r.oauth.DeviceAuth(ctx)
		if err != nil {
			t.Fatalf("DeviceAuth: %v", err)
		}
		go func() {
			time.Sleep(1500 * time.Millisecond) // the device polls meanwhile
			pg := e.browser().approveDevice(map[string]any{"verification_uri_complete": da.VerificationURIComplete}, "allow")
			if pg.resp.StatusCode != http.StatusOK {
				t.Errorf("approve: %d", pg.resp.StatusCode)
			}
		}()
		tok, err := r.oauth.DeviceAccessToken(ctx, da)
		if err != nil {
			t.Fatalf("DeviceAccessToken: %v", err)
		}
		if claims := e.verifyIDToken("tv", tok.Extra("id_token").(string)); claims["preferred_username"] != "alice" {
			t.Errorf("claims %v", claims)
		}
	})
}

// TestDeviceFlowSkipConsent: a client registered to skip consent is
// answered as soon as the member has signed in; no other client is.
func TestDeviceFlowSkipConsent(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(testing.TB) *storage.Store) {
		e, _ := deviceEnv(t, open)
		e.addClient(idp.Client{
			ID: "tv-first-party", Name: "Our TV", GrantTypes: []string{idp.GrantDeviceCode},
			Scopes: []string{"openid"}, SkipConsent: true,
		}, "")
		code, start := e.mustDeviceStart("tv-first-party", "", "openid")
		b := e.browser()
		pg := b.enterCode(start, true)
		pg = b.submit(pg, url.Values{"username": {"alice"}, "password": {alicePass}}, "", "")
		if pg.isDeviceConsent() || !strings.Contains(pg.body, "return to your device") {
			t.Fatalf("skip-consent client: want the done page, got %d %s", pg.resp.StatusCode, pg.body)
		}
		if resp, out := e.devicePoll("tv-first-party", "", code); resp.StatusCode != http.StatusOK {
			t.Fatalf("poll: %d %v", resp.StatusCode, out)
		}
	})
}
